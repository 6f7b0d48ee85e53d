/** How far to train: `length` units of `unit` (`epochs`, `batches`, `records`, or a 0.38 `time_metric`). */
export interface Length {
  unit: string;
  length: number;
}

/** One hyperparameter, as Determined's experiment config describes it. */
export type Hyperparameter =
  | { type: 'const'; val: unknown }
  | { type: 'int'; minval: number; maxval: number; count: number | null }
  | { type: 'double'; minval: number; maxval: number; count: number | null }
  | { type: 'log'; minval: number; maxval: number; base: number; count: number | null }
  | { type: 'categorical'; vals: unknown[] }
  | { type: 'nested'; fields: Record<string, Hyperparameter> };

export type SearcherName = 'single' | 'random' | 'grid' | 'adaptive_asha';
export type AshaMode = 'aggressive' | 'standard' | 'conservative';

export interface SearcherConfig {
  name: SearcherName;
  metric: string;
  smallerIsBetter: boolean;
  /** The budget of a full-length trial; null when the config leaves the length to the trial. */
  maxLength: Length | null;
  /** Trials the search starts (1 for `single`, the grid size for `grid`). */
  maxTrials: number;
  /** Default 16 (Determined's); 0 = as many as the searcher can use. The local worker count caps it too. */
  maxConcurrentTrials: number;
  mode: AshaMode;
  divisor: number;
  maxRungs: number;
  bracketRungs: number[];
  sourceCheckpointUuid: string | null;
  sourceTrialId: number | null;
}

/** A validated experiment config, normalised (snake_case fields of the YAML → camelCase). */
export interface ExperimentConfig {
  name: string;
  description: string;
  labels: string[];
  hyperparameters: Record<string, Hyperparameter>;
  searcher: SearcherConfig;
  recordsPerEpoch: number | null;
  minValidationPeriod: Length | null;
  minCheckpointPeriod: Length | null;
  maxRestarts: number;
  checkpointStorage: Record<string, unknown> | null;
  entrypoint: string | string[] | null;
  /** `reproducibility.experiment_seed`; the search samples from it. */
  seed: number;
  /** The config exactly as written (sent unchanged to a Determined master). */
  raw: Record<string, unknown>;
}

export interface ParsedConfig {
  config: ExperimentConfig;
  /** Things a user should know (deprecated forms, defaults that differ, …). */
  warnings: string[];
  /** Fields accepted but without effect on the embedded master (resources, environment, …). */
  ignored: string[];
}

/** One trial the search would start, with its hyperparameters. */
export interface PlannedTrial {
  requestId: number;
  hparams: Record<string, unknown>;
}

export interface RungPlan {
  /** Cumulative budget a trial has trained for when it reaches this rung. */
  length: number;
  /**
   * How many trials reach this rung as Determined plans it (the top 1/divisor of the rung below, at
   * least one); a trial that is in the top 1/divisor when it arrives goes on, so a few more can.
   */
  maxTrials: number;
}

export interface BracketPlan {
  numRungs: number;
  maxTrials: number;
  maxConcurrentTrials: number;
  rungs: RungPlan[];
}

/** `count` trials train to `length` units (null: to the full length), as `det preview-search` lists them. */
export interface SearchPlanSummary {
  count: number;
  length: number | null;
}

export interface SearchPlan {
  searcher: SearcherName;
  unit: string | null;
  trials: PlannedTrial[];
  /** ASHA only: the brackets and their rungs. */
  brackets?: BracketPlan[];
  /** How many trials train how far (Determined's search preview). */
  summary: SearchPlanSummary[];
  /** The units the whole search trains as planned (every trial × full length; far fewer for ASHA). */
  maxTotalLength: number | null;
}

export type ExperimentState =
  | 'ACTIVE'
  | 'PAUSED'
  | 'QUEUED'
  | 'PULLING'
  | 'STARTING'
  | 'RUNNING'
  | 'STOPPING_COMPLETED'
  | 'STOPPING_CANCELED'
  | 'STOPPING_KILLED'
  | 'STOPPING_ERROR'
  | 'COMPLETED'
  | 'CANCELED'
  | 'ERROR'
  | 'DELETED'
  | 'UNSPECIFIED';

export type TrialState = ExperimentState;

/** Experiment and trial states after which nothing more happens. */
export const TERMINAL_STATES: readonly ExperimentState[] = ['COMPLETED', 'CANCELED', 'ERROR', 'DELETED'];

