import type { GateResult } from '@fmnist/ci-test';
import type { DataClient } from '@fmnist/data-client';
import type { DeterminedClient, Experiment, ExperimentEvent, ModelVersion } from '@fmnist/determined-client';
import type { FetchResult } from '@fmnist/model/data';

/** A server the pipeline started; it runs until `close()`. */
export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/** The version the serve stage asks a model server to serve. */
export interface ServeRequest {
  modelDir: string;
  name: string;
  version: string;
  /** Where the version came from, shown in the server's metadata. */
  source: Record<string, unknown>;
  port: number;
}

/** What the pipeline works with. The caller opens the clients and closes them after `runPipeline`. */
export interface PipelineClients {
  /** The data repos (embedded store or Pachyderm). */
  data: DataClient;
  /** The experiment master and model registry (embedded or Determined), able to run trials. */
  master: DeterminedClient;
  /** Fetches Fashion-MNIST into a folder (default: `fetchFashionMnist` without progress). */
  fetchDataset?: (outDir: string) => Promise<FetchResult>;
  /** A registered version's artifacts in a local folder (downloaded once per checkpoint). */
  versionArtifacts: (version: ModelVersion) => Promise<string>;
  /**
   * Follows an experiment until it ends (default: `master.waitForExperiment`, its events passed on as
   * `experiment` events). A front end that shows more (a poller for a remote master) passes its own.
   */
  followExperiment?: (experiment: Experiment) => Promise<Experiment>;
  /** Starts the model server (default: `serveModel` from `@fmnist/serve`). */
  serve?: (o: ServeRequest) => Promise<RunningServer>;
  /**
   * Starts a dashboard beside the served model; its URL is listed with the model's. Not started when
   * absent. (`startDashboard()` of `@fmnist/dashboard` is meant to be passed here.)
   */
  startDashboard?: (o: {
    model: string;
    version: number;
    reportDir: string;
    /** The model server's address, shown and tried by the dashboard. */
    url: string;
  }) => Promise<RunningServer>;
}

export interface PipelineOptions {
  /** The fmnist home: datasets, reports, and the pipeline's state between runs. */
  home: string;
  /** The experiment config file. */
  config: string;
  /** Four IDX files already on disk instead of fetching Fashion-MNIST. */
  dataDir?: string;
  /** Train a new experiment even when one already trained on this data. */
  retrain?: boolean;
  /** Start the model server after the gate (default true). */
  serve?: boolean;
  port: number;
  minAccuracy: number;
  /** The registry model (default `fashion-classifier`). */
  model?: string;
}

export type StageName = 'dataset' | 'data' | 'train' | 'register' | 'gate' | 'serve';

/** What the pipeline reports as it goes; a front end prints them, a test collects them. */
export type PipelineEvent =
  | { type: 'stage-started'; stage: StageName; title: string }
  | { type: 'stage-finished'; stage: StageName; title: string; seconds: number }
  | { type: 'stage-failed'; stage: StageName; title: string; seconds: number; error: unknown }
  | { type: 'dataset'; dataset: FetchResult }
  | { type: 'put-progress'; repo: string; path: string; bytesDone: number; bytesTotal?: number }
  | { type: 'data-committed'; repo: string; commit: string; created: boolean }
  | { type: 'experiment-reused'; id: number }
  | { type: 'experiment-resumed'; id: number }
  | { type: 'experiment-created'; id: number; name: string; train: string }
  | { type: 'experiment'; metric: string; event: ExperimentEvent }
  | { type: 'model-created'; model: string }
  | {
      type: 'version-registered';
      model: string;
      version: number;
      checkpoint: string;
      metric: string;
      value: number | undefined;
      existing: boolean;
    }
  | { type: 'log'; line: string }
  | { type: 'gate-result'; result: GateResult }
  | { type: 'finished'; seconds: number }
  | {
      type: 'serving';
      model: string;
      version: number;
      accuracy: number;
      url: string;
      links: Array<[label: string, value: string]>;
    };

export type PipelineEventHandler = (event: PipelineEvent) => void;

/** What a finished run leaves: the tested version and, when serving, the servers to stop. */
export interface PipelineResult {
  model: string;
  version: ModelVersion;
  modelDir: string;
  gate: GateResult;
  /** When the pipeline serves: the model server, then any others (a dashboard); else empty. */
  servers: RunningServer[];
  /** What to show beside the servers: the report, the dashboard's address. */
  links: Array<[label: string, value: string]>;
}
