import { afterEach, describe, expect, test } from 'vitest';
import { createKubernetesDeployer } from '../src/kubernetes/index.js';
import { PREVIOUS_ANNOTATION } from '../src/manifest.js';
import type { DeployProgress } from '../src/types.js';
import { testDeployer } from './contract.js';
import { type FakeKubeOptions, kubeConfigFor, startFakeKube } from './fixtures/fake-kube/index.js';

testDeployer('kubernetes (in-test API server)', async () => {
  const kube = await startFakeKube();
  return {
    deployer: createKubernetesDeployer({ kubeConfig: kube.kubeConfig(), pollIntervalMs: 2 }),
    request: (model, version) => ({ model, version }),
    cleanup: kube.close,
  };
});

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function fake(opts: FakeKubeOptions = {}, timeoutMs = 5000) {
  const kube = await startFakeKube(opts);
  servers.push(kube);
  const deployer = createKubernetesDeployer({ kubeConfig: kube.kubeConfig(), pollIntervalMs: 2, timeoutMs });
  return { kube, deployer };
}

const details = (e: unknown) => ((e as { details?: string[] }).details ?? []).join('\n');

describe('kubernetes target: apply', () => {
  test('creates with a server-side apply (fieldManager fmnist, forced), then waits for the rollout', async () => {
    const { kube, deployer } = await fake();
    const progress: DeployProgress[] = [];
    const info = await deployer.deploy({ model: 'fmnist', version: 4, onProgress: (e) => progress.push(e) });
    expect(info).toMatchObject({ name: 'fmnist', namespace: 'default', version: 4, state: 'Available' });

    const patch = kube.requests.find((r) => r.method === 'PATCH');
    expect(patch?.path).toBe(
      '/apis/machinelearning.seldon.io/v1/namespaces/default/seldondeployments/fmnist',
    );
    expect(patch?.contentType).toBe('application/apply-patch+yaml');
    expect(patch?.query.get('fieldManager')).toBe('fmnist');
    expect(patch?.query.get('force')).toBe('true');
    expect(patch?.body).toMatchObject({ kind: 'SeldonDeployment', metadata: { name: 'fmnist' } });
    // It followed the operator's Deployment, not the SeldonDeployment's status.
    const messages = progress.map((p) => p.message).join('\n');
    expect(messages).toContain('deployment "fmnist-main-0-fmnist": 0 of 1 updated replicas are available');
    expect(kube.requests.some((r) => r.path === '/apis/apps/v1/namespaces/default/deployments')).toBe(true);
    const deployments = [...kube.cluster.deployments.values()];
    expect(deployments.map((d) => d.metadata.name)).toEqual(['fmnist-main-0-fmnist']);
    expect(kube.cluster.pods().every((p) => p.status?.phase === 'Running')).toBe(true);
  });

  test('during a rolling update the SeldonDeployment stays Available; deploy waits for the new pods anyway', async () => {
    const { kube, deployer } = await fake({ podReadySteps: 6 });
    await deployer.deploy({ model: 'fmnist', version: 1 });
    const seen: { state?: string; message: string }[] = [];
    await deployer.deploy({ model: 'fmnist', version: 2, onProgress: (e) => seen.push(e) });
    // The operator kept reporting Available while only the old pod served ...
    expect(seen.some((e) => e.state === 'Available' && /replicas/.test(e.message))).toBe(true);
    // ... and deploy returned only once every pod runs v2 and the v1 pod is gone.
    const pods = kube.cluster.pods();
    expect(pods.map((p) => p.metadata.labels?.['fmnist.dev/model-version'])).toEqual(['2']);
    expect(pods[0]?.status).toMatchObject({
      conditions: expect.arrayContaining([{ type: 'Ready', status: 'True' }]),
    });
    // The operator never writes observedGeneration on the SeldonDeployment.
    expect(kube.objects.get('default/fmnist')?.status).not.toHaveProperty('observedGeneration');
  });

  test('an image that cannot be pulled fails within the deadline with the pod’s reason and events', async () => {
    const { kube, deployer } = await fake(
      { images: { 'registry.example/fmnist:v2': 'ImagePullBackOff' } },
      400,
    );
    await deployer.deploy({ model: 'fmnist', version: 1 });
    const started = Date.now();
    const err = await deployer
      .deploy({ model: 'fmnist', version: 2, image: 'registry.example/fmnist:v2' })
      .catch((e: Error) => e);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(err).toMatchObject({
      code: 'TIMEOUT',
      message: expect.stringContaining('did not roll out within'),
    });
    expect((err as Error).message).toContain('SeldonDeployment state: Available');
    expect(details(err)).toMatch(
      /container fmnist: ImagePullBackOff \(Back-off pulling image "registry\.example\/fmnist:v2"\)/,
    );
    expect(details(err)).toContain('Warning Failed Pod/fmnist-main-0-fmnist-');
    // v1 still serves: nothing was torn down.
    expect(kube.cluster.pods().some((p) => p.metadata.labels?.['fmnist.dev/model-version'] === '1')).toBe(
      true,
    );
  });

  test('a crash-looping container is reported with its last exit', async () => {
    const { deployer } = await fake({ images: { 'fmnist/fmnist:v1': 'CrashLoopBackOff' } }, 300);
    const err = await deployer.deploy({ model: 'fmnist', version: 1 }).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'TIMEOUT' });
    expect(details(err)).toMatch(/container fmnist: CrashLoopBackOff .*; last exit 1 Error/);
    expect(details(err)).toContain('Back-off restarting failed container fmnist');
  });

  test('a pod no node can take is reported as unschedulable', async () => {
    const { deployer } = await fake({ images: { 'fmnist/fmnist:v1': 'Unschedulable' } }, 300);
    const err = await deployer.deploy({ model: 'fmnist', version: 1 }).catch((e: Error) => e);
    expect(details(err)).toMatch(
      /is not scheduled: Unschedulable \(0\/1 nodes are available: 1 Insufficient cpu/,
    );
    expect(details(err)).toContain('Warning FailedScheduling');
  });

  test('ProgressDeadlineExceeded on the Deployment fails the deploy before the timeout', async () => {
    const { deployer } = await fake(
      { images: { 'fmnist/fmnist:v1': 'ImagePullBackOff' }, progressDeadlineSteps: 10 },
      60_000,
    );
    const err = await deployer.deploy({ model: 'fmnist', version: 1 }).catch((e: Error) => e);
    expect(err).toMatchObject({
      code: 'DEPLOY_FAILED',
      message: expect.stringContaining('exceeded its progress deadline'),
    });
    expect(details(err)).toContain('ImagePullBackOff');
  });

  test('a deploy onto a SeldonDeployment being deleted waits until it is gone, then creates it anew', async () => {
    const { kube, deployer } = await fake({ gcSteps: 8 });
    await deployer.deploy({ model: 'fmnist', version: 1 });
    const oldUid = kube.objects.get('default/fmnist')?.metadata.uid;
    await deployer.delete('fmnist', { wait: false });
    const terminating = kube.objects.get('default/fmnist');
    expect(terminating?.metadata.deletionTimestamp).toBeDefined();
    expect(terminating?.metadata.finalizers).toEqual(['foregroundDeletion']);
    expect(await deployer.get('fmnist')).toMatchObject({ state: 'Terminating' });

    const progress: string[] = [];
    const info = await deployer.deploy({
      model: 'fmnist',
      version: 2,
      onProgress: (e) => progress.push(e.message),
    });
    expect(progress[0]).toContain('is being deleted (finalizers: foregroundDeletion)');
    expect(info).toMatchObject({ version: 2, state: 'Available' });
    const fresh = kube.objects.get('default/fmnist')!;
    expect(fresh.metadata.uid).not.toBe(oldUid);
    expect(fresh.metadata.generation).toBe(1);
    // A new object: nothing left to roll back to from before the delete.
    expect(info.previousVersion).toBeUndefined();
  });

  test('an object that stays terminating is reported, not applied onto', async () => {
    const { kube, deployer } = await fake({ gcSteps: 1_000_000 }, 200);
    await deployer.deploy({ model: 'fmnist', version: 1 });
    await deployer.delete('fmnist', { wait: false });
    const patches = kube.requests.filter((r) => r.method === 'PATCH').length;
    await expect(deployer.deploy({ model: 'fmnist', version: 2 })).rejects.toMatchObject({
      code: 'TERMINATING',
      message: expect.stringContaining('still being deleted'),
    });
    expect(kube.requests.filter((r) => r.method === 'PATCH')).toHaveLength(patches);
  });

  test('delete waits (like kubectl delete) until the object, its Deployments and pods are gone', async () => {
    const { kube, deployer } = await fake({ gcSteps: 5 });
    await deployer.deploy({ model: 'fmnist', version: 1 });
    await deployer.delete('fmnist');
    expect(kube.requests.find((r) => r.method === 'DELETE')?.query.get('propagationPolicy')).toBe(
      'Foreground',
    );
    expect(kube.objects.size).toBe(0);
    expect(kube.cluster.deployments.size).toBe(0);
    expect(kube.cluster.pods()).toEqual([]);
  });
});

