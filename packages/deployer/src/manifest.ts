import { stringify } from 'yaml';
import { DeployError } from './errors.js';
import type { KubeObject, ManifestOptions, ResourceAmounts, ResourceRequirements } from './types.js';

export const SELDON_GROUP = 'machinelearning.seldon.io';
export const SELDON_VERSION = 'v1';
export const SELDON_PLURAL = 'seldondeployments';
/** The port Seldon Core expects a model container to serve HTTP on. */
export const MODEL_HTTP_PORT = 9000;
export const HEALTH_PATH = '/health/ping';
/**
 * Where Seldon Core scrapes a model container's metrics: the operator looks for a container port named
 * `metrics` and passes its number and the path to the container as PREDICTIVE_UNIT_METRICS_SERVICE_PORT
 * and PREDICTIVE_UNIT_METRICS_ENDPOINT (operator `controllers/seldondeployment_controller.go`,
 * constants.DefaultMetricsPortName; the wrapper's defaults are 6000 and /prometheus).
 */
export const METRICS_PORT = 6000;
export const METRICS_PATH = '/prometheus';
/** The label the Seldon operator puts on every Deployment and Pod it makes for a SeldonDeployment. */
export const SELDON_ID_LABEL = 'seldon-deployment-id';

export const LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  name: 'app.kubernetes.io/name',
  version: 'app.kubernetes.io/version',
  model: 'fmnist.dev/model',
  modelVersion: 'fmnist.dev/model-version',
} as const;
export const PREVIOUS_ANNOTATION = 'fmnist.dev/previous-spec';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
// A Kubernetes quantity in the forms people write: 500m, 1, 0.5, 512Mi, 1Gi, 1e3.
const QUANTITY = /^(\d+(\.\d+)?|\.\d+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|e\d+)?$/;

export const DEFAULT_RESOURCES: Required<ResourceRequirements> = {
  requests: { cpu: '250m', memory: '256Mi' },
  limits: { cpu: '1', memory: '1Gi' },
};

/** Throws INVALID_NAME unless `value` is a DNS-1123 label (what Kubernetes needs for names). */
export function checkName(field: string, value: string): void {
  if (typeof value !== 'string' || value.length === 0) {
    throw new DeployError('INVALID_NAME', `${field} is empty: it must be a DNS-1123 label such as "fmnist"`);
  }
  if (value.length > 63 || !DNS1123_LABEL.test(value)) {
    throw new DeployError(
      'INVALID_NAME',
      `${field} "${value}" is not a DNS-1123 label: use at most 63 characters, only lowercase letters, ` +
        `digits and "-", starting and ending with a letter or digit (e.g. "${suggestName(value)}")`,
    );
  }
}

function suggestName(value: string): string {
  const s = value
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return s || 'fmnist';
}

export function checkVersion(field: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new DeployError('INVALID_OPTION', `${field} must be a positive integer, got ${String(value)}`);
  }
}

function checkResources(r: ResourceRequirements | undefined): void {
  for (const kind of ['requests', 'limits'] as const) {
    for (const [key, v] of Object.entries(r?.[kind] ?? {})) {
      if (v !== undefined && !QUANTITY.test(v)) {
        throw new DeployError(
          'INVALID_OPTION',
          `resources.${kind}.${key} "${v}" is not a Kubernetes quantity (e.g. "500m" or "1" for cpu, "512Mi" for memory)`,
        );
      }
    }
  }
}

export function defaultImage(model: string, version: number): string {
  return `fmnist/${model}:v${version}`;
}

export function modelLabels(model: string, version: number): Record<string, string> {
  return {
    [LABELS.managedBy]: 'fmnist',
    [LABELS.name]: model,
    [LABELS.version]: `v${version}`,
    [LABELS.model]: model,
    [LABELS.modelVersion]: String(version),
  };
}

function mergeResources(r: ResourceRequirements | undefined): Record<string, ResourceAmounts> {
  return {
    requests: { ...DEFAULT_RESOURCES.requests, ...r?.requests },
    limits: { ...DEFAULT_RESOURCES.limits, ...r?.limits },
  };
}

