import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { runCli } from './helpers.js';

const run = (...argv: string[]) => runCli(undefined, ...argv);
const CANARY_DRY_RUN = [
  'deploy',
  '--model',
  'fmnist',
  '--version',
  '4',
  '--canary',
  '20',
  '--stable-version',
  '3',
  '--dry-run',
];

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('fmnist deploy', () => {
  it('prints the SeldonDeployment with --dry-run, without a cluster', async () => {
    const r = await run(
      'deploy',
      '--model',
      'fmnist',
      '--version',
      '3',
      '--target',
      'kubernetes',
      '--replicas',
      '2',
      '--dry-run',
    );
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('apiVersion: machinelearning.seldon.io/v1\nkind: SeldonDeployment\n')).toBe(
      true,
    );
    expect(r.stdout).toMatch(/^ {4}- name: main\n {6}replicas: 2\n {6}traffic: 100$/m);
    expect(r.stdout).toContain('image: fmnist/fmnist:v3');
  });

  it('prints a canary manifest as JSON', async () => {
    const r = await run(...CANARY_DRY_RUN, '-o', 'json');
    expect(r.code).toBe(0);
    const preds = JSON.parse(r.stdout).spec.predictors as { name: string; traffic: number }[];
    expect(preds.map((p) => [p.name, p.traffic])).toEqual([
      ['main', 80],
      ['canary', 20],
    ]);
  });

  it('takes the namespace from the kubeconfig context when --namespace is absent, and says a canary split needs a router', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fmnist-cli-kubeconfig-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'config');
    writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]',
        'users: [{name: u, user: {token: t}}]',
        'contexts: [{name: x, context: {cluster: c, user: u, namespace: ml-serving}}]',
        'current-context: x',
      ].join('\n'),
    );
    vi.stubEnv('KUBECONFIG', file);
    const r = await run(...CANARY_DRY_RUN);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ {2}namespace: ml-serving$/m);
    expect(r.stderr).toContain('only through Istio or Ambassador');
    const explicit = await run(
      'deploy',
      '--model',
      'fmnist',
      '--version',
      '4',
      '--namespace',
      'other',
      '--dry-run',
    );
    expect(explicit.stdout).toMatch(/^ {2}namespace: other$/m);
  });

  it('refuses a name Kubernetes would refuse, naming the field and the rule', async () => {
    const r = await run('deploy', '--model', 'Fashion_MNIST', '--version', '1', '--dry-run');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: model name "Fashion_MNIST" is not a DNS-1123 label');
  });

  it('finds a version in the registry, and says so when the model is not registered', async () => {
    const home = mkdtempSync(join(tmpdir(), 'fmnist-cli-deploy-'));
    onTestFinished(() => rmSync(home, { recursive: true, force: true }));
    const r = await run('--home', home, 'deploy', '--model', 'fmnist', '--version', 'latest');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error: .*fmnist/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('needs a version number with --model-dir', async () => {
    const r = await run('deploy', '--model', 'fmnist', '--version', 'latest', '--model-dir', '.');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--model-dir needs a version number');
  });

  it('says when there is no kubeconfig', async () => {
    vi.stubEnv('KUBECONFIG', join(tmpdir(), 'no-such-kubeconfig'));
    const r = await run('deploy', '--model', 'fmnist', '--version', '1', '--target', 'kubernetes');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error: KUBECONFIG names .*no-such-kubeconfig, which does not exist/);
  });

  it('checks option values', async () => {
    expect((await run('deploy', '--model', 'fmnist', '--version', '1', '--target', 'moon')).stderr).toContain(
      '--target must be local or kubernetes',
    );
    expect(
      (await run('deploy', '--model', 'fmnist', '--version', '1', '--canary', '100', '--dry-run')).code,
    ).toBe(2);
  });

  it('lists, deletes and rolls back local deployments by name', async () => {
    const home = mkdtempSync(join(tmpdir(), 'fmnist-cli-deploy-'));
    onTestFinished(() => rmSync(home, { recursive: true, force: true }));
    expect((await run('--home', home, 'deploy', 'list')).stdout).toBe('no local deployments\n');
    const del = await run('--home', home, 'deploy', 'delete', 'fmnist');
    expect(del.code).toBe(1);
    expect(del.stderr).toContain('no local deployment named "fmnist"');
    expect((await run('--home', home, 'deploy', 'rollback', 'fmnist')).stderr).toContain(
      'no local deployment named "fmnist"',
    );
  });
});
