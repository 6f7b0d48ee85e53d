import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractTar } from '@fmnist/fs-kit';
import { parseExperimentConfig } from '../config/index.js';
import { DeterminedError } from '../errors.js';
import { checkTimeMetric } from '../internal/time-metric.js';
import type { Length, MetricGroup, SearcherOperation, TrialContext } from '../types.js';
import { Api, type Json, type RemoteDeterminedClientOptions } from './api.js';
import { latestCompleted, obj, state, toCheckpoint } from './mappers.js';
import { type CheckpointStorage, checkpointStorage, type StorageOptions } from './storage.js';

export interface RemoteTrialContextOptions extends RemoteDeterminedClientOptions, StorageOptions {
  trialId: number;
  /** DET_EXPERIMENT_ID; default: asked for with the trial. */
  experimentId?: number;
  allocationId?: string;
  taskId?: string;
  runId?: number;
  /** The merged experiment config the master passed (DET_EXPERIMENT_CONFIG); default: asked for. */
  experimentConfig?: Json;
  /** DET_HPARAMS; default: asked for. */
  hparams?: Json;
  /** DET_LATEST_CHECKPOINT; default: the trial's latest completed checkpoint. */
  latestCheckpoint?: string;
  /** Where to train to; default: the searcher's length from the experiment config (null: none set). */
  target?: Length | null;
}

const enc = encodeURIComponent;
/** _PreemptionWatcher's long poll (harness/determined/core/_preempt.py): 60 s, retried 10 s after a failure. */
const LONG_POLL_SECONDS = 60;
const RETRY_MS = 10_000;
const RUNNING = ['ACTIVE', 'RUNNING', 'QUEUED', 'PULLING', 'STARTING'];