function predictor(
  predictorName: string,
  o: { model: string; version: number; image: string; replicas: number; traffic?: number },
  resources: Record<string, ResourceAmounts>,
): Record<string, unknown> {
  const labels = modelLabels(o.model, o.version);
  const probe = (initialDelaySeconds: number, periodSeconds: number) => ({
    httpGet: { path: HEALTH_PATH, port: 'http', scheme: 'HTTP' },
    initialDelaySeconds,
    periodSeconds,
    timeoutSeconds: 2,
    failureThreshold: 3,
  });
  return {
    name: predictorName,
    replicas: o.replicas,
    ...(o.traffic === undefined ? {} : { traffic: o.traffic }),
    labels,
    componentSpecs: [
      {
        metadata: { labels },
        spec: {
          containers: [
            {
              // Seldon binds a graph node to the container of the same name.
              name: o.model,
              image: o.image,
              imagePullPolicy: 'IfNotPresent',
              ports: [
                { name: 'http', containerPort: MODEL_HTTP_PORT, protocol: 'TCP' },
                { name: 'metrics', containerPort: METRICS_PORT, protocol: 'TCP' },
              ],
              readinessProbe: probe(5, 5),
              livenessProbe: probe(30, 10),
              resources,
              securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false },
            },
          ],
        },
      },
    ],
    graph: {
      name: o.model,
      type: 'MODEL',
      endpoint: { type: 'REST', httpPort: MODEL_HTTP_PORT },
      children: [],
    },
  };
}

/** A `machinelearning.seldon.io/v1` SeldonDeployment serving one model version (or a canary pair). */
export function seldonDeployment(opts: ManifestOptions): KubeObject {
  checkName('model name', opts.model);
  checkVersion('model version', opts.version);
  const name = opts.name ?? opts.model;
  checkName('deployment name', name);
  const namespace = opts.namespace ?? 'default';
  checkName('namespace', namespace);
  const replicas = opts.replicas ?? 1;
  if (!Number.isSafeInteger(replicas) || replicas < 0) {
    throw new DeployError('INVALID_OPTION', `replicas must be a whole number >= 0, got ${String(replicas)}`);
  }
  checkResources(opts.resources);
  const resources = mergeResources(opts.resources);
  const image = opts.image ?? defaultImage(opts.model, opts.version);
  const predictors: Record<string, unknown>[] = [];
  if (opts.canary) {
    const { percent, stableVersion } = opts.canary;
    if (!Number.isInteger(percent) || percent < 1 || percent > 99) {
      throw new DeployError(
        'INVALID_OPTION',
        `canary percent must be a whole number from 1 to 99, got ${String(percent)}`,
      );
    }
    checkVersion('canary stable version', stableVersion);
    if (stableVersion === opts.version) {
      throw new DeployError(
        'INVALID_OPTION',
        `version ${opts.version} is already the stable version: a canary needs a different version`,
      );
    }
    const stableImage = opts.canary.stableImage ?? defaultImage(opts.model, stableVersion);
    predictors.push(
      predictor(
        'main',
        { model: opts.model, version: stableVersion, image: stableImage, replicas, traffic: 100 - percent },
        resources,
      ),
      predictor(
        'canary',
        {
          model: opts.model,
          version: opts.version,
          image,
          replicas: Math.max(1, replicas),
          traffic: percent,
        },
        resources,
      ),
    );
  } else {
    predictors.push(
      predictor(
        'main',
        { model: opts.model, version: opts.version, image, replicas, traffic: 100 },
        resources,
      ),
    );
  }
  return {
    apiVersion: `${SELDON_GROUP}/${SELDON_VERSION}`,
    kind: 'SeldonDeployment',
    metadata: {
      name,
      namespace,
      labels: modelLabels(opts.model, opts.version),
      ...(opts.annotations && Object.keys(opts.annotations).length > 0
        ? { annotations: { ...opts.annotations } }
        : {}),
    },
    spec: { name, protocol: 'seldon', predictors },
  };
}

/** The manifest as YAML, ready for `kubectl apply -f -`. */
export function toYaml(obj: unknown): string {
  return stringify(obj, { lineWidth: 0, aliasDuplicateObjects: false });
}
