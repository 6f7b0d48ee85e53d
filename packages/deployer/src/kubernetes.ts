import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { DeployError } from './errors.js';
import { httpStatus, toDeployError } from './internal/kube-errors.js';
import {
  checkName,
  LABELS,
  PREVIOUS_ANNOTATION,
  SELDON_GROUP,
  SELDON_PLURAL,
  SELDON_VERSION,
  seldonDeployment,
} from './manifest.js';
import type {
  Deployer,
  DeploymentInfo,
  DeployProgress,
  DeployRequest,
  KubeObject,
  ResourceRequirements,
} from './types.js';

export interface KubernetesDeployRequest extends DeployRequest {
  namespace?: string;
  replicas?: number;
  image?: string;
  resources?: ResourceRequirements;
  /** Send this version `canaryPercent`% of the traffic, next to the version deployed now. */
  canaryPercent?: number;
  /** Wait until the SeldonDeployment is `Available` (default true). */
  wait?: boolean;
  /** Ask the API server to validate and admit the change without persisting it (`dryRun=All`). */
  serverDryRun?: boolean;
}

export interface KubernetesDeployerOptions {
  /** A loaded KubeConfig; default `loadKubeConfig()` (KUBECONFIG, ~/.kube/config, in-cluster). */
  kubeConfig?: KubeConfig;
  /** Default namespace for `list`, `get`, `delete`, `rollback` and deploys that name none (default `default`). */
  namespace?: string;
  /** Server-side apply field manager (default `fmnist`). */
  fieldManager?: string;
  /** How long `deploy` waits for `Available` (default 5 minutes). */
  timeoutMs?: number;
  /** Status polling period (default 2 s). */
  pollIntervalMs?: number;
}

/**
 * Loads a kubeconfig from the usual places, in kubectl's order: the files in KUBECONFIG, then
 * ~/.kube/config, then the in-cluster service account. Unlike KubeConfig.loadFromDefault it never falls
 * back to an unauthenticated localhost:8080, so a missing config is an error that says so.
 */
