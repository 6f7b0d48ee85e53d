/** CPU and memory as Kubernetes quantities, e.g. `{ cpu: '500m', memory: '512Mi' }`. */
export interface ResourceAmounts {
  cpu?: string;
  memory?: string;
}

export interface ResourceRequirements {
  requests?: ResourceAmounts;
  limits?: ResourceAmounts;
}

/** Everything a SeldonDeployment for one model version is made from. */
export interface ManifestOptions {
  /** Model name; also the container's and the graph node's name. A DNS-1123 label. */
  model: string;
  /** Model version: a positive integer. */
  version: number;
  /** The SeldonDeployment's name (default: the model name). A DNS-1123 label. */
  name?: string;
  /** Default `default`. */
  namespace?: string;
  /** Pods per predictor (default 1). */
  replicas?: number;
  /** The serving image (default `fmnist/<model>:v<version>`, as built from `writeBuildContext`). */
  image?: string;
  resources?: ResourceRequirements;
  /**
   * Serve `version` as a canary next to an already deployed stable version: two predictors,
   * `main` (stable, 100 - percent) and `canary` (this version, percent).
   */
  canary?: { percent: number; stableVersion: number; stableImage?: string };
  /** Extra metadata annotations (e.g. the previous spec kept for rollback). */
  annotations?: Record<string, string>;
}

/** A JSON object as Kubernetes sends and receives it. */
export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    generation?: number;
    [key: string]: unknown;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [key: string]: unknown;
};

/** How to start the model server for one model version on a given port. */
export interface ServeCommand {
  command: string;
  args: (port: number) => string[];
}

/** A model version and where its artifacts are. */
export interface ModelVersionRef {
  model: string;
  version: number;
  /** The folder holding the version's artifacts (required by the local target). */
  modelDir?: string;
}

/** What a deploy asks for; targets ignore the fields that mean nothing to them. */
export interface DeployRequest extends ModelVersionRef {
  /** Deployment name (default: the model name). A DNS-1123 label. */
  name?: string;
  onProgress?: (event: DeployProgress) => void;
}

export interface DeployProgress {
  /** `starting`/`health-check`/`switching`/`stopping` (local) or `applying`/`waiting`/`rolling-back` (Kubernetes). */
  phase: string;
  message: string;
  /** Kubernetes: the SeldonDeployment's `status.state` when known. */
  state?: string;
  elapsedMs?: number;
}

/** One deployed model version, as `list` and `deploy` report it. */
export interface DeploymentInfo {
  name: string;
  target: 'local' | 'kubernetes';
  model: string;
  version: number;
  /** `Available` when serving; local: `Stopped`/`Degraded` when processes died; Kubernetes: `status.state`. */
  state: string;
  /** Where clients reach it (local: the stable proxy address). */
  url?: string;
  namespace?: string;
  /**
   * Kubernetes: the canary predictor and its share. `trafficSplit` says what applies that share: Istio or
   * Ambassador; `none` means both versions run but Seldon Core does not split traffic between them.
   */
  canary?: { version: number; percent: number; trafficSplit?: 'istio' | 'ambassador' | 'none' };
  /** The version a rollback would return to. */
  previousVersion?: number;
  started?: string;
}

/** A deployment target: the local machine or a Kubernetes cluster with Seldon Core. */
export interface Deployer<R extends DeployRequest = DeployRequest> {
  readonly target: 'local' | 'kubernetes';
  /** Deploys (or updates to) a model version and resolves once it serves. */
  deploy(request: R): Promise<DeploymentInfo>;
  list(): Promise<DeploymentInfo[]>;
  get(name: string): Promise<DeploymentInfo | undefined>;
  /** Returns to the version deployed before the current one. */
  rollback(name: string, opts?: { onProgress?: (event: DeployProgress) => void }): Promise<DeploymentInfo>;
  delete(name: string): Promise<void>;
}
