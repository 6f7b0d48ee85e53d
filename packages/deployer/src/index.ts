export type { BuildContextFile, BuildContextManifest, BuildContextOptions } from './build-context.js';
export { DEFAULT_BASE_IMAGE, DEFAULT_SERVER_BIN, IMAGE_USER, writeBuildContext } from './build-context.js';
export { createDeployer, type DeployerOptions } from './deployer.js';
export { DeployError, type DeployErrorCode } from './errors.js';
export type {
  KubernetesDeployer,
  KubernetesDeployerOptions,
  KubernetesDeployRequest,
  TrafficRouter,
} from './kubernetes/index.js';
export { createKubernetesDeployer, loadKubeConfig, namespaceOf } from './kubernetes/index.js';
export type {
  LocalDeployer,
  LocalDeployerOptions,
  LocalDeploymentInfo,
  LocalDeploymentRecord,
  LocalDeployRequest,
} from './local.js';
export { createLocalDeployer } from './local.js';
export {
  checkName,
  defaultImage,
  HEALTH_PATH,
  METRICS_PATH,
  METRICS_PORT,
  MODEL_HTTP_PORT,
  PREVIOUS_ANNOTATION,
  seldonDeployment,
  toYaml,
} from './manifest.js';
export type * from './types.js';
