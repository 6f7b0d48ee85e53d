// The dashboard's HTTP API: one type per answer, shared by the express server and the browser code, so
// both sides change together. Only types (and route strings) live here: nothing Node-only, nothing DOM-only.
import type { CommitInfo, FileChange, FileInfo, RepoInfo } from '@fmnist/data-client';
import type { DeploymentInfo } from '@fmnist/deployer';
import type {
  Checkpoint,
  Experiment,
  MetricsReport,
  Model,
  ModelVersion,
  Trial,
} from '@fmnist/determined-client';

export type {
  Checkpoint,
  CommitInfo,
  Experiment,
  FileChange,
  FileInfo,
  Model,
  ModelVersion,
  RepoInfo,
  Trial,
};

/** Every error answer: what went wrong, a stable code, and which engine said so when one did. */
export interface ApiError {
  error: { code: string; message: string; engine?: 'master' | 'data' | 'deployer' | 'model' | 'dashboard' };
}

/** Header that state-changing requests carry; its value comes from `GET /api/session`. */
export const CSRF_HEADER = 'x-fmnist-csrf';

export interface Session {
  csrf: string;
  /** Which backends the dashboard reads: the embedded ones or the engines named by DET_MASTER / PACHD_ADDRESS. */
  backends: {
    master: 'local' | 'remote';
    data: 'local' | 'pachyderm';
    dataLocation: string;
    kubernetes: boolean;
  };
  home: string;
}

export interface ExperimentRow extends Experiment {
  /** The searcher metric of the best trial; null before any validation. */
  bestMetric: number | null;
  durationSeconds: number | null;
}

/** A rung of the ASHA search (by length, over all brackets) and the trials that stopped there. */
export interface Rung {
  index: number;
  length: number;
  reached: number[];
  stopped: number[];
}

export interface ExperimentDetail {
  experiment: ExperimentRow;
  trials: Trial[];
  /** trial id → validation points of the searcher metric, in order. */
  curves: Record<number, { steps: number; value: number }[]>;
  unit: string | null;
  /** ASHA only. */
  rungs: Rung[];
  terminal: boolean;
}

export interface TrialDetail {
  trial: Trial;
  experiment: Experiment;
  training: MetricsReport[];
  validation: MetricsReport[];
  checkpoints: Checkpoint[];
  /** Versions already registered from this trial's checkpoints: checkpoint uuid → `model v` labels. */
  registered: Record<string, string[]>;
  models: string[];
}

export interface ModelRow extends Model {
  latest: { version: number; valAccuracy: number | null; createdAt: string } | null;
}

/** One link of where a version came from. */
export interface LineageStep {
  kind: 'data' | 'experiment' | 'trial' | 'checkpoint' | 'version';
  label: string;
  /** The dashboard page that shows it. */
  href: string;
}

export interface VersionRow extends ModelVersion {
  lineage: LineageStep[];
  /** True when `<home>/reports/<model>/report.json` covers this version. */
  hasReport: boolean;
  /** Test accuracy from that report. */
  testAccuracy: number | null;
}

export interface ModelDetail {
  model: Model;
  versions: VersionRow[];
}

export interface RepoDetail {
  repo: RepoInfo;
  commits: CommitInfo[];
}

export interface CommitDetail {
  commit: CommitInfo;
  files: FileInfo[];
  /** Experiments whose config or checkpoints name this commit. */
  experiments: { id: number; name: string; state: string; as: string }[];
}

export interface DiffAnswer {
  from: string;
  to: string;
  changes: FileChange[];
}

export interface DeploymentRow extends DeploymentInfo {
  /** `served` for a model this process (or the pipeline) serves directly. */
  source: 'local' | 'kubernetes' | 'served';
  health: 'ok' | 'down' | 'unknown';
  healthMessage?: string;
  swaggerUrl?: string;
  /** From the model's Prometheus metrics, between the previous look and this one. */
  requestsPerSecond: number | null;
  requestsTotal: number | null;
  latencyMs: { p50: number; p95: number; p99: number } | null;
}

export interface DeploymentsAnswer {
  deployments: DeploymentRow[];
  /** A target that could not be listed (e.g. Kubernetes unreachable), said on the page. */
  errors: { target: string; message: string }[];
}

/** What the try-it page can send an image to, and which version's files the browser can load. */
export interface PredictTarget {
  id: string;
  label: string;
  model: string;
  version: number | null;
}

export interface PredictRequest {
  target: string;
  /** 784 pixel values 0..255, row by row, garment light on dark (as Fashion-MNIST). */
  pixels: number[];
}

export interface PredictAnswer {
  target: string;
  classNames: string[];
  probabilities: number[];
  /** How long the Seldon request took, seen from the dashboard. */
  ms: number;
}

export interface RegisterRequest {
  checkpoint: string;
  comment?: string;
}

/** `POST /api/deployments`: serve a registered version on this machine (as "fmnist deploy" does). */
export interface DeployRequest {
  model: string;
  version: number;
  /** Default: the model's name; an existing deployment of that name moves to this version. */
  name?: string;
  /** Default: the deployment's port, or a free one for a new deployment. */
  port?: number;
}

export interface DeployAnswer {
  deployment: DeploymentRow;
}
