import { build } from '../../tsup.shared';

// The server; the pages are built by Vite into dist/web (vite.config.ts).
export default build(['src/index.ts']);
