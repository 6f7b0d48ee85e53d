// The embedded store (subpath @fmnist/data-client/local).
export { createLocalDataClient, type LocalDataClientOptions } from './local/client.js';
