import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { DeployError } from '../errors.js';
import { httpStatus, toDeployError } from '../internal/kube-errors.js';
import { LABELS, SELDON_GROUP, SELDON_ID_LABEL, SELDON_PLURAL, SELDON_VERSION } from '../manifest.js';
import type { KubeObject } from '../types.js';
import type { DeploymentObject, PodObject } from './rollout.js';
import type { TrafficRouter } from './types.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * API groups whose presence means Seldon Core can split traffic between predictors: the operator writes
 * an Istio VirtualService (networking.istio.io/v1alpha3) or Ambassador Mappings (getambassador.io/v2) with
 * each predictor's `traffic` weight (operator `controllers/istio.go`, `controllers/ambassador/v2.go` at
 * v1.17.1). Without either, `traffic` is ignored.
 */
const ROUTERS: { router: Exclude<TrafficRouter, 'none'>; group: string; version: string }[] = [
  { router: 'istio', group: 'networking.istio.io', version: 'v1alpha3' },
  { router: 'ambassador', group: 'getambassador.io', version: 'v2' },
];

export const ref = (name: string, namespace: string) =>
  `SeldonDeployment "${name}" in namespace "${namespace}"`;

/** The cluster calls fmnist makes, each failure turned into a DeployError that says what to do. */
export function createSeldonApi(kc: KubeConfig, o: { fieldManager: string; pollIntervalMs: number }) {
  const { fieldManager, pollIntervalMs } = o;
  const server = kc.getCurrentCluster()?.server ?? '(no server)';
  const custom = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  let router: Promise<TrafficRouter> | undefined;

  /** A 404 on an object is ambiguous: the object is missing, or the whole API group is. */
  async function groupMissing(group: string, version: string): Promise<boolean> {
    try {
      await custom.getAPIResources({ group, version });
      return false;
    } catch (e) {
      if (httpStatus(e) === 404) return true;
      throw toDeployError(e, `look up the ${group}/${version} API`, server);
    }
  }
  const crdMissing = () => groupMissing(SELDON_GROUP, SELDON_VERSION);

  function crdMissingError(): DeployError {
    return new DeployError(
      'CRD_MISSING',
      `the cluster at ${server} has no SeldonDeployment resource (${SELDON_GROUP}/${SELDON_VERSION}): ` +
        'install the Seldon Core operator first (e.g. helm install seldon-core seldon-core-operator ' +
        '--repo https://storage.googleapis.com/seldon-charts --namespace seldon-system --create-namespace)',
    );
  }

  function trafficRouter(): Promise<TrafficRouter> {
    router ??= (async () => {
      for (const r of ROUTERS) {
        if (!(await groupMissing(r.group, r.version).catch(() => true))) return r.router;
      }
      return 'none' as const;
    })();
    return router;
  }

  async function read(name: string, namespace: string): Promise<KubeObject | undefined> {
    try {
      return (await custom.getNamespacedCustomObject({
        group: SELDON_GROUP,
        version: SELDON_VERSION,
        namespace,
        plural: SELDON_PLURAL,
        name,
      })) as KubeObject;
    } catch (e) {
      if (httpStatus(e) === 404) {
        if (await crdMissing()) throw crdMissingError();
        return undefined;
      }
      throw toDeployError(e, `read ${ref(name, namespace)}`, server);
    }
  }

  async function eventsOf(involved: string, namespace: string, warningsOnly = false): Promise<string[]> {
    try {
      const list = await core.listNamespacedEvent({
        namespace,
        fieldSelector: `involvedObject.name=${involved}${warningsOnly ? ',type=Warning' : ''}`,
      });
      return list.items
        .map((ev) => ({
          at: String(ev.lastTimestamp ?? ev.eventTime ?? ev.metadata?.creationTimestamp ?? ''),
          line: `${ev.type ?? 'Normal'} ${ev.reason ?? ''} ${ev.involvedObject?.kind ?? ''}/${ev.involvedObject?.name ?? involved}: ${ev.message ?? ''}${(ev.count ?? 1) > 1 ? ` (x${ev.count})` : ''}`,
        }))
        .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))
        .map((e) => e.line);
    } catch (e) {
      // Events only explain a failure; not being allowed to read them must not hide it.
      return [`(events unavailable: ${toDeployError(e, 'list events', server).message.split('\n')[0]})`];
    }
  }

  /** The Deployments the operator made for a SeldonDeployment (operator label `seldon-deployment-id`). */
  async function deploymentsOf(name: string, namespace: string): Promise<DeploymentObject[]> {
    const list = await apps
      .listNamespacedDeployment({ namespace, labelSelector: `${SELDON_ID_LABEL}=${name}` })
      .catch((e: unknown) => {
        throw toDeployError(e, `list the Deployments of ${ref(name, namespace)}`, server);
      });
    return list.items as DeploymentObject[];
  }

  async function podsOf(name: string, namespace: string): Promise<PodObject[]> {
    try {
      const list = await core.listNamespacedPod({ namespace, labelSelector: `${SELDON_ID_LABEL}=${name}` });
      return list.items as PodObject[];
    } catch {
      return [];
    }
  }

  async function apply(body: KubeObject, serverDryRun: boolean): Promise<KubeObject> {
    const { name, namespace = 'default' } = body.metadata;
    const what = `apply ${ref(name, namespace)}`;
    for (let attempt = 1; ; attempt++) {
      try {
        return (await custom.patchNamespacedCustomObject(
          {
            group: SELDON_GROUP,
            version: SELDON_VERSION,
            namespace,
            plural: SELDON_PLURAL,
            name,
            body,
            fieldManager,
            force: true,
            ...(serverDryRun ? { dryRun: 'All' } : {}),
          },
          setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
        )) as KubeObject;
      } catch (e) {
        const status = httpStatus(e);
        // A 409 on a forced apply means the object changed under us (a create raced ours): retry briefly.
        if (status === 409 && attempt < 4) {
          await sleep(Math.min(pollIntervalMs, 250 * attempt));
          continue;
        }
        if (status === 404 && (await crdMissing())) throw crdMissingError();
        throw toDeployError(e, what, server);
      }
    }
  }

  async function remove(name: string, namespace: string): Promise<void> {
    try {
      // Foreground: the object stays until its Deployments and pods are gone, so "gone" means stopped.
      await custom.deleteNamespacedCustomObject({
        group: SELDON_GROUP,
        version: SELDON_VERSION,
        namespace,
        plural: SELDON_PLURAL,
        name,
        propagationPolicy: 'Foreground',
      });
    } catch (e) {
      if (httpStatus(e) === 404) {
        if (await crdMissing()) throw crdMissingError();
        throw new DeployError('NOT_FOUND', `${ref(name, namespace)} does not exist`);
      }
      throw toDeployError(e, `delete ${ref(name, namespace)}`, server);
    }
  }

  async function list(namespace: string): Promise<KubeObject[]> {
    try {
      const answer = (await custom.listNamespacedCustomObject({
        group: SELDON_GROUP,
        version: SELDON_VERSION,
        namespace,
        plural: SELDON_PLURAL,
        labelSelector: `${LABELS.managedBy}=fmnist`,
      })) as { items?: KubeObject[] };
      return answer.items ?? [];
    } catch (e) {
      if (httpStatus(e) === 404 && (await crdMissing())) throw crdMissingError();
      throw toDeployError(e, `list SeldonDeployments in namespace "${namespace}"`, server);
    }
  }

  return { read, list, apply, remove, eventsOf, deploymentsOf, podsOf, trafficRouter };
}

export type SeldonApi = ReturnType<typeof createSeldonApi>;
