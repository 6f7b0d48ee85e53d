import { afterAll, describe, expect, test, vi } from 'vitest';
import { createKubernetesDeployer } from '../src/kubernetes/index.js';
import { testDeployer } from './contract.js';
import { startFakeKube } from './fixtures/fake-kube/index.js';
import { startOperator } from './fixtures/real-kube/operator.js';
import {
  apiCall,
  type ControlPlane,
  crdFile,
  kubeBinDir,
  startControlPlane,
} from './fixtures/real-kube/plane.js';

// A real kube-apiserver, controller-manager, scheduler and KWOK, when .ci/setup.d/kube.sh has built them
// and ../shared has the Seldon Core CRD; otherwise every test here is skipped.
const bin = kubeBinDir();
const crd = crdFile();
// In CI only with FMNIST_KUBE_BUILD=1: a cold build of the plane (~35 min here) and this suite (~9 min)
// do not fit well in CI's budget, so there it is the same opt-in as the build in .ci/setup.d/kube.sh.
const why = !bin
  ? 'no control plane in $FMNIST_TOOLS_DIR/kube/bin (run bash .ci/setup.d/kube.sh)'
  : !crd
    ? 'no ../shared/specs/seldondeployment-crd.yaml'
    : process.env.CI === 'true' && process.env.FMNIST_KUBE_BUILD !== '1'
      ? 'CI without FMNIST_KUBE_BUILD=1'
      : undefined;
// Real rollouts and Foreground deletes take seconds to a minute each here (the garbage collector and KWOK's
// pod deletion are the slow parts), so these tests get minutes; the in-test server covers the same paths fast.
vi.setConfig({ hookTimeout: 240_000, testTimeout: 600_000 });

let plane: Promise<{ cp: ControlPlane; operator: { stop(): Promise<void> } }> | undefined;
function cluster() {
  plane ??= (async () => {
    const cp = await startControlPlane(bin!, crd!);
    return { cp, operator: startOperator(cp.call) };
  })();
  return plane;
}
afterAll(async () => {
  if (!plane) return;
  const { cp, operator } = await plane;
  await operator.stop();
  await cp.close();
});

async function deployer(timeoutMs = 240_000) {
  const { cp } = await cluster();
  const { loadKubeConfig } = await import('../src/kubernetes/index.js');
  return createKubernetesDeployer({
    kubeConfig: loadKubeConfig({ KUBECONFIG: cp.kubeconfigFile }),
    pollIntervalMs: 200,
    timeoutMs,
  });
}

describe.skipIf(Boolean(why))(`real control plane${why ? ` (skipped: ${why})` : ''}`, () => {
  testDeployer('kubernetes (real kube-apiserver, controller-manager, scheduler and KWOK)', async () => ({
    deployer: await deployer(),
    request: (model, version) => ({ model, version }),
    cleanup: async () => {},
  }));

  test('a Foreground delete leaves the object terminating until the garbage collector is done; deploy waits', async () => {
    const d = await deployer();
    const { cp } = await cluster();
    await d.deploy({ model: 'coats', version: 1, replicas: 2 });
    const pods = (
      await cp.call('GET', '/api/v1/namespaces/default/pods?labelSelector=seldon-deployment-id%3Dcoats')
    ).body as { items: unknown[] };
    expect(pods.items).toHaveLength(2);
    await d.delete('coats', { wait: false });
    const obj = await d.read('coats');
    // Either still terminating, with the finalizer the API server set, or already gone.
    if (obj) {
      expect(obj.metadata.deletionTimestamp).toBeDefined();
      expect(obj.metadata.finalizers).toContain('foregroundDeletion');
    }
    const progress: string[] = [];
    const info = await d.deploy({ model: 'coats', version: 2, onProgress: (e) => progress.push(e.message) });
    expect(info).toMatchObject({ version: 2, state: 'Available' });
    expect(info.previousVersion).toBeUndefined();
    await d.delete('coats');
    expect(await d.read('coats')).toBeUndefined();
  });

  test('the in-test API server answers errors in the real server’s shape, and both sort keys', async () => {
    const { cp } = await cluster();
    const fake = await startFakeKube();
    try {
      const ask = async (method: string, path: string, body?: unknown, ct?: string) => {
        const real = await cp.call(method, path, body, ct);
        const res = await fetch(`${fake.url}${path}`, {
          method,
          headers: ct ? { 'content-type': ct } : {},
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        return { real, fake: { status: res.status, text: await res.text() } };
      };
      const shape = (text: string) => {
        const b = JSON.parse(text) as Record<string, unknown>;
        const details = (b.details ?? {}) as Record<string, unknown>;
        return {
          kind: b.kind,
          status: b.status,
          reason: b.reason,
          code: b.code,
          message: b.message,
          group: details.group,
          detailsKind: details.kind,
          name: details.name,
        };
      };
      const base = '/apis/machinelearning.seldon.io/v1/namespaces/default/seldondeployments';
      const missing = await ask('GET', `${base}/no-such-thing`);
      expect(missing.fake.status).toBe(missing.real.status);
      expect(shape(missing.fake.text)).toEqual(shape(missing.real.text));

      const invalid = {
        apiVersion: 'machinelearning.seldon.io/v1',
        kind: 'SeldonDeployment',
        metadata: { name: 'broken' },
        spec: {},
      };
      const bad = await ask(
        'PATCH',
        `${base}/broken?fieldManager=fmnist&force=true`,
        invalid,
        'application/apply-patch+yaml',
      );
      expect(bad.real.status).toBe(422);
      expect(bad.fake.status).toBe(422);
      const [r, f] = [shape(bad.real.text), shape(bad.fake.text)];
      expect({ ...f, message: undefined }).toEqual({ ...r, message: undefined });
      expect(r.message).toContain('spec.predictors: Required value');
      expect(f.message).toContain('spec.predictors: Required value');

      const unknown = await ask('GET', '/apis/getambassador.io/v2');
      expect([unknown.fake.status, unknown.fake.text]).toEqual([unknown.real.status, unknown.real.text]);

      // Custom resources come back with sorted keys from both.
      const d = await deployer();
      await d.deploy({ model: 'scarves', version: 1, wait: false });
      const text = (await apiCall(cp.server, 'GET', `${base}/scarves`)).text;
      const keys = Object.keys(JSON.parse(text).spec.predictors[0]);
      expect(keys).toEqual([...keys].sort());
      await d.delete('scarves');
    } finally {
      await fake.close();
    }
  });
});
