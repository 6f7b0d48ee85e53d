import type { KubeConfig } from '@kubernetes/client-node';
import type { Deployer, DeployProgress, DeployRequest, KubeObject, ResourceRequirements } from '../types.js';

export interface KubernetesDeployRequest extends DeployRequest {
  /** Default: the deployer's namespace. */
  namespace?: string;
  replicas?: number;
  image?: string;
  resources?: ResourceRequirements;
  /**
   * Send this version `canaryPercent`% of the traffic, next to the version deployed now. The split needs
   * Istio or Ambassador in front of Seldon Core; without them both predictors run but `traffic` is ignored.
   */
  canaryPercent?: number;
  /** Wait until the new pods have rolled out (default true). */
  wait?: boolean;
  /** Ask the API server to validate and admit the change without persisting it (`dryRun=All`). */
  serverDryRun?: boolean;
}

export interface KubernetesDeployerOptions {
  /** A loaded KubeConfig; default `loadKubeConfig()` (KUBECONFIG files merged, ~/.kube/config, in-cluster). */
  kubeConfig?: KubeConfig;
  /**
   * Namespace for `list`, `get`, `delete`, `rollback` and deploys that name none. Default: as kubectl
   * chooses it, the kubeconfig context's namespace, else the pod's own namespace in a cluster, else `default`.
   */
  namespace?: string;
  /** Server-side apply field manager (default `fmnist`). */
  fieldManager?: string;
  /** How long `deploy`, `rollback` and `delete` wait (default 5 minutes). */
  timeoutMs?: number;
  /** Status polling period (default 2 s). */
  pollIntervalMs?: number;
}

/** What splits a canary's traffic in this cluster: Seldon Core only weights predictors through these. */
export type TrafficRouter = 'istio' | 'ambassador' | 'none';

export interface KubernetesDeployer extends Deployer<KubernetesDeployRequest> {
  /** The namespace used when a call names none. */
  readonly namespace: string;
  /** The SeldonDeployment as the cluster has it, or undefined. */
  read(name: string, namespace?: string): Promise<KubeObject | undefined>;
  /** Recent events of the SeldonDeployment, oldest first. */
  events(name: string, namespace?: string): Promise<string[]>;
  /** Which router can split a canary's traffic here (looked up once). */
  trafficRouter(): Promise<TrafficRouter>;
  /** Deletes (Foreground) and, unless `wait: false`, returns once the object and its pods are gone. */
  delete(name: string, opts?: { wait?: boolean; onProgress?: (e: DeployProgress) => void }): Promise<void>;
}