describe('kubernetes target: versions and rollback', () => {
  test('the server answers with sorted keys and webhook defaults; redeploying the same version keeps the previous one', async () => {
    const { kube, deployer } = await fake();
    await deployer.deploy({ model: 'fmnist', version: 1, replicas: 2 });
    await deployer.deploy({ model: 'fmnist', version: 2, replicas: 2 });
    const stored = kube.objects.get('default/fmnist')!;
    const graph = (stored.spec as { predictors: { graph: { endpoint: Record<string, unknown> } }[] })
      .predictors[0]!.graph;
    expect(graph.endpoint.service_host).toBe('localhost');
    const generation = stored.metadata.generation;

    expect(await deployer.deploy({ model: 'fmnist', version: 2, replicas: 2 })).toMatchObject({
      previousVersion: 1,
    });
    expect(kube.objects.get('default/fmnist')!.metadata.generation).toBe(generation);
    const kept = JSON.parse(kube.objects.get('default/fmnist')!.metadata.annotations![PREVIOUS_ANNOTATION]!);
    expect(kept.labels['fmnist.dev/model-version']).toBe('1');

    const back = await deployer.rollback('fmnist');
    expect(back).toMatchObject({ version: 1, previousVersion: 2 });
    const after = kube.objects.get('default/fmnist')!;
    expect(after.metadata.labels?.['fmnist.dev/model-version']).toBe('1');
    expect((after.spec as { predictors: { replicas: number }[] }).predictors[0]?.replicas).toBe(2);
    expect(kube.cluster.pods().map((p) => p.metadata.labels?.['fmnist.dev/model-version'])).toEqual([
      '1',
      '1',
    ]);
  });

  test('a canary adds a second predictor; without Istio or Ambassador the split is marked as not applied', async () => {
    const { kube, deployer } = await fake();
    await deployer.deploy({ model: 'fmnist', version: 1, image: 'registry.example/fmnist:v1' });
    const info = await deployer.deploy({ model: 'fmnist', version: 2, canaryPercent: 25 });
    expect(info).toMatchObject({ version: 1, canary: { version: 2, percent: 25, trafficSplit: 'none' } });
    const preds = (kube.objects.get('default/fmnist')!.spec as { predictors: Record<string, unknown>[] })
      .predictors;
    expect(preds.map((p) => [p.name, p.traffic])).toEqual([
      ['main', 75],
      ['canary', 25],
    ]);
    expect(JSON.stringify(preds[0])).toContain('registry.example/fmnist:v1');
    expect([...kube.cluster.deployments.keys()].sort()).toEqual([
      'default/fmnist-canary-0-fmnist',
      'default/fmnist-main-0-fmnist',
    ]);
  });

  test('with Istio installed the canary is reported as split by Istio; deployments without a canary never ask', async () => {
    const { kube, deployer } = await fake({ routers: ['istio'] });
    await deployer.deploy({ model: 'fmnist', version: 1 });
    expect(kube.requests.some((r) => r.path.startsWith('/apis/networking.istio.io'))).toBe(false);
    const info = await deployer.deploy({ model: 'fmnist', version: 2, canaryPercent: 10 });
    expect(info.canary).toEqual({ version: 2, percent: 10, trafficSplit: 'istio' });
  });

  test('a canary without a serving version is refused', async () => {
    const { deployer } = await fake();
    await expect(deployer.deploy({ model: 'fmnist', version: 2, canaryPercent: 10 })).rejects.toMatchObject({
      code: 'INVALID_OPTION',
      message: expect.stringContaining('deploy one without --canary first'),
    });
  });
});

