import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { createKubernetesDeployer, loadKubeConfig } from '../src/kubernetes.js';
import { PREVIOUS_ANNOTATION } from '../src/manifest.js';
import type { DeployProgress } from '../src/types.js';
import { testDeployer } from './contract.js';
import { kubeConfigFor, startFakeKube } from './fixtures/fake-kube.js';

testDeployer('kubernetes (in-test API server)', async () => {
  const kube = await startFakeKube({ pollsUntilReady: 2 });
  return {
    deployer: createKubernetesDeployer({ kubeConfig: kube.kubeConfig(), pollIntervalMs: 5 }),
    request: (model, version) => ({ model, version }),
    cleanup: kube.close,
  };
});

describe('kubernetes target', () => {
  const servers: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  async function fake(opts: Parameters<typeof startFakeKube>[0] = {}) {
    const kube = await startFakeKube(opts);
    servers.push(kube);
    const deployer = createKubernetesDeployer({
      kubeConfig: kube.kubeConfig(),
      pollIntervalMs: 5,
      timeoutMs: 2000,
    });
    return { kube, deployer };
  }

  test('creates with a server-side apply (fieldManager fmnist, forced) after a 404, then waits for Available', async () => {
    const { kube, deployer } = await fake({ pollsUntilReady: 3 });
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
    // Status polls until the operator reports the new generation Available.
    expect(progress.map((p) => p.state)).toContain('Creating');
    expect(progress.at(-1)?.state).toBe('Available');
    expect(kube.objects.get('default/fmnist')?.metadata.annotations).toBeUndefined();
  });

  test('an update keeps the replaced spec in an annotation, and rollback re-applies it', async () => {
    const { kube, deployer } = await fake();
    await deployer.deploy({ model: 'fmnist', version: 1, replicas: 2 });
    await deployer.deploy({ model: 'fmnist', version: 2, replicas: 2 });
    const obj = kube.objects.get('default/fmnist')!;
    const kept = JSON.parse(obj.metadata.annotations![PREVIOUS_ANNOTATION]!);
    expect(kept.labels['fmnist.dev/model-version']).toBe('1');
    expect(kept.spec.predictors[0].componentSpecs[0].spec.containers[0].image).toBe('fmnist/fmnist:v1');

    const back = await deployer.rollback('fmnist');
    expect(back).toMatchObject({ version: 1, previousVersion: 2 });
    const after = kube.objects.get('default/fmnist')!;
    expect(after.metadata.labels?.['fmnist.dev/model-version']).toBe('1');
    expect((after.spec as { predictors: { replicas: number }[] }).predictors[0]?.replicas).toBe(2);
    expect(after.metadata.generation).toBe(3);
  });

  test('a canary adds a second predictor for the new version next to the serving one', async () => {
    const { kube, deployer } = await fake();
    await deployer.deploy({ model: 'fmnist', version: 1, image: 'registry.example/fmnist:v1' });
    const info = await deployer.deploy({ model: 'fmnist', version: 2, canaryPercent: 25 });
    expect(info).toMatchObject({ version: 1, canary: { version: 2, percent: 25 } });
    const preds = (kube.objects.get('default/fmnist')!.spec as { predictors: Record<string, unknown>[] })
      .predictors;
    expect(preds.map((p) => [p.name, p.traffic])).toEqual([
      ['main', 75],
      ['canary', 25],
    ]);
    // The stable predictor keeps the image it was deployed with.
    expect(JSON.stringify(preds[0])).toContain('registry.example/fmnist:v1');
  });

  test('a canary without a serving version is refused', async () => {
    const { deployer } = await fake();
    await expect(deployer.deploy({ model: 'fmnist', version: 2, canaryPercent: 10 })).rejects.toMatchObject({
      code: 'INVALID_OPTION',
      message: expect.stringContaining('deploy one without --canary first'),
    });
  });

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

  test('RBAC denials are FORBIDDEN and say which permission is missing', async () => {
    const { deployer } = await fake({ forbid: ['patch'] });
    const err = await deployer.deploy({ model: 'fmnist', version: 1 }).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'FORBIDDEN' });
    expect((err as Error).message).toContain('cannot patch resource "seldondeployments"');
    expect((err as Error).message).toContain('Role granting');
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

  test('a Failed deployment reports the resource events', async () => {
    const { deployer } = await fake({ finalState: 'Failed' });
    const err = await deployer.deploy({ model: 'fmnist', version: 1 }).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'DEPLOY_FAILED' });
    expect((err as unknown as { details: string[] }).details.join('\n')).toContain(
      'Warning InternalError SeldonDeployment/fmnist: pod fmnist-main-0 crash looping',
    );
  });

  test('waiting gives up after the timeout with the events so far', async () => {
    const kube = await startFakeKube({ pollsUntilReady: 1_000_000 });
    servers.push(kube);
    const deployer = createKubernetesDeployer({
      kubeConfig: kube.kubeConfig(),
      pollIntervalMs: 5,
      timeoutMs: 50,
    });
    const err = await deployer.deploy({ model: 'fmnist', version: 1 }).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'TIMEOUT', message: expect.stringContaining('state: Creating') });
    expect((err as unknown as { details: string[] }).details.join('\n')).toContain('applied generation 1');
  });

  test('wait: false returns right after the apply', async () => {
    const { kube, deployer } = await fake({ pollsUntilReady: 1_000_000 });
    const info = await deployer.deploy({ model: 'fmnist', version: 1, wait: false });
    expect(info.state).toBe('Creating');
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
    await expect(deployer.deploy({ model: 'fmnist', version: 1, namespace: 'Prod' })).rejects.toMatchObject({
      code: 'INVALID_NAME',
      message: expect.stringContaining('namespace "Prod"'),
    });
    expect(kube.requests).toEqual([]);
  });
});

