import type { KubeConfig } from '@kubernetes/client-node';
import { DeployError } from '../errors.js';
import {
  checkName,
  LABELS,
  PREVIOUS_ANNOTATION,
  SELDON_GROUP,
  SELDON_VERSION,
  seldonDeployment,
} from '../manifest.js';
import type { DeploymentInfo, KubeObject } from '../types.js';
import { createSeldonApi, ref } from './api.js';
import { loadKubeConfig, namespaceOf } from './kubeconfig.js';
import {
  type PreviousSpec,
  predictorImage,
  predictors,
  predictorVersion,
  previousFor,
  readPrevious,
} from './spec.js';
import type { KubernetesDeployer, KubernetesDeployerOptions, TrafficRouter } from './types.js';
import { createWaiter } from './wait.js';

function describe(obj: KubeObject, namespace: string, router: TrafficRouter | undefined): DeploymentInfo {
  const preds = predictors(obj);
  const main = preds.find((p) => p.name === 'main') ?? preds[0];
  const canary = preds.find((p) => p.name === 'canary');
  const labels = obj.metadata.labels ?? {};
  const prevVersion = Number(readPrevious(obj)?.labels?.[LABELS.modelVersion]);
  const canaryVersion = predictorVersion(canary);
  const terminating = Boolean(obj.metadata.deletionTimestamp);
  const info: DeploymentInfo = {
    name: obj.metadata.name,
    target: 'kubernetes',
    namespace: obj.metadata.namespace ?? namespace,
    model: labels[LABELS.model] ?? obj.metadata.name,
    version: predictorVersion(main) ?? Number(labels[LABELS.modelVersion] ?? 0),
    state: terminating
      ? 'Terminating'
      : String((obj.status as { state?: unknown } | undefined)?.state ?? 'Unknown'),
  };
  if (canary && canaryVersion !== undefined) {
    info.canary = {
      version: canaryVersion,
      percent: canary.traffic ?? 0,
      ...(router ? { trafficSplit: router } : {}),
    };
  }
  if (Number.isSafeInteger(prevVersion) && prevVersion > 0) info.previousVersion = prevVersion;
  const url = (obj.status as { address?: { url?: string } } | undefined)?.address?.url;
  if (url) info.url = url;
  const created = (obj.metadata as { creationTimestamp?: string }).creationTimestamp;
  if (created) info.started = String(created);
  return info;
}

/** Deploys SeldonDeployments with server-side apply and waits until their pods have rolled out. */
export function createKubernetesDeployer(opts: KubernetesDeployerOptions = {}): KubernetesDeployer {
  const kc: KubeConfig = opts.kubeConfig ?? loadKubeConfig();
  const defaultNamespace = opts.namespace ?? namespaceOf(kc);
  checkName('namespace', defaultNamespace);
  const pollIntervalMs = opts.pollIntervalMs ?? 2000;
  const api = createSeldonApi(kc, { fieldManager: opts.fieldManager ?? 'fmnist', pollIntervalMs });
  const { waitGone, waitRollout } = createWaiter(api, {
    timeoutMs: opts.timeoutMs ?? 300_000,
    pollIntervalMs,
  });
  const { apply, trafficRouter } = api;
  const read = (name: string, namespace = defaultNamespace) => api.read(name, namespace);

  async function info(obj: KubeObject, namespace: string): Promise<DeploymentInfo> {
    const hasCanary = predictors(obj).some((p) => p.name === 'canary');
    return describe(obj, namespace, hasCanary ? await trafficRouter() : undefined);
  }

  return {
    target: 'kubernetes',
    namespace: defaultNamespace,
    read,
    events: (name, namespace = defaultNamespace) => api.eventsOf(name, namespace),
    trafficRouter,

    async deploy(req) {
      const namespace = req.namespace ?? defaultNamespace;
      const name = req.name ?? req.model;
      const base = {
        model: req.model,
        version: req.version,
        name,
        namespace,
        ...(req.replicas === undefined ? {} : { replicas: req.replicas }),
        ...(req.image === undefined ? {} : { image: req.image }),
        ...(req.resources === undefined ? {} : { resources: req.resources }),
      };
      seldonDeployment(base); // checks names and options before touching the cluster
      const started = Date.now();
      let existing = await read(name, namespace);
      if (existing?.metadata.deletionTimestamp) {
        await waitGone(name, namespace, req.onProgress, started);
        existing = undefined;
      }
      req.onProgress?.({ phase: 'applying', message: `applying ${ref(name, namespace)} (v${req.version})` });
      let manifest: KubeObject;
      if (req.canaryPercent !== undefined) {
        const stable = predictors(existing).find((p) => p.name === 'main') ?? predictors(existing)[0];
        const stableVersion = predictorVersion(stable);
        if (!existing || stableVersion === undefined) {
          throw new DeployError(
            'INVALID_OPTION',
            `a canary needs a version already serving as ${ref(name, namespace)}: deploy one without --canary first`,
          );
        }
        const stableImage = predictorImage(stable);
        manifest = seldonDeployment({
          ...base,
          canary: { percent: req.canaryPercent, stableVersion, ...(stableImage ? { stableImage } : {}) },
        });
      } else {
        manifest = seldonDeployment(base);
      }
      const previous = previousFor(existing, manifest);
      if (previous) manifest.metadata.annotations = { [PREVIOUS_ANNOTATION]: previous };
      const applied = await apply(manifest, req.serverDryRun ?? false);
      if (req.serverDryRun || req.wait === false) return info(applied, namespace);
      return info(await waitRollout(applied, req.onProgress), namespace);
    },

    async rollback(name, o = {}) {
      const namespace = defaultNamespace;
      checkName('deployment name', name);
      const existing = await read(name, namespace);
      if (!existing) throw new DeployError('NOT_FOUND', `${ref(name, namespace)} does not exist`);
      const prev = readPrevious(existing);
      if (!prev) {
        throw new DeployError(
          'NO_PREVIOUS_VERSION',
          `${ref(name, namespace)} has no previous version to roll back to (annotation ${PREVIOUS_ANNOTATION} is missing)`,
        );
      }
      o.onProgress?.({ phase: 'rolling-back', message: `rolling ${ref(name, namespace)} back` });
      const body: KubeObject = {
        apiVersion: `${SELDON_GROUP}/${SELDON_VERSION}`,
        kind: 'SeldonDeployment',
        metadata: {
          name,
          namespace,
          labels: prev.labels ?? {},
          // Keep what we leave as the new "previous", so a second rollback returns here.
          annotations: {
            [PREVIOUS_ANNOTATION]: JSON.stringify({
              labels: existing.metadata.labels ?? {},
              spec: existing.spec ?? {},
            } satisfies PreviousSpec),
          },
        },
        spec: prev.spec,
      };
      const applied = await apply(body, false);
      return info(await waitRollout(applied, o.onProgress), namespace);
    },

    async delete(name, o = {}) {
      checkName('deployment name', name);
      await api.remove(name, defaultNamespace);
      // Like `kubectl delete` (--wait defaults to true): return once the object is gone.
      if (o.wait !== false) await waitGone(name, defaultNamespace, o.onProgress);
    },

    async get(name) {
      checkName('deployment name', name);
      const obj = await read(name);
      return obj ? info(obj, defaultNamespace) : undefined;
    },

    async list() {
      return Promise.all((await api.list(defaultNamespace)).map((o) => info(o, defaultNamespace)));
    },
  };
}
