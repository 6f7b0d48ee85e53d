import { build } from '../../tsup.shared';

// The inference worker runs in its own thread and must sit beside the entry point.
export default build(['src/index.ts', 'src/options.ts', 'src/bin.ts', 'src/inference-worker.ts']);