export interface Experiment {
  id: number;
  name: string;
  description: string;
  state: ExperimentState;
  /** The process running it died mid-way (embedded master); it resumes on activate. Always false remotely. */
  interrupted: boolean;
  searcherType: string;
  searcherMetric: string;
  smallerIsBetter: boolean;
  numTrials: number;
  trialIds: number[];
  /** 0..1 */
  progress: number;
  startTime: string;
  endTime: string | null;
  /** The config as submitted. */
  config: Record<string, unknown>;
}

export interface ValidationSummary {
  stepsCompleted: number;
  metrics: Record<string, unknown>;
}

export interface Trial {
  id: number;
  experimentId: number;
  state: TrialState;
  hparams: Record<string, unknown>;
  restarts: number;
  /** Units trained so far (the unit of the searcher's length). */
  stepsCompleted: number;
  bestValidation: ValidationSummary | null;
  latestValidation: ValidationSummary | null;
  /** The searcher metric of the best validation; null before any. */
  searcherMetricValue: number | null;
  latestCheckpoint: string | null;
  startTime: string;
  endTime: string | null;
}

export type MetricGroup = 'training' | 'validation';

export interface MetricsReport {
  trialId: number;
  group: MetricGroup;
  stepsCompleted: number;
  metrics: Record<string, unknown>;
  reportTime: string;
}

export interface Checkpoint {
  uuid: string;
  experimentId: number | null;
  trialId: number | null;
  state: 'ACTIVE' | 'COMPLETED' | 'ERROR' | 'DELETED' | 'PARTIALLY_DELETED' | 'UNSPECIFIED';
  reportTime: string;
  stepsCompleted: number | null;
  /** Free-form metadata the trial stored with it (e.g. `data_commits`, `backend`, `code_version`). */
  metadata: Record<string, unknown>;
  /** Relative file path → size in bytes. */
  resources: Record<string, number>;
  hparams: Record<string, unknown>;
  /** The trial's latest metrics when the checkpoint was taken. */
  trainingMetrics: Record<string, unknown>;
  validationMetrics: Record<string, unknown>;
  searcherMetric: number | null;
}

export interface Model {
  id: number;
  name: string;
  description: string;
  metadata: Record<string, unknown>;
  labels: string[];
  numVersions: number;
  createdAt: string;
  updatedAt: string;
}

/** A registered version of a model: a checkpoint plus what produced it. */
export interface ModelVersion {
  model: string;
  version: number;
  id: number;
  name: string;
  comment: string;
  labels: string[];
  createdAt: string;
  checkpoint: Checkpoint;
  experimentId: number | null;
  trialId: number | null;
  hparams: Record<string, unknown>;
  metrics: { training: Record<string, unknown>; validation: Record<string, unknown> };
  /** Checkpoint metadata overlaid with the version's own metadata. */
  metadata: Record<string, unknown>;
  /** From metadata `data_commits` (dataset name → commit id), when the trial stored them. */
  dataCommits: Record<string, string>;
  /** From metadata `backend` (e.g. the compute backend the model trained on). */
  backend: string | null;
  /** From metadata `code_version`. */
  codeVersion: string | null;
}

export interface CreateExperimentOptions {
  /** Start running (default true). Local: trials run when `waitForExperiment` is called. */
  activate?: boolean;
  /** Remote: a directory sent as the experiment's model definition. */
  modelDefinition?: string;
  /** Remote: the project to create it in. */
  projectId?: number;
}

export interface CreatedExperiment {
  experiment: Experiment;
  warnings: string[];
  ignored: string[];
}

/** What happens while an experiment runs (local) or what polling sees (remote). */
export type ExperimentEvent =
  | { type: 'state'; experimentId: number; state: ExperimentState }
  | {
      type: 'trial-started';
      trialId: number;
      hparams: Record<string, unknown>;
      target: Length | null;
      run: number;
    }
  | { type: 'trial-exited'; trialId: number; exitCode: number | null; signal: string | null }
  | { type: 'validation'; trialId: number; stepsCompleted: number; metric: number | null }
  | { type: 'trial-restarting'; trialId: number; restarts: number }
  | { type: 'trial-closed'; trialId: number; state: TrialState }
  | { type: 'progress'; experimentId: number; progress: number };

export interface WaitOptions {
  onEvent?: (event: ExperimentEvent) => void;
  signal?: AbortSignal;
  /** Remote: how often to poll (ms, default 2000). */
  pollMs?: number;
}

export interface RegisterVersionOptions {
  name?: string;
  comment?: string;
  labels?: string[];
  metadata?: Record<string, unknown>;
}

