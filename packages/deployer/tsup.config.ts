import { build } from '../../tsup.shared';

export default build(['src/index.ts', 'src/local.ts', 'src/kubernetes/index.ts']);
