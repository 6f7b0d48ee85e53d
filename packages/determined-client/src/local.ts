// `@fmnist/determined-client/local`: the embedded master.
export { createLocalDeterminedClient, type LocalDeterminedClientOptions } from './local/client.js';
export { createLocalTrialContext, type LocalTrialContextOptions } from './local/trial-context.js';
