import { build } from '../../tsup.shared';

// pfs.proto is bundled as text, so the built package needs no files beside its JavaScript.
export default build(['src/index.ts', 'src/local.ts', 'src/pachyderm.ts'], { loader: { '.proto': 'text' } });
