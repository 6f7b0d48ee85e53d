import { build } from '../../tsup.shared';

export default build(['src/index.ts']);
