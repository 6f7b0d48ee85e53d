import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, describe, expect, test } from 'vitest';
import { loadKubeConfig, namespaceOf } from '../src/kubernetes/index.js';

const dirs: string[] = [];
const tempDir = () => {
  dirs.push(mkdtempSync(join(tmpdir(), 'fmnist-kubeconfig-')));
  return dirs.at(-1)!;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function kubeconfig(o: {
  clusters: [string, string][];
  contexts: [string, string, string?][];
  current?: string;
}): string {
  const file = join(tempDir(), 'config');
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [${o.clusters.map(([n, s]) => `{name: ${n}, cluster: {server: "${s}", certificate-authority: ca.crt}}`).join(', ')}]`,
      'users: [{name: u, user: {token: t}}]',
      `contexts: [${o.contexts.map(([n, c, ns]) => `{name: ${n}, context: {cluster: ${c}, user: u${ns ? `, namespace: ${ns}` : ''}}}`).join(', ')}]`,
      ...(o.current ? [`current-context: ${o.current}`] : []),
    ].join('\n'),
  );
  return file;
}

describe('loadKubeConfig', () => {
  test('with no KUBECONFIG, no ~/.kube/config and no in-cluster account it is NO_KUBECONFIG', () => {
    expect(() => loadKubeConfig({}, tempDir())).toThrow(
      expect.objectContaining({ code: 'NO_KUBECONFIG', message: expect.stringContaining('set KUBECONFIG') }),
    );
  });

  test('a KUBECONFIG naming only missing files says which', () => {
    expect(() => loadKubeConfig({ KUBECONFIG: '/nonexistent/kubeconfig' }, tempDir())).toThrow(
      expect.objectContaining({
        code: 'NO_KUBECONFIG',
        message: expect.stringContaining('/nonexistent/kubeconfig'),
      }),
    );
  });

  test('reads the file KUBECONFIG names, with relative paths resolved against it', () => {
    const file = kubeconfig({
      clusters: [['c', 'https://10.0.0.1:6443']],
      contexts: [['x', 'c']],
      current: 'x',
    });
    const kc = loadKubeConfig({ KUBECONFIG: file }, tempDir());
    expect(kc.getCurrentCluster()?.server).toBe('https://10.0.0.1:6443');
    expect(kc.getCurrentCluster()?.caFile).toBe(join(file, '..', 'ca.crt'));
  });

  test('several files merge as kubectl merges them: first current-context and first definition win, duplicates are fine', () => {
    const first = kubeconfig({
      clusters: [['prod', 'https://prod.example:6443']],
      contexts: [['prod', 'prod', 'serving']],
      current: 'prod',
    });
    const second = kubeconfig({
      clusters: [
        ['prod', 'https://shadowed.example:6443'],
        ['dev', 'https://dev.example:6443'],
      ],
      contexts: [
        ['prod', 'dev'],
        ['dev', 'dev', 'sandbox'],
      ],
      current: 'dev',
    });
    const kc = loadKubeConfig(
      { KUBECONFIG: [first, '/nonexistent/skipped', second].join(delimiter) },
      tempDir(),
    );
    expect(kc.currentContext).toBe('prod');
    expect(kc.getCurrentCluster()?.server).toBe('https://prod.example:6443');
    expect(namespaceOf(kc, {})).toBe('serving');
    expect(kc.getContextObject('dev')?.namespace).toBe('sandbox');
    expect(kc.clusters.map((c) => c.name)).toEqual(['prod', 'dev']);
  });

  test('a current-context set only by a later file is used', () => {
    const first = kubeconfig({ clusters: [['a', 'https://a.example']], contexts: [['a', 'a']] });
    const second = kubeconfig({
      clusters: [['b', 'https://b.example']],
      contexts: [['b', 'b']],
      current: 'b',
    });
    expect(
      loadKubeConfig({ KUBECONFIG: `${first}${delimiter}${second}` }, tempDir()).getCurrentCluster()?.server,
    ).toBe('https://b.example');
  });

  test('a current context naming no defined cluster says so', () => {
    const file = kubeconfig({
      clusters: [['c', 'https://c.example']],
      contexts: [['x', 'missing']],
      current: 'x',
    });
    expect(() => loadKubeConfig({ KUBECONFIG: file }, tempDir())).toThrow(
      expect.objectContaining({
        code: 'NO_KUBECONFIG',
        message: expect.stringContaining('"x" names no cluster'),
      }),
    );
  });
});

describe('namespaceOf', () => {
  const inCluster = (namespace?: string) => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'inCluster', server: 'https://10.96.0.1:443' }],
      users: [{ name: 'inClusterUser' }],
      contexts: [{ name: 'inClusterContext', cluster: 'inCluster', user: 'inClusterUser', namespace }],
      currentContext: 'inClusterContext',
    });
    return kc;
  };

  test('is the context’s namespace, else default', () => {
    expect(namespaceOf(inCluster('team-a'), {})).toBe('team-a');
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: 'https://c' }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    expect(namespaceOf(kc, {})).toBe('default');
  });

  test('in a pod: POD_NAMESPACE first, then the service account’s namespace file', () => {
    const env = { KUBERNETES_SERVICE_HOST: '10.96.0.1' };
    expect(namespaceOf(inCluster('from-file'), { ...env, POD_NAMESPACE: 'from-env' })).toBe('from-env');
    const file = join(tempDir(), 'namespace');
    writeFileSync(file, 'models\n');
    expect(namespaceOf(inCluster(), env, file)).toBe('models');
    expect(namespaceOf(inCluster(), env, join(tempDir(), 'none'))).toBe('default');
  });
});
