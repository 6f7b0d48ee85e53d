// The Pachyderm backend (subpath @fmnist/data-client/pachyderm).
export { createPachydermDataClient, type PachydermDataClientOptions } from './pachyderm/client.js';
export {
  activePachctlContext,
  type PachdAddress,
  type PachdConnection,
  pachctlConfigPath,
  parsePachdAddress,
  resolvePachdConnection,
} from './pachyderm/connection.js';
export { packageDefinitionOf, pfsPackageDefinition } from './pachyderm/proto.js';
