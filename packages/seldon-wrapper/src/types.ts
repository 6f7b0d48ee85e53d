import type { Express } from 'express';
import type { Registry } from 'prom-client';

/** What a model returns for a batch: `rows × width` numbers, flat in row order, or one array per row. */
export type ModelOutput = ArrayLike<number> | ArrayLike<number>[];

/**
 * Any tensor-in/tensor-out model. The server hands `predict` one batch of rows as a flat
 * Float32Array of shape `[rows, ...inputShape]` and expects one output row per input row.
 */
export interface SeldonModel {
  predict(input: Float32Array, shape: number[]): ModelOutput | Promise<ModelOutput>;
  /** The shape of ONE input row, e.g. `[28, 28]` or `[28, 28, 1]`. */
  readonly inputShape: readonly number[];
  /** Output column names (the response's `names`); their count is the output width. */
  readonly classNames?: readonly string[];
  /** The inclusive range every input value must fall in, e.g. `[0, 255]` or `[0, 1]`. Images are scaled to it. */
  readonly inputRange?: readonly [number, number];
  /** Extra metadata merged into `/metadata` (Seldon's `SeldonModelMetadata` fields: platform, custom, ...). */
  metadata?(): Record<string, unknown> | Promise<Record<string, unknown>>;
  /** Reported by `/health/status`; throwing marks the model unhealthy (HTTP 503). */
  healthStatus?(): unknown;
  /**
   * False while the model cannot take predictions (e.g. its thread is being restarted): readiness
   * answers 503 so the load balancer sends traffic elsewhere. Absent means always ready.
   */
  ready?(): boolean;
  /** Receives `/send-feedback` and `/api/v1.0/feedback` bodies. */
  sendFeedback?(feedback: SeldonFeedback): unknown;
}

/** Seldon's `Feedback` message. */
export interface SeldonFeedback {
  request?: Record<string, unknown>;
  response?: Record<string, unknown>;
  reward?: number;
  truth?: Record<string, unknown>;
}

export interface BatchingOptions {
  /** Most rows per model call (a bigger request is split across calls). Default 32. */
  maxBatchSize?: number;
  /** How long the first queued row may wait for others before its batch runs. Default 2 ms; 0 batches only what queued while the model was busy. */
  maxWaitMs?: number;
  /**
   * A model call slower than this fails its requests with HTTP 500 and frees its slot. Default 30 000 ms.
   * The call is abandoned, not stopped: a synchronous predict that never returns blocks the process.
   */
  timeoutMs?: number;
  /**
   * Rows allowed to wait; more are refused with HTTP 503 until the queue shortens, and a single request
   * of more rows than this with HTTP 413. Default 4096.
   */
  maxQueuedRows?: number;
  /** Model calls in flight at once. Default 1: the model is never entered concurrently. */
  concurrency?: number;
}

export interface ServerOptions extends BatchingOptions {
  model: SeldonModel;
  /** The model's name: `meta.requestPath` key, `/metadata` name and the V2 `/v2/models/<name>`. Default `model`. */
  name?: string;
  /** The model's version: `meta.requestPath` value and V2 version. Default `1`. */
  version?: string;
  /** Largest request body in bytes (HTTP 413 above it). Default 5 MiB. */
  maxBodyBytes?: number;
  /**
   * The graph node this server is, as Seldon's operator names it (`PREDICTIVE_UNIT_ID` and
   * `PREDICTIVE_UNIT_IMAGE`): answers then carry `meta.requestPath: {<id>: <image>}` as the Python wrapper's
   * do. Default: `{<name>: <version>}`.
   */
  predictiveUnit?: { id: string; image: string };
  /** Where failures the client does not see in full are logged. Default `console`. */
  logger?: Pick<Console, 'error' | 'warn'>;
  /** Also export Node's process metrics (CPU, memory, event loop) on `/metrics`. Default false. */
  processMetrics?: boolean;
}

/** The express app `createServer` returns, with its metrics and a graceful stop. */
export interface SeldonServer extends Express {
  /** This server's Prometheus registry (what `/metrics` serves). */
  readonly metrics: Registry;
  /**
   * Stops taking new predictions (they get HTTP 503, `/ready` turns 503) and resolves once every
   * queued and running batch has answered. Health, metadata and docs keep answering.
   */
  drain(): Promise<void>;
  /** `drain()`, then closes `server` (if given) and waits for its open connections to end. */
  close(server?: import('node:http').Server): Promise<void>;
}

export interface BatcherOptions {
  /** Runs one batch: `input` holds `rows` rows of `rowSize` numbers. */
  run(input: Float32Array, rows: number): ModelOutput | Promise<ModelOutput>;
  /** Numbers per input row. */
  rowSize: number;
  /** Called after every model call (for metrics). */
  onBatch?(info: BatchInfo): void;
}

export interface BatchInfo {
  rows: number;
  requests: number;
  seconds: number;
  ok: boolean;
}

/** The rows one caller submitted, answered: `rows × width` numbers. */
export interface BatchResult {
  values: Float32Array;
  rows: number;
  width: number;
}

export interface Batcher {
  /**
   * Queues `rows` rows (`input.length === rows × rowSize`) and resolves with exactly their outputs. The
   * batcher owns `input` from then on (it may hand its buffer to the model). When `signal` aborts, rows
   * not yet in a model call leave the queue and the promise rejects with CANCELLED.
   */
  submit(input: Float32Array, rows: number, signal?: AbortSignal): Promise<BatchResult>;
  /** Refuses new work, runs what is queued at once and resolves when nothing is queued or running. */
  drain(): Promise<void>;
  /** Rows waiting for a model call. */
  readonly queuedRows: number;
  /** Model calls running. */
  readonly running: number;
}