/** The trial side against a Determined master: its REST Core API calls (metrics, checkpoints, preemption). */
export async function createRemoteTrialContext(opts: RemoteTrialContextOptions): Promise<TrialContext> {
  const api = new Api(opts);
  const needTrial = !opts.experimentConfig || !opts.hparams || !opts.experimentId || !opts.taskId;
  const trial = needTrial
    ? obj((await api.json('GET', `/api/v1/trials/${opts.trialId}`, { notFound: 'TRIAL_NOT_FOUND' })).trial)
    : {};
  let rawConfig = opts.experimentConfig;
  if (!rawConfig) {
    const exp = await api.json('GET', `/api/v1/experiments/${Number(trial.experimentId)}`, {
      notFound: 'EXPERIMENT_NOT_FOUND',
    });
    rawConfig = obj(exp.config ?? obj(exp.experiment).config);
  }
  const config = parseExperimentConfig(rawConfig).config;
  const experimentId = opts.experimentId ?? Number(trial.experimentId);
  const target = opts.target !== undefined ? opts.target : config.searcher.maxLength;
  const runId = opts.runId ?? Number(trial.runId ?? trial.restarts ?? 0);
  const taskIds = (trial.taskIds as string[]) ?? [];
  const taskId = opts.taskId ?? taskIds.at(-1) ?? String(trial.taskId ?? '');
  // Made on first use: a trial that never checkpoints does not need storage it can write.
  let storageOnce: CheckpointStorage | undefined;
  const storage = () => {
    storageOnce ??= checkpointStorage(config.checkpointStorage, opts);
    return storageOnce;
  };

  const report = async (group: MetricGroup, steps: number, metrics: Json) => {
    // trial.proto: steps_completed is an int32 count of batches; a fraction is refused with a 400.
    if (!Number.isInteger(steps) || steps < 0) {
      throw new DeterminedError('BAD_REQUEST', `stepsCompleted must be a non-negative integer, got ${steps}`);
    }
    if (group === 'validation') checkTimeMetric(config, metrics);
    await api.json('POST', `/api/v1/trials/${opts.trialId}/metrics`, {
      body: {
        metrics: {
          trialId: opts.trialId,
          trialRunId: runId,
          stepsCompleted: steps,
          metrics: { avgMetrics: metrics },
        },
        group,
      },
      notFound: 'TRIAL_NOT_FOUND',
    });
  };

  const latestCheckpoint = async (): Promise<string | null> => {
    const list = await api.listAll(
      `/api/v1/trials/${opts.trialId}/checkpoints`,
      'checkpoints',
      'TRIAL_NOT_FOUND',
    );
    return latestCompleted(list) ?? config.searcher.sourceCheckpointUuid ?? null;
  };
  const initialCheckpoint = opts.latestCheckpoint || (await latestCheckpoint());

  // Preemption, as the harness watches for it: one quick look, then long polls in the background.
  let preempt: boolean | undefined;
  let acked = false;
  let closed = false;
  const poll = new AbortController();
  const preemption = async (timeoutSeconds: number) =>
    (
      await api.json(
        'GET',
        `/api/v1/allocations/${enc(opts.allocationId!)}/signals/preemption?timeoutSeconds=${timeoutSeconds}`,
        {
          headersTimeout: (timeoutSeconds + 10) * 1000,
          signal: poll.signal,
        },
      )
    ).preempt === true;
  const watch = async () => {
    try {
      preempt = await preemption(0);
    } catch {
      preempt = false;
    }
    while (!preempt && !closed) {
      try {
        preempt = await preemption(LONG_POLL_SECONDS);
      } catch {
        if (closed) return;
        await new Promise((r) => setTimeout(r, RETRY_MS).unref());
      }
    }
  };
  const watching = opts.allocationId ? watch() : undefined;

  const store = async (dir: string, steps: number, metadata: Json = {}) => {
    if (!Number.isInteger(steps) || steps < 0) {
      throw new DeterminedError(
        'BAD_REQUEST',
        `steps_completed must be a non-negative integer, got ${steps}`,
      );
    }
    const uuid = randomUUID();
    const resources = await storage().upload(dir, uuid);
    const body: Json = {
      taskId,
      uuid,
      reportTime: new Date().toISOString(),
      resources: Object.fromEntries(Object.entries(resources).map(([k, v]) => [k, String(v)])),
      metadata: { ...metadata, steps_completed: steps },
      state: 'STATE_COMPLETED',
      training: {},
    };
    if (opts.allocationId) body.allocationId = opts.allocationId;
    await api.json('POST', '/api/v1/checkpoints', { body });
    return uuid;
  };

  const restore = async (uuid?: string) => {
    const id = uuid ?? (await latestCheckpoint());
    if (!id) return null;
    const c = toCheckpoint(
      obj(
        (await api.json('GET', `/api/v1/checkpoints/${enc(id)}`, { notFound: 'CHECKPOINT_NOT_FOUND' }))
          .checkpoint,
      ),
    );
    const dest = await mkdtemp(join(tmpdir(), `det-ckpt-${id.slice(0, 8)}-`));
    let dir: string | null = null;
    try {
      dir = await storage().download(id, dest);
    } catch {
      // Not reachable from here (another machine's shared_fs, no S3 credentials): the master serves it.
    }
    if (!dir) {
      const res = await api.raw('GET', `/checkpoints/${enc(id)}`, {
        accept: 'application/x-tar',
        notFound: 'CHECKPOINT_NOT_FOUND',
      });
      await extractTar(Buffer.from(await res.body.arrayBuffer()), dest);
      dir = dest;
    }
    return { uuid: id, dir, metadata: c.metadata };
  };

  const progress = async (fraction: number) => {
    await api.json('POST', `/api/v1/trials/${opts.trialId}/progress`, {
      body: { trialId: opts.trialId, progress: fraction, isRaw: false },
    });
  };

  return {
    backend: 'remote',
    experimentId,
    trialId: opts.trialId,
    runId,
    hparams: opts.hparams ?? obj(trial.hparams),
    config,
    target,
    latestCheckpoint: initialCheckpoint,
    report: {
      training: (steps, metrics) => report('training', steps, metrics),
      validation: (steps, metrics) => report('validation', steps, metrics),
    },
    checkpoint: { store, restore },
    searcher: {
      async *operations(): AsyncIterable<SearcherOperation> {
        const length = target?.length ?? null;
        yield {
          length,
          reportProgress: (steps) => progress(length ? Math.min(1, steps / length) : 0),
          // Determined 0.38 reads the searcher metric from validation metrics; there is nothing more to send.
          reportCompleted: async () => {},
        };
      },
      progress,
    },
    async shouldPreempt() {
      if (!opts.allocationId) {
        const t = obj((await api.json('GET', `/api/v1/trials/${opts.trialId}`)).trial);
        return !RUNNING.includes(state(t.state));
      }
      // Non-blocking once the first answer is in, like _PreemptionWatcher.should_preempt().
      while (preempt === undefined) await new Promise((r) => setTimeout(r, 10));
      if (preempt && !acked) {
        acked = true;
        await api.json('POST', `/api/v1/allocations/${enc(opts.allocationId)}/signals/ack_preemption`, {
          body: { allocationId: opts.allocationId },
        });
      }
      return preempt;
    },
    async close() {
      closed = true;
      poll.abort();
      await watching?.catch(() => {});
    },
  };
}
