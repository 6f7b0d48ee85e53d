import { build } from '../../tsup.shared';

// worker.ts runs in worker threads and must sit beside the other entry points.
export default build(['src/index.ts', 'src/data.ts', 'src/worker.ts']);
