export type { ModelInfo, ThreadEvent, ThreadedModel, ThreadedModelOptions } from './adapter.js';
export { loadThreadedModel } from './adapter.js';
export { parseServeArgs, parseSize, seldonEnvironment, USAGE, UsageError } from './options.js';
export type { RunningServer, ServeOptions } from './serve.js';
export { serveModel } from './serve.js';