export function loadKubeConfig(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): KubeConfig {
  const kc = new KubeConfig();
  const fromEnv = env.KUBECONFIG?.split(delimiter).filter(Boolean) ?? [];
  try {
    if (fromEnv.length > 0) {
      const missing = fromEnv.filter((f) => !existsSync(f));
      if (missing.length === fromEnv.length) {
        throw new DeployError(
          'NO_KUBECONFIG',
          `KUBECONFIG names ${missing.join(', ')}, which does not exist: fix KUBECONFIG or unset it`,
        );
      }
      kc.loadFromFile(fromEnv.find((f) => existsSync(f))!);
      for (const f of fromEnv.slice(1).filter((f) => existsSync(f))) {
        const more = new KubeConfig();
        more.loadFromFile(f);
        kc.mergeConfig(more);
      }
    } else if (existsSync(join(home, '.kube', 'config'))) {
      kc.loadFromFile(join(home, '.kube', 'config'));
    } else if (env.KUBERNETES_SERVICE_HOST) {
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
      'the kubeconfig has no current context with a cluster: run "kubectl config use-context NAME"',
    );
  }
  return kc;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface PreviousSpec {
  labels?: Record<string, string>;
  spec: Record<string, unknown>;
}

type Predictor = {
  name?: string;
  traffic?: number;
  labels?: Record<string, string>;
  componentSpecs?: { spec?: { containers?: { image?: string }[] } }[];
};

function predictors(obj: KubeObject | undefined): Predictor[] {
  return ((obj?.spec?.predictors as Predictor[] | undefined) ?? []).filter(Boolean);
}

function predictorVersion(p: Predictor | undefined): number | undefined {
  const v = Number(p?.labels?.[LABELS.modelVersion]);
  return Number.isSafeInteger(v) && v > 0 ? v : undefined;
}

function readPrevious(obj: KubeObject): PreviousSpec | undefined {
  const raw = obj.metadata.annotations?.[PREVIOUS_ANNOTATION];
  if (!raw) return undefined;
  try {
    const p = JSON.parse(raw) as PreviousSpec;
    return p && typeof p.spec === 'object' ? p : undefined;
  } catch {
    return undefined;
  }
}

function describe(obj: KubeObject, target: 'kubernetes', namespace: string): DeploymentInfo {
  const preds = predictors(obj);
  const main = preds.find((p) => p.name === 'main') ?? preds[0];
  const canary = preds.find((p) => p.name === 'canary');
  const labels = obj.metadata.labels ?? {};
  const prev = readPrevious(obj);
  const prevVersion = Number(prev?.labels?.[LABELS.modelVersion]);
  const canaryVersion = predictorVersion(canary);
  const info: DeploymentInfo = {
    name: obj.metadata.name,
    target,
    namespace: obj.metadata.namespace ?? namespace,
    model: labels[LABELS.model] ?? obj.metadata.name,
    version: predictorVersion(main) ?? Number(labels[LABELS.modelVersion] ?? 0),
    state: String((obj.status as { state?: unknown } | undefined)?.state ?? 'Unknown'),
  };
  if (canary && canaryVersion !== undefined) {
    info.canary = { version: canaryVersion, percent: canary.traffic ?? 0 };
  }
  if (Number.isSafeInteger(prevVersion) && prevVersion > 0) info.previousVersion = prevVersion;
  const url = (obj.status as { address?: { url?: string } } | undefined)?.address?.url;
  if (url) info.url = url;
  const created = (obj.metadata as { creationTimestamp?: string }).creationTimestamp;
  if (created) info.started = String(created);
  return info;
}

export interface KubernetesDeployer extends Deployer<KubernetesDeployRequest> {
  /** The SeldonDeployment as the cluster has it, or undefined. */
  read(name: string, namespace?: string): Promise<KubeObject | undefined>;
  /** Recent events of the SeldonDeployment (and the objects named after it), oldest first. */
  events(name: string, namespace?: string): Promise<string[]>;
}

/** Deploys SeldonDeployments with server-side apply and waits for Seldon Core to make them Available. */
export function createKubernetesDeployer(opts: KubernetesDeployerOptions = {}): KubernetesDeployer {
  const kc = opts.kubeConfig ?? loadKubeConfig();
  const defaultNamespace = opts.namespace ?? 'default';
  checkName('namespace', defaultNamespace);
  const fieldManager = opts.fieldManager ?? 'fmnist';
  const timeoutMs = opts.timeoutMs ?? 300_000;
  const pollIntervalMs = opts.pollIntervalMs ?? 2000;
  const server = kc.getCurrentCluster()?.server ?? '(no server)';
  const custom = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
  const ref = (name: string, namespace: string) => `SeldonDeployment "${name}" in namespace "${namespace}"`;

  async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw toDeployError(e, what, server);
    }
  }

  /** A 404 on an object is ambiguous: the object is missing, or the whole API group is. */
  async function crdMissing(): Promise<boolean> {
    try {
      await custom.getAPIResources({ group: SELDON_GROUP, version: SELDON_VERSION });
      return false;
    } catch (e) {
      if (httpStatus(e) === 404) return true;
      throw toDeployError(e, `look up the ${SELDON_GROUP}/${SELDON_VERSION} API`, server);
    }
  }

  function crdMissingError(): DeployError {
    return new DeployError(
      'CRD_MISSING',
      `the cluster at ${server} has no SeldonDeployment resource (${SELDON_GROUP}/${SELDON_VERSION}): ` +
        'install the Seldon Core operator first (e.g. helm install seldon-core seldon-core-operator ' +
        '--repo https://storage.googleapis.com/seldon-charts --namespace seldon-system --create-namespace)',
    );
  }

  async function read(name: string, namespace = defaultNamespace): Promise<KubeObject | undefined> {
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

  async function events(name: string, namespace = defaultNamespace): Promise<string[]> {
    try {
      const list = await core.listNamespacedEvent({
        namespace,
        fieldSelector: `involvedObject.name=${name}`,
      });
      return list.items
        .map((ev) => ({
          at: String(ev.lastTimestamp ?? ev.eventTime ?? ev.metadata?.creationTimestamp ?? ''),
          line: `${ev.type ?? 'Normal'} ${ev.reason ?? ''} ${ev.involvedObject?.kind ?? ''}/${ev.involvedObject?.name ?? name}: ${ev.message ?? ''}`,
        }))
        .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))
        .map((e) => e.line);
    } catch (e) {
      // Events only explain a failure; not being allowed to read them must not hide it.
      return [`(events unavailable: ${toDeployError(e, 'list events', server).message.split('\n')[0]})`];
    }
  }

  async function apply(body: KubeObject, serverDryRun: boolean): Promise<KubeObject> {
    const { name, namespace = defaultNamespace } = body.metadata;
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
        // A 409 on a forced apply means the object changed under us (or is being deleted): retry briefly.
        if (status === 409 && attempt < 4) {
          await sleep(Math.min(pollIntervalMs, 250 * attempt));
          continue;
        }
        if (status === 404 && (await crdMissing())) throw crdMissingError();
        throw toDeployError(e, what, server);
      }
    }
  }

  async function waitAvailable(
    applied: KubeObject,
    onProgress: ((e: DeployProgress) => void) | undefined,
  ): Promise<KubeObject> {
    const { name, namespace = defaultNamespace } = applied.metadata;
    const generation = applied.metadata.generation;
    const started = Date.now();
    let last = '';
    for (;;) {
      const obj = await read(name, namespace);
      if (!obj) {
        throw new DeployError('DEPLOY_FAILED', `${ref(name, namespace)} disappeared while waiting for it`);
      }
      const status = (obj.status ?? {}) as {
        state?: string;
        description?: string;
        observedGeneration?: number;
      };
      const state = status.state ?? 'Unknown';
      // A status from before this apply says nothing about the new spec.
      const current =
        generation === undefined ||
        status.observedGeneration === undefined ||
        status.observedGeneration >= generation;
      const elapsedMs = Date.now() - started;
      const message = `${ref(name, namespace)}: ${current ? state : 'waiting for the operator'}${status.description ? ` (${status.description})` : ''}`;
      if (message !== last) {
        onProgress?.({ phase: 'waiting', message, state, elapsedMs });
        last = message;
      }
      if (current && state === 'Available') return obj;
      if (current && state === 'Failed') {
        throw new DeployError(
          'DEPLOY_FAILED',
          `${ref(name, namespace)} failed${status.description ? `: ${status.description}` : ''}. Recent events:`,
          await events(name, namespace),
        );
      }
      if (elapsedMs >= timeoutMs) {
        throw new DeployError(
          'TIMEOUT',
          `${ref(name, namespace)} was not Available after ${Math.round(timeoutMs / 1000)} s (state: ${state}). Recent events:`,
          await events(name, namespace),
        );
      }
      await sleep(Math.min(pollIntervalMs, Math.max(0, timeoutMs - elapsedMs)));
    }
  }

  function previousOf(existing: KubeObject | undefined, next: KubeObject): string | undefined {
    if (!existing?.spec) return undefined;
    if (JSON.stringify(existing.spec) === JSON.stringify(next.spec)) {
      return existing.metadata.annotations?.[PREVIOUS_ANNOTATION];
    }
    const prev: PreviousSpec = { labels: existing.metadata.labels ?? {}, spec: existing.spec };
    return JSON.stringify(prev);
  }

  return {
    target: 'kubernetes',
    read,
    events,

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
      req.onProgress?.({ phase: 'applying', message: `applying ${ref(name, namespace)} (v${req.version})` });
      const existing = await read(name, namespace);
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
        const stableImage = stable?.componentSpecs?.[0]?.spec?.containers?.[0]?.image;
        manifest = seldonDeployment({
          ...base,
          canary: { percent: req.canaryPercent, stableVersion, ...(stableImage ? { stableImage } : {}) },
        });
      } else {
        manifest = seldonDeployment(base);
      }
      const previous = previousOf(existing, manifest);
      if (previous) manifest.metadata.annotations = { [PREVIOUS_ANNOTATION]: previous };
      const applied = await apply(manifest, req.serverDryRun ?? false);
      if (req.serverDryRun || req.wait === false) return describe(applied, 'kubernetes', namespace);
      return describe(await waitAvailable(applied, req.onProgress), 'kubernetes', namespace);
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
      return describe(await waitAvailable(applied, o.onProgress), 'kubernetes', namespace);
    },

    async delete(name) {
      checkName('deployment name', name);
      const namespace = defaultNamespace;
      try {
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
    },

    async get(name) {
      checkName('deployment name', name);
      const obj = await read(name);
      return obj ? describe(obj, 'kubernetes', defaultNamespace) : undefined;
    },

    async list() {
      const list = await call(`list SeldonDeployments in namespace "${defaultNamespace}"`, async () => {
        try {
          return (await custom.listNamespacedCustomObject({
            group: SELDON_GROUP,
            version: SELDON_VERSION,
            namespace: defaultNamespace,
            plural: SELDON_PLURAL,
            labelSelector: `${LABELS.managedBy}=fmnist`,
          })) as { items?: KubeObject[] };
        } catch (e) {
          if (httpStatus(e) === 404 && (await crdMissing())) throw crdMissingError();
          throw e;
        }
      });
      return (list.items ?? []).map((o) => describe(o, 'kubernetes', defaultNamespace));
    },
  };
}