describe('loadKubeConfig', () => {
  const homes: string[] = [];
  const emptyHome = () => {
    homes.push(mkdtempSync(join(tmpdir(), 'fmnist-home-')));
    return homes.at(-1)!;
  };
  afterAll(() => {
    for (const h of homes) rmSync(h, { recursive: true, force: true });
  });

  test('with no KUBECONFIG, no ~/.kube/config and no in-cluster account it is NO_KUBECONFIG', () => {
    expect(() => loadKubeConfig({}, emptyHome())).toThrow(
      expect.objectContaining({ code: 'NO_KUBECONFIG', message: expect.stringContaining('set KUBECONFIG') }),
    );
  });

  test('a KUBECONFIG naming a missing file says which file', () => {
    expect(() => loadKubeConfig({ KUBECONFIG: '/nonexistent/kubeconfig' }, emptyHome())).toThrow(
      expect.objectContaining({
        code: 'NO_KUBECONFIG',
        message: expect.stringContaining('/nonexistent/kubeconfig'),
      }),
    );
  });

  test('reads the file KUBECONFIG names', () => {
    const dir = emptyHome();
    const file = join(dir, 'config');
    writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: c, cluster: {server: "https://10.0.0.1:6443"}}]',
        'users: [{name: u, user: {token: t}}]',
        'contexts: [{name: x, context: {cluster: c, user: u}}]',
        'current-context: x',
      ].join('\n'),
    );
    expect(loadKubeConfig({ KUBECONFIG: file }, emptyHome()).getCurrentCluster()?.server).toBe(
      'https://10.0.0.1:6443',
    );
  });
});

// Against a real cluster only when KUBECONFIG says where one is; a server-side dry run changes nothing there.
describe.skipIf(!process.env.KUBECONFIG)('live cluster (KUBECONFIG)', () => {
  test('the API server admits the generated SeldonDeployment (dry run)', async () => {
    const deployer = createKubernetesDeployer({ namespace: process.env.FMNIST_NAMESPACE ?? 'default' });
    const info = await deployer.deploy({ model: 'fmnist-live-check', version: 1, serverDryRun: true });
    expect(info.name).toBe('fmnist-live-check');
  });
});
