import { DeployError } from './errors.js';
import {
  createKubernetesDeployer,
  type KubernetesDeployer,
  type KubernetesDeployerOptions,
} from './kubernetes/index.js';
import { createLocalDeployer, type LocalDeployer, type LocalDeployerOptions } from './local.js';

export type DeployerOptions =
  | ({ target: 'local' } & LocalDeployerOptions)
  | ({ target: 'kubernetes' } & KubernetesDeployerOptions);

/** The one place a target is chosen: `target`, else Kubernetes when KUBECONFIG is set, else local. */
export function createDeployer(opts: { target: 'local' } & LocalDeployerOptions): LocalDeployer;
export function createDeployer(
  opts: { target: 'kubernetes' } & KubernetesDeployerOptions,
): KubernetesDeployer;
export function createDeployer(
  opts: Partial<LocalDeployerOptions> & KubernetesDeployerOptions & { target?: 'local' | 'kubernetes' },
): LocalDeployer | KubernetesDeployer;
export function createDeployer(
  opts: Partial<LocalDeployerOptions> & KubernetesDeployerOptions & { target?: 'local' | 'kubernetes' },
): LocalDeployer | KubernetesDeployer {
  const target = opts.target ?? (process.env.KUBECONFIG ? 'kubernetes' : 'local');
  if (target === 'kubernetes') return createKubernetesDeployer(opts);
  if (target !== 'local') {
    throw new DeployError('INVALID_OPTION', `unknown target "${String(target)}": use local or kubernetes`);
  }
  if (!opts.home || !opts.serveCommand) {
    throw new DeployError('INVALID_OPTION', 'the local target needs home and serveCommand');
  }
  return createLocalDeployer(opts as LocalDeployerOptions);
}