describe('kubernetes target: errors and options', () => {
  test('409 conflicts are retried, and reported once they persist', async () => {
    const once = await fake({ conflicts: 1 });
    expect(await once.deployer.deploy({ model: 'fmnist', version: 1 })).toMatchObject({ state: 'Available' });
    expect(once.kube.requests.filter((r) => r.method === 'PATCH')).toHaveLength(2);

    const always = await fake({ conflicts: 100 });
    await expect(always.deployer.deploy({ model: 'fmnist', version: 1 })).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringContaining('the object has been modified'),
    });
  });

  test('RBAC denials are FORBIDDEN and name every verb a first apply needs, create included', async () => {
    const { deployer } = await fake({ forbid: ['patch'] });
    const err = await deployer.deploy({ model: 'fmnist', version: 1 }).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'FORBIDDEN' });
    expect((err as Error).message).toContain('cannot patch resource "seldondeployments"');
    expect((err as Error).message).toMatch(/get, list, create, patch and delete on seldondeployments/);
    expect((err as Error).message).toContain('deployments.apps, pods and events');
  });

  test('a cluster without the SeldonDeployment CRD says the Seldon Core operator is needed', async () => {
    const { deployer } = await fake({ crdInstalled: false });
    for (const op of [
      () => deployer.deploy({ model: 'fmnist', version: 1 }),
      () => deployer.list(),
      () => deployer.delete('fmnist'),
    ]) {
      await expect(op()).rejects.toMatchObject({
        code: 'CRD_MISSING',
        message: expect.stringContaining('install the Seldon Core operator'),
      });
    }
  });

  test('wait: false returns right after the apply, before the operator has written any status', async () => {
    const { kube, deployer } = await fake();
    const info = await deployer.deploy({ model: 'fmnist', version: 1, wait: false });
    expect(info.state).toBe('Unknown');
    expect(kube.objects.has('default/fmnist')).toBe(true);
  });

  test('a server-side dry run asks for dryRun=All and changes nothing', async () => {
    const { kube, deployer } = await fake();
    await deployer.deploy({ model: 'fmnist', version: 1, serverDryRun: true });
    expect(kube.requests.find((r) => r.method === 'PATCH')?.query.get('dryRun')).toBe('All');
    expect(kube.objects.size).toBe(0);
  });

  test('deploys into the namespace asked for', async () => {
    const { kube, deployer } = await fake();
    await deployer.deploy({ model: 'fmnist', version: 1, namespace: 'models', name: 'fmnist-prod' });
    expect(kube.objects.get('models/fmnist-prod')?.metadata.labels?.['fmnist.dev/model']).toBe('fmnist');
  });

  test('without a namespace option, the kubeconfig context’s namespace is used', async () => {
    const kube = await startFakeKube();
    servers.push(kube);
    const deployer = createKubernetesDeployer({ kubeConfig: kube.kubeConfig('ml-team'), pollIntervalMs: 2 });
    expect(deployer.namespace).toBe('ml-team');
    expect(await deployer.deploy({ model: 'fmnist', version: 1 })).toMatchObject({ namespace: 'ml-team' });
    expect(kube.objects.has('ml-team/fmnist')).toBe(true);
    expect((await deployer.list()).map((d) => d.name)).toEqual(['fmnist']);
  });

  test('an unreachable API server is API_UNREACHABLE and names the server', async () => {
    const kube = await startFakeKube();
    await kube.close();
    const deployer = createKubernetesDeployer({ kubeConfig: kubeConfigFor(kube.url) });
    await expect(deployer.list()).rejects.toMatchObject({
      code: 'API_UNREACHABLE',
      message: expect.stringContaining(kube.url),
    });
  });

  test('invalid names never reach the cluster', async () => {
    const { kube, deployer } = await fake();
    const before = kube.requests.length;
    await expect(deployer.deploy({ model: 'fmnist', version: 1, namespace: 'Prod' })).rejects.toMatchObject({
      code: 'INVALID_NAME',
      message: expect.stringContaining('namespace "Prod"'),
    });
    expect(kube.requests.length).toBe(before);
  });
});

// Against a real cluster only when KUBECONFIG says where one is; a server-side dry run changes nothing there.
describe.skipIf(!process.env.KUBECONFIG || Boolean(process.env.FMNIST_KUBE_BIN))(
  'live cluster (KUBECONFIG)',
  () => {
    test('the API server admits the generated SeldonDeployment (dry run)', async () => {
      const deployer = createKubernetesDeployer(
        process.env.FMNIST_NAMESPACE ? { namespace: process.env.FMNIST_NAMESPACE } : {},
      );
      const info = await deployer.deploy({ model: 'fmnist-live-check', version: 1, serverDryRun: true });
      expect(info.name).toBe('fmnist-live-check');
    });
  },
);
