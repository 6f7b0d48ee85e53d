// `@fmnist/determined-client/remote`: a Determined master over REST.
export { masterUrl, type RemoteDeterminedClientOptions } from './remote/api.js';
export { createRemoteDeterminedClient } from './remote/client.js';
export { MAX_CONTEXT_BYTES, readContext } from './remote/context.js';
export {
  type CheckpointStorage,
  checkpointStorage,
  SHARED_FS_CONTAINER_PATH,
  type StorageOptions,
} from './remote/storage.js';
export { createRemoteTrialContext, type RemoteTrialContextOptions } from './remote/trial-context.js';
