export { createBatcher } from './batcher.js';
export { SeldonWrapperError } from './errors.js';
export { createServer } from './server.js';
export type {
  Batcher,
  BatcherOptions,
  BatchInfo,
  BatchingOptions,
  BatchResult,
  ModelOutput,
  SeldonFeedback,
  SeldonModel,
  SeldonServer,
  ServerOptions,
} from './types.js';
