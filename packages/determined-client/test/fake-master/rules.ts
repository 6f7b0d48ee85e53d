// What a Determined 0.38.1 master refuses or does, each rule written from the upstream file it cites
// (github.com/determined-ai/determined at tag v0.38.1). Nothing here comes from the client under test.
import { createHash } from 'node:crypto';

type Json = Record<string, unknown>;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly grpc: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}
export const notFound = (what: string) => new HttpError(404, 5, 'NotFound', `${what} not found`);
export const invalid = (message: string) => new HttpError(400, 3, 'InvalidArgument', message);
export const unauthenticated = (message: string) => new HttpError(401, 16, 'Unauthenticated', message);

const obj = (v: unknown): Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};

/**
 * The CLI and SDK send sha512(salt + password) with isHashed: true
 * (harness/determined/common/api/authentication.py salt_and_hash; master/pkg/model/scim_user.go
 * replicateClientSideSaltAndHash); an empty password is sent as it is.
 */
export function passwordMatches(sent: unknown, isHashed: unknown, password: string): boolean {
  if (isHashed !== true) return sent === password;
  const hashed = password ? createHash('sha512').update(`GubPEmmotfiK9TMD6Zdw${password}`).digest('hex') : '';
  return sent === hashed;
}

/**
 * Which credential a request carries. grpc-gateway turns `Grpc-Metadata-x-allocation-token` into the
 * `x-allocation-token` metadata an allocation session is looked up by; `Authorization: Bearer` is looked up
 * as a *user* session (master/internal/grpcutil/auth.go: AllocationTokenHeader, GetUser).
 */
export function credentials(headers: Record<string, string | string[] | undefined>) {
  const one = (h: string) => {
    const v = headers[h];
    return Array.isArray(v) ? v[0] : v;
  };
  const bearer = (v: string | undefined) =>
    v?.startsWith('Bearer ') ? v.slice('Bearer '.length) : undefined;
  return {
    allocation: bearer(one('grpc-metadata-x-allocation-token')),
    user: bearer(one('authorization') ?? one('grpc-metadata-x-user-token')),
    present: Boolean(one('grpc-metadata-x-allocation-token') ?? one('authorization')),
  };
}

/**
 * The creation-time checks of POST /api/v1/experiments that a config can fail. They run in
 * parseCreateExperimentRequest (master/internal/core_experiment.go), whose plain errors reach the client
 * as gRPC Internal, HTTP 500 (checked against a real 0.38.1 master built here): "invalid experiment
 * configuration: <SearcherConfig.AssertCurrent's error>" (master/pkg/schemas/expconf/searcher_config.go)
 * and "managed experiments require entrypoint".
 */
export function checkExperimentConfig(config: Json): void {
  const refuse = (why: string) => new HttpError(500, 13, 'Internal', why);
  const searcher = obj(config.searcher);
  const name = searcher.name;
  if (
    (name === 'adaptive_asha' || name === 'async_halving') &&
    (searcher.max_time == null || searcher.time_metric == null)
  ) {
    throw refuse(
      `invalid experiment configuration: the \`${String(name)}\` searcher requires \`max_time\` and \`time_metric\` to be set`,
    );
  }
  if (name === 'sync_halving') {
    throw refuse(
      "invalid experiment configuration: the 'sync_halving' searcher has been removed and is not valid for new experiments",
    );
  }
  if (!config.searcher || !searcher.metric)
    throw refuse('invalid experiment configuration: searcher.metric is required');
  if (!config.entrypoint) throw refuse('managed experiments require entrypoint');
  const storage = obj(config.checkpoint_storage);
  if (storage.type === 'shared_fs' && !storage.host_path) {
    throw refuse('invalid experiment configuration: checkpoint_storage.host_path is required');
  }
}

/**
 * grpc-gateway refuses a non-integer for an int32 field (TrialMetrics.steps_completed, trial.proto) with
 * InvalidArgument, HTTP 400, before any handler runs (the message as a real 0.38.1 master words it).
 */
export function int32(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || Math.abs(v) > 2 ** 31 - 1) {
    throw invalid(
      `json: cannot unmarshal number ${JSON.stringify(v)} into Go value of type int32 (${field})`,
    );
  }
  return v;
}

/**
 * postgres_trial.go checkTrialRunID: metrics from a run that is not the trial's current one are refused;
 * the error comes out of the metrics transaction, so the client sees Internal, HTTP 500 (as a real 0.38.1
 * master answers).
 */
export function checkRunId(reported: unknown, current: number, group: string): void {
  if (Number(reported) !== current) {
    throw new HttpError(
      500,
      13,
      'Internal',
      `failed to exec transaction (add trial metrics ${group}): invalid run id, ${Number(reported)} (reported) != ${current} (expected): invalid arguments`,
    );
  }
}

/**
 * A stopping-based ASHA reads the searcher metric and the `time_metric` key from every validation
 * (master/pkg/searcher/asha_stopping.go getMetric); an error there fails the experiment.
 */
export function ashaTimeMetricError(config: Json, metrics: Json): string | null {
  const s = obj(config.searcher);
  if (s.name !== 'adaptive_asha' || typeof s.time_metric !== 'string') return null;
  if (typeof metrics[String(s.metric)] !== 'number') {
    return `error parsing searcher metric (${String(s.metric)}) from validation metrics: ${JSON.stringify(metrics)}`;
  }
  if (typeof metrics[s.time_metric] !== 'number') {
    return `error parsing searcher time metric (${s.time_metric}) in validation metrics: ${JSON.stringify(metrics)}`;
  }
  return null;
}

/**
 * The environment a 0.38 master starts a trial container with: TaskSpec.EnvVars
 * (master/pkg/tasks/task.go) plus TrialSpec's (master/pkg/tasks/task_trial.go).
 */
export function trialContainerEnv(t: {
  masterUrl: string;
  clusterId: string;
  taskId: string;
  allocationId: string;
  allocationToken: string;
  userToken: string;
  user: string;
  experimentId: number;
  trialId: number;
  runId: number;
  seed: number;
  config: Json;
  hparams: Json;
  stepsCompleted: number;
  latestCheckpoint: string | null;
}): Record<string, string> {
  const env: Record<string, string> = {
    DET_MASTER: t.masterUrl,
    DET_CLUSTER_ID: t.clusterId,
    DET_AGENT_ID: 'agent-0',
    DET_SLOT_IDS: '[]',
    DET_TASK_ID: t.taskId,
    DET_ALLOCATION_ID: t.allocationId,
    DET_RESOURCES_ID: `${t.allocationId}.0`,
    // Set by the agent for a Docker container (harness/determined/exec/prep_container.py reads it).
    DET_RESOURCES_TYPE: 'docker-container',
    DET_CONTAINER_ID: `container-${t.allocationId}`,
    DET_SESSION_TOKEN: t.allocationToken,
    DET_USER_TOKEN: t.userToken,
    DET_USER: t.user,
    DET_USE_TLS: 'false',
    DET_TASK_TYPE: 'TRIAL',
    DET_EXPERIMENT_ID: String(t.experimentId),
    DET_TRIAL_ID: String(t.trialId),
    DET_TRIAL_RUN_ID: String(t.runId),
    DET_TRIAL_SEED: String(t.seed),
    DET_EXPERIMENT_CONFIG: JSON.stringify(t.config),
    DET_HPARAMS: JSON.stringify(t.hparams),
    DET_STEPS_COMPLETED: String(t.stepsCompleted),
  };
  if (t.latestCheckpoint) env.DET_LATEST_CHECKPOINT = t.latestCheckpoint;
  return env;
}
