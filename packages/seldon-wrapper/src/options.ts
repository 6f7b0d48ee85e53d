import { BATCHING_DEFAULTS, checkBatching, definedOnly } from './batcher.js';
import { SeldonWrapperError } from './errors.js';
import { isPlainObject } from './http-errors.js';
import type { ServerOptions } from './types.js';

const DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;

/** The server's options, checked, with their defaults filled in. */
export type ServerConfig = ReturnType<typeof checkOptions>;

/** Checks what `createServer` was given, saying what is wrong and how to fix it. */
export function checkOptions(options: ServerOptions) {
  const bad = (what: string) => new SeldonWrapperError('BAD_OPTIONS', what);
  if (!isPlainObject(options)) throw bad('createServer needs an options object with at least { model }');
  const model = options.model;
  if (!model || typeof model.predict !== 'function') {
    throw bad('options.model must be an object with a predict(input, shape) method');
  }
  const inputShape = model.inputShape;
  if (
    !Array.isArray(inputShape) ||
    inputShape.length === 0 ||
    inputShape.length > 6 ||
    !inputShape.every((d) => Number.isInteger(d) && d >= 1)
  ) {
    throw bad(
      `model.inputShape must list 1 to 6 positive integer dimensions of one row, e.g. [28, 28], got ${JSON.stringify(inputShape)}`,
    );
  }
  if (model.classNames !== undefined) {
    const names = model.classNames;
    if (
      !Array.isArray(names) ||
      names.length === 0 ||
      !names.every((n) => typeof n === 'string' && n.length > 0)
    ) {
      throw bad('model.classNames must be a non-empty array of non-empty strings');
    }
    if (new Set(names).size !== names.length) throw bad('model.classNames must not repeat a name');
  }
  let inputRange: [number, number] | undefined;
  if (model.inputRange !== undefined) {
    const r = model.inputRange;
    if (
      !Array.isArray(r) ||
      r.length !== 2 ||
      !r.every(Number.isFinite) ||
      !((r[0] as number) < (r[1] as number))
    ) {
      throw bad(
        `model.inputRange must be [min, max] with finite min < max, e.g. [0, 255], got ${JSON.stringify(r)}`,
      );
    }
    inputRange = [r[0] as number, r[1] as number];
  }
  for (const method of ['metadata', 'healthStatus', 'sendFeedback', 'ready'] as const) {
    if (model[method] !== undefined && typeof model[method] !== 'function')
      throw bad(`model.${method} must be a function when given`);
  }
  const name = options.name ?? 'model';
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw bad(
      `name must be letters, digits, '.', '_' or '-' (starting with a letter or digit), got ${JSON.stringify(name)}`,
    );
  }
  const version = options.version ?? '1';
  if (typeof version !== 'string' || version.length === 0 || version.length > 128 || version.includes('/')) {
    throw bad(`version must be a non-empty string without '/', got ${JSON.stringify(version)}`);
  }
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1024) {
    throw bad(`maxBodyBytes must be an integer of at least 1024 bytes, got ${String(maxBodyBytes)}`);
  }
  const batching = {
    ...BATCHING_DEFAULTS,
    ...definedOnly({
      maxBatchSize: options.maxBatchSize,
      maxWaitMs: options.maxWaitMs,
      timeoutMs: options.timeoutMs,
      maxQueuedRows: options.maxQueuedRows,
      concurrency: options.concurrency,
    }),
  };
  checkBatching(batching);
  const unit = options.predictiveUnit;
  if (
    unit !== undefined &&
    !(isPlainObject(unit) && typeof unit.id === 'string' && unit.id && typeof unit.image === 'string')
  ) {
    throw bad(
      'predictiveUnit must be { id, image } with a non-empty id, e.g. from PREDICTIVE_UNIT_ID and PREDICTIVE_UNIT_IMAGE',
    );
  }
  /** The `meta.requestPath` entry every answer adds. */
  const requestPath: [string, string] = unit ? [unit.id, unit.image] : [name, version];
  const logger = options.logger ?? console;
  if (typeof logger.error !== 'function' || typeof logger.warn !== 'function') {
    throw bad('logger must have error() and warn() methods');
  }
  return {
    model,
    inputShape: [...inputShape],
    inputRange,
    name,
    version,
    maxBodyBytes,
    requestPath,
    batching,
    logger,
    processMetrics: options.processMetrics === true,
  };
}
