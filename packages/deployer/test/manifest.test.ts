import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { checkName, seldonDeployment, toYaml } from '../src/manifest.js';
import type { ManifestOptions } from '../src/types.js';

type Container = {
  name: string;
  image: string;
  ports: { name: string; containerPort: number }[];
  readinessProbe: { httpGet: { path: string; port: string } };
  livenessProbe: { httpGet: { path: string; port: string } };
  resources: { requests: Record<string, string>; limits: Record<string, string> };
};
type Predictor = {
  name: string;
  replicas: number;
  traffic: number;
  labels: Record<string, string>;
  graph: { name: string; type: string; endpoint: { type: string; httpPort: number } };
  componentSpecs: { metadata: { labels: Record<string, string> }; spec: { containers: Container[] } }[];
};
const predictorsOf = (o: ReturnType<typeof seldonDeployment>) =>
  (o.spec as { predictors: Predictor[] }).predictors;

const EXAMPLES: [string, ManifestOptions][] = [
  ['defaults', { model: 'fmnist', version: 1 }],
  [
    'every option',
    {
      model: 'fmnist',
      version: 12,
      name: 'fmnist-prod',
      namespace: 'models',
      replicas: 3,
      image: 'ghcr.io/example/fmnist-serve:v12',
      resources: { requests: { cpu: '0.5', memory: '300Mi' }, limits: { cpu: '2', memory: '2Gi' } },
      annotations: { 'fmnist.dev/previous-spec': '{"spec":{}}' },
    },
  ],
  ['canary', { model: 'fmnist', version: 3, canary: { percent: 10, stableVersion: 2 } }],
];

describe('seldonDeployment', () => {
  test('serves one version: a graph node bound to its container, probes and port as Seldon expects', () => {
    const o = seldonDeployment({ model: 'fmnist', version: 4, replicas: 2 });
    expect(o.apiVersion).toBe('machinelearning.seldon.io/v1');
    expect(o.kind).toBe('SeldonDeployment');
    expect(o.metadata).toMatchObject({ name: 'fmnist', namespace: 'default' });
    expect(o.metadata.labels).toMatchObject({
      'fmnist.dev/model': 'fmnist',
      'fmnist.dev/model-version': '4',
    });
    const [p, ...rest] = predictorsOf(o);
    expect(rest).toEqual([]);
    expect(p).toMatchObject({ name: 'main', replicas: 2, traffic: 100 });
    const c = p!.componentSpecs[0]!.spec.containers[0]!;
    expect(p!.graph.name).toBe(c.name);
    expect(p!.graph).toMatchObject({ type: 'MODEL', endpoint: { type: 'REST', httpPort: 9000 } });
    expect(c.image).toBe('fmnist/fmnist:v4');
    // The operator finds the metrics port by its name and tells the container with
    // PREDICTIVE_UNIT_METRICS_SERVICE_PORT / PREDICTIVE_UNIT_METRICS_ENDPOINT.
    expect(c.ports).toEqual([
      { name: 'http', containerPort: 9000, protocol: 'TCP' },
      { name: 'metrics', containerPort: 6000, protocol: 'TCP' },
    ]);
    expect(c.readinessProbe.httpGet).toMatchObject({ path: '/health/ping', port: 'http' });
    expect(c.livenessProbe.httpGet).toMatchObject({ path: '/health/ping', port: 'http' });
    expect(p!.componentSpecs[0]!.metadata.labels['fmnist.dev/model-version']).toBe('4');
  });

  test('resources override the defaults one field at a time', () => {
    const o = seldonDeployment({ model: 'fmnist', version: 1, resources: { limits: { memory: '4Gi' } } });
    const c = predictorsOf(o)[0]!.componentSpecs[0]!.spec.containers[0]!;
    expect(c.resources).toEqual({
      requests: { cpu: '250m', memory: '256Mi' },
      limits: { cpu: '1', memory: '4Gi' },
    });
  });

  test('a canary is a second predictor; traffic sums to 100', () => {
    const o = seldonDeployment({
      model: 'fmnist',
      version: 3,
      canary: { percent: 30, stableVersion: 2, stableImage: 'reg/fmnist:v2' },
    });
    const preds = predictorsOf(o);
    expect(preds.map((p) => [p.name, p.traffic, p.labels['fmnist.dev/model-version']])).toEqual([
      ['main', 70, '2'],
      ['canary', 30, '3'],
    ]);
    expect(preds.reduce((s, p) => s + p.traffic, 0)).toBe(100);
    expect(preds.map((p) => p.componentSpecs[0]!.spec.containers[0]!.image)).toEqual([
      'reg/fmnist:v2',
      'fmnist/fmnist:v3',
    ]);
  });

  test.each([
    [
      { model: 'Fashion_MNIST', version: 1 },
      'model name "Fashion_MNIST" is not a DNS-1123 label',
      'fashion-mnist',
    ],
    [{ model: 'fmnist', version: 1, name: '-x' }, 'deployment name "-x"', 'x'],
    [{ model: 'fmnist', version: 1, namespace: 'a'.repeat(64) }, 'at most 63 characters', 'a'.repeat(63)],
  ])('names are DNS-1123 labels: %j', (opts, message, suggestion) => {
    expect(() => seldonDeployment(opts)).toThrow(
      expect.objectContaining({ code: 'INVALID_NAME', message: expect.stringContaining(message) }),
    );
    expect(() => seldonDeployment(opts)).toThrow(`e.g. "${suggestion}"`);
  });

  test.each([
    [{ version: 0 }, 'model version must be a positive integer'],
    [{ replicas: -1 }, 'replicas must be'],
    [{ canary: { percent: 100, stableVersion: 1 } }, 'canary percent must be a whole number from 1 to 99'],
    [{ canary: { percent: 10, stableVersion: 5 } }, 'already the stable version'],
    [
      { resources: { requests: { memory: '1 GB' } } },
      'resources.requests.memory "1 GB" is not a Kubernetes quantity',
    ],
  ])('bad options are INVALID_OPTION: %j', (extra, message) => {
    expect(() => seldonDeployment({ model: 'fmnist', version: 5, ...extra })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringContaining(message) }),
    );
  });

  test('checkName accepts labels and refuses the empty name', () => {
    expect(() => checkName('name', 'a-1')).not.toThrow();
    expect(() => checkName('name', '')).toThrow(/name is empty/);
  });

  test('toYaml round-trips and writes no anchors', () => {
    for (const [, opts] of EXAMPLES) {
      const o = seldonDeployment(opts);
      const text = toYaml(o);
      expect(parse(text)).toEqual(o);
      expect(text).not.toMatch(/[&*]a\d/);
      expect(text.startsWith('apiVersion: machinelearning.seldon.io/v1\nkind: SeldonDeployment\n')).toBe(
        true,
      );
    }
  });
});