export interface CreateModelOptions {
  description?: string;
  labels?: string[];
  metadata?: Record<string, unknown>;
}

/** Experiments, trials, metrics, checkpoints and the model registry of one master. */
export interface DeterminedClient {
  readonly backend: 'local' | 'remote';
  createExperiment(
    config: string | Record<string, unknown>,
    opts?: CreateExperimentOptions,
  ): Promise<CreatedExperiment>;
  /** Resume a paused or interrupted experiment: unfinished trials continue from their last checkpoint. */
  activateExperiment(id: number): Promise<void>;
  killExperiment(id: number): Promise<void>;
  getExperiment(id: number): Promise<Experiment>;
  /** Newest first. */
  listExperiments(opts?: { limit?: number }): Promise<Experiment[]>;
  /**
   * Until the experiment ends. Local: this runs the embedded master's scheduler for it in this process
   * (only one process runs a given experiment at a time; others just watch).
   */
  waitForExperiment(id: number, opts?: WaitOptions): Promise<Experiment>;
  listTrials(experimentId: number): Promise<Trial[]>;
  getTrial(id: number): Promise<Trial>;
  getTrialMetrics(trialId: number, group: MetricGroup): Promise<MetricsReport[]>;
  listCheckpoints(query: { experimentId: number } | { trialId: number }): Promise<Checkpoint[]>;
  getCheckpoint(uuid: string): Promise<Checkpoint>;
  /** Copies the checkpoint's files into `dest` (created) and returns it. */
  downloadCheckpoint(uuid: string, dest: string): Promise<string>;
  createModel(name: string, opts?: CreateModelOptions): Promise<Model>;
  getModel(name: string): Promise<Model>;
  listModels(): Promise<Model[]>;
  registerVersion(
    model: string,
    checkpointUuid: string,
    opts?: RegisterVersionOptions,
  ): Promise<ModelVersion>;
  /** Oldest first. */
  listVersions(model: string): Promise<ModelVersion[]>;
  getVersion(model: string, version: number | 'latest'): Promise<ModelVersion>;
  close(): Promise<void>;
}

/** How the embedded master starts a trial process. `env` is added to the trial's environment. */
export interface TrialCommand {
  command: string;
  args?: string[];
  env?: Record<string, string>;
  cwd?: string;
}

/** A fixed command, or one chosen per trial. */
export type TrialRunner = TrialCommand | ((trial: { experimentId: number; trialId: number }) => TrialCommand);

/** Metrics a trial reports: numbers (or anything JSON) by name. */
export type Metrics = Record<string, unknown>;

export interface RestoredCheckpoint {
  uuid: string;
  /** A local directory with the checkpoint's files. */
  dir: string;
  metadata: Record<string, unknown>;
}

/** One unit of work from the searcher: train until `length`, then report the searcher metric. */
export interface SearcherOperation {
  /** Where to train to, in the searcher's unit; null when the config sets no length (the trial decides). */
  length: number | null;
  reportProgress(stepsCompleted: number): Promise<void>;
  reportCompleted(searcherMetric: number): Promise<void>;
}

/**
 * What a trial process sees of its master (Determined's Core API): hyperparameters, where to train
 * to, where to resume from, and calls to report metrics and checkpoints. The same code runs against
 * the embedded master and a Determined master.
 */
export interface TrialContext {
  readonly backend: 'local' | 'remote';
  readonly experimentId: number;
  readonly trialId: number;
  /** How many times this trial was started before this run. */
  readonly runId: number;
  readonly hparams: Record<string, unknown>;
  readonly config: ExperimentConfig;
  /** Train until this; null when the config gives no length (the trial decides). */
  readonly target: Length | null;
  /** The checkpoint to resume from, if any. */
  readonly latestCheckpoint: string | null;
  report: {
    training(stepsCompleted: number, metrics: Metrics): Promise<void>;
    validation(stepsCompleted: number, metrics: Metrics): Promise<void>;
  };
  checkpoint: {
    /** Stores the files of `dir` as a new checkpoint; returns its uuid. */
    store(dir: string, stepsCompleted: number, metadata?: Record<string, unknown>): Promise<string>;
    /** The latest checkpoint (or `uuid`) as a local directory; null when there is none. */
    restore(uuid?: string): Promise<RestoredCheckpoint | null>;
  };
  searcher: {
    operations(): AsyncIterable<SearcherOperation>;
    progress(fraction: number): Promise<void>;
  };
  /** True when the master wants this trial to stop now (checkpoint and exit 0). */
  shouldPreempt(): Promise<boolean>;
  close(): Promise<void>;
}
