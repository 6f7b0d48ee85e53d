export { createKubernetesDeployer } from './deployer.js';
export { loadKubeConfig, namespaceOf } from './kubeconfig.js';
export type {
  KubernetesDeployer,
  KubernetesDeployerOptions,
  KubernetesDeployRequest,
  TrafficRouter,
} from './types.js';