// The real CRD is not part of the project; validate against it when this checkout sits next to the specs.
const CRD_PATH = fileURLToPath(
  new URL('../../../../shared/specs/seldondeployment-crd.yaml', import.meta.url),
);
const haveCrd = existsSync(CRD_PATH);
if (!haveCrd) {
  console.info(`skipping SeldonDeployment CRD schema validation: ${CRD_PATH} is not present`);
}

/**
 * JSON Schema from a CRD's openAPIV3Schema: Kubernetes' x-kubernetes-* extensions removed, and fields the
 * schema does not declare refused, since the API server would silently prune them (a misspelt probe would
 * vanish rather than fail).
 */
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (node && typeof node === 'object') {
    const out: Record<string, unknown> = Object.fromEntries(
      Object.entries(node)
        .filter(([k]) => !k.startsWith('x-kubernetes-'))
        .map(([k, v]) => [k, toJsonSchema(v)]),
    );
    const preserve = (node as Record<string, unknown>)['x-kubernetes-preserve-unknown-fields'] === true;
    if (out.properties && !('additionalProperties' in out) && !preserve) out.additionalProperties = false;
    return out;
  }
  return node;
}

describe.skipIf(!haveCrd)('against the Seldon Core v1.17.1 CRD schema', () => {
  let compiled: ValidateFunction | undefined;
  const validate = () => {
    if (compiled) return compiled;
    const crd = parse(readFileSync(CRD_PATH, 'utf8')) as {
      spec: { versions: { name: string; schema: { openAPIV3Schema: object } }[] };
    };
    const v1 = crd.spec.versions.find((v) => v.name === 'v1')!;
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    compiled = ajv.compile(toJsonSchema(v1.schema.openAPIV3Schema) as object);
    return compiled;
  };

  test.each(EXAMPLES)('the %s manifest validates', (_label, opts) => {
    const check = validate();
    const ok = check(parse(toYaml(seldonDeployment(opts))));
    expect(check.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  test('the validator catches what the CRD forbids', () => {
    const check = validate();
    const bad = seldonDeployment({ model: 'fmnist', version: 1 });
    (predictorsOf(bad)[0] as unknown as Record<string, unknown>).traffic = 'all';
    expect(check(bad)).toBe(false);
    expect(JSON.stringify(check.errors)).toContain('/spec/predictors/0/traffic');

    const misspelt = seldonDeployment({ model: 'fmnist', version: 1 });
    const container = predictorsOf(misspelt)[0]!.componentSpecs[0]!.spec.containers[0]! as unknown as Record<
      string,
      unknown
    >;
    container.readinesProbe = container.readinessProbe;
    expect(check(misspelt)).toBe(false);
  });
});
