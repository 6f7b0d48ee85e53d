import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { DeployError } from '../errors.js';

/** Where an in-cluster pod finds its service account's namespace. */
export const SERVICE_ACCOUNT_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/**
 * Merges kubeconfig files the way kubectl does (client-go `tools/clientcmd/loader.go`, `Load`): the first
 * file to name a cluster, user or context wins and later entries of the same name are ignored, not errors;
 * the first file that sets `current-context` wins. (KubeConfig.mergeConfig instead lets the last file's
 * current-context win and throws on a duplicate name.) Relative paths stay relative to their own file.
 */
function mergeFiles(files: string[]): KubeConfig {
  const merged = { clusters: [], users: [], contexts: [] } as {
    clusters: KubeConfig['clusters'][number][];
    users: KubeConfig['users'][number][];
    contexts: KubeConfig['contexts'][number][];
    currentContext?: string;
  };
  for (const file of files) {
    const one = new KubeConfig();
    one.loadFromFile(file);
    const add = <T extends { name: string }>(into: T[], from: readonly T[]) => {
      for (const entry of from ?? []) {
        if (!into.some((e) => e.name === entry.name)) into.push(entry);
      }
    };
    add(merged.clusters, one.clusters);
    add(merged.users, one.users);
    add(merged.contexts, one.contexts);
    if (!merged.currentContext && one.currentContext) merged.currentContext = one.currentContext;
  }
  const kc = new KubeConfig();
  kc.loadFromOptions(merged);
  return kc;
}

/**
 * Loads a kubeconfig from the usual places, in kubectl's order: the files in KUBECONFIG (merged as kubectl
 * merges them; missing ones skipped), then ~/.kube/config, then the in-cluster service account. Unlike
 * KubeConfig.loadFromDefault it never falls back to an unauthenticated localhost:8080, so a missing config
 * is an error that says so.
 */
export function loadKubeConfig(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): KubeConfig {
  let kc: KubeConfig;
  const fromEnv = env.KUBECONFIG?.split(delimiter).filter(Boolean) ?? [];
  try {
    if (fromEnv.length > 0) {
      const present = fromEnv.filter((f) => existsSync(f));
      if (present.length === 0) {
        throw new DeployError(
          'NO_KUBECONFIG',
          `KUBECONFIG names ${fromEnv.join(', ')}, which does not exist: fix KUBECONFIG or unset it`,
        );
      }
      kc = mergeFiles(present);
    } else if (existsSync(join(home, '.kube', 'config'))) {
      kc = mergeFiles([join(home, '.kube', 'config')]);
    } else if (env.KUBERNETES_SERVICE_HOST) {
      kc = new KubeConfig();
      kc.loadFromCluster();
    } else {
      throw new DeployError(
        'NO_KUBECONFIG',
        'no Kubernetes configuration found: set KUBECONFIG, create ~/.kube/config (kind, minikube and cloud CLIs ' +
          'write one), or run inside a cluster. To see the manifest without a cluster use --dry-run; to serve on ' +
          'this machine use --target local.',
      );
    }
  } catch (e) {
    if (e instanceof DeployError) throw e;
    throw new DeployError('NO_KUBECONFIG', `cannot read the kubeconfig: ${(e as Error).message}`);
  }
  if (!kc.getCurrentCluster()) {
    throw new DeployError(
      'NO_KUBECONFIG',
      kc.currentContext
        ? `the kubeconfig's current context "${kc.currentContext}" names no cluster it defines: fix the context or run "kubectl config use-context NAME"`
        : 'the kubeconfig has no current context: run "kubectl config use-context NAME"',
    );
  }
  return kc;
}

/**
 * The namespace kubectl would use when none is given: the current context's, else (in a pod) POD_NAMESPACE
 * or the service account's namespace file, else `default` (client-go `tools/clientcmd/client_config.go`,
 * `DirectClientConfig.Namespace` and `inClusterClientConfig.Namespace`).
 */
export function namespaceOf(
  kc: KubeConfig,
  env: NodeJS.ProcessEnv = process.env,
  serviceAccountFile: string = SERVICE_ACCOUNT_NAMESPACE_FILE,
): string {
  // KubeConfig.loadFromCluster names its context this and copies the service account's namespace into it.
  const inCluster = kc.currentContext === 'inClusterContext';
  if (inCluster && env.POD_NAMESPACE) return env.POD_NAMESPACE;
  const fromContext = kc.getContextObject(kc.currentContext)?.namespace?.trim();
  if (fromContext) return fromContext;
  if (inCluster) {
    if (env.POD_NAMESPACE) return env.POD_NAMESPACE;
    try {
      const ns = readFileSync(serviceAccountFile, 'utf8').trim();
      if (ns) return ns;
    } catch {
      // not in a pod after all
    }
  }
  return 'default';
}
