import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { freePort, isAlive } from '../src/internal/process.js';
import { createLocalDeployer, type LocalDeployer, type LocalDeploymentRecord } from '../src/local.js';
import type { ServeCommand } from '../src/types.js';
import { testDeployer } from './contract.js';

const FAKE_SERVE = fileURLToPath(new URL('./fixtures/fake-serve.mjs', import.meta.url));

function fakeServe(extra: string[] = []) {
  return ({ version }: { version: number }): ServeCommand => ({
    command: process.execPath,
    args: (port) => [FAKE_SERVE, '--port', String(port), '--version', String(version), ...extra],
  });
}

function modelDir(home: string, version: number): string {
  const dir = join(home, 'models', `v${version}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model.json'), JSON.stringify({ version }));
  return dir;
}

const homes: string[] = [];
const deployers: LocalDeployer[] = [];
function newHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'fmnist-deploy-'));
  homes.push(home);
  return home;
}
async function newDeployer(extra: Partial<Parameters<typeof createLocalDeployer>[0]> = {}) {
  const home = newHome();
  const deployer = createLocalDeployer({
    home,
    serveCommand: fakeServe(),
    defaultPort: await freePort('127.0.0.1'),
    healthTimeoutMs: 15_000,
    drainMs: 50,
    ...extra,
  });
  deployers.push(deployer);
  return { home, deployer };
}

// Deployments are detached processes: whatever a test leaves running is stopped here.
afterAll(async () => {
  for (const d of deployers) {
    for (const dep of await d.list()) await d.delete(dep.name).catch(() => undefined);
  }
  for (const h of homes) rmSync(h, { recursive: true, force: true });
});

testDeployer('local (fake model server)', async () => {
  const { home, deployer } = await newDeployer();
  return {
    deployer,
    request: (model, version) => ({ model, version, modelDir: modelDir(home, version) }),
    cleanup: async () => undefined,
  };
});

describe('local target', () => {
  test('a new version takes over the stable address with no failed request under load', async () => {
    const { home, deployer } = await newDeployer();
    const v1 = await deployer.deploy({ model: 'fmnist', version: 1, modelDir: modelDir(home, 1) });
    const url = `${v1.url}/api/v1.0/predictions`;

    let running = true;
    const seen: number[] = [];
    const failures: string[] = [];
    const client = async () => {
      while (running) {
        try {
          const res = await fetch(url, { method: 'POST', body: '{"data":{"ndarray":[[0]]}}' });
          const body = (await res.json()) as { version: number; echo: string };
          if (res.status !== 200 || body.echo !== '{"data":{"ndarray":[[0]]}}')
            failures.push(`HTTP ${res.status}`);
          else seen.push(body.version);
        } catch (e) {
          failures.push(String((e as Error).cause ?? e));
        }
      }
    };
    const clients = [client(), client(), client()];
    while (seen.length < 20) await new Promise((r) => setTimeout(r, 5));
    const v2 = await deployer.deploy({ model: 'fmnist', version: 2, modelDir: modelDir(home, 2) });
    const afterSwitch = seen.length;
    while (seen.length < afterSwitch + 20) await new Promise((r) => setTimeout(r, 5));
    running = false;
    await Promise.all(clients);

    expect(failures).toEqual([]);
    expect(seen[0]).toBe(1);
    expect(seen.at(-1)).toBe(2);
    // Once the switch is done, only the new version answers.
    expect(seen.slice(afterSwitch + 3).every((v) => v === 2)).toBe(true);
    expect(v2.url).toBe(v1.url);
    expect(v2.pid).toBe(v1.pid);
    expect(v2.backendPort).not.toBe(v1.backendPort);
    expect(isAlive(v1.backendPid)).toBe(false);
    expect(isAlive(v2.backendPid)).toBe(true);
  });

  test('the record says what runs where, and is replaced whole', async () => {
    const { home, deployer } = await newDeployer();
    const info = await deployer.deploy({ model: 'fmnist', version: 7, modelDir: modelDir(home, 7) });
    const rec = JSON.parse(
      readFileSync(join(home, 'deployments', 'fmnist.json'), 'utf8'),
    ) as LocalDeploymentRecord;
    expect(rec).toMatchObject({
      name: 'fmnist',
      model: 'fmnist',
      version: 7,
      port: info.port,
      pid: info.pid,
      backend: { pid: info.backendPid, port: info.backendPort },
    });
    expect(Date.parse(rec.started)).not.toBeNaN();
    expect(readFileSync(rec.backend.log, 'utf8')).toContain(`fake serve v7 on ${info.backendPort}`);
  });

  test('list shows a deployment whose server died as Degraded, and delete stops everything', async () => {
    const { home, deployer } = await newDeployer();
    const info = await deployer.deploy({ model: 'fmnist', version: 1, modelDir: modelDir(home, 1) });
    process.kill(info.backendPid, 'SIGKILL');
    while (isAlive(info.backendPid)) await new Promise((r) => setTimeout(r, 10));
    expect((await deployer.list()).map((d) => d.state)).toEqual(['Degraded']);
    await deployer.delete('fmnist');
    expect(isAlive(info.pid)).toBe(false);
    expect(await deployer.list()).toEqual([]);
  });

  test('a server that never becomes healthy is HEALTH_CHECK_FAILED with its log, and leaves nothing behind', async () => {
    const { home, deployer } = await newDeployer({ serveCommand: fakeServe(['--fail']) });
    const err = await deployer
      .deploy({ model: 'fmnist', version: 1, modelDir: modelDir(home, 1) })
      .catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'HEALTH_CHECK_FAILED' });
    expect((err as Error).message).toContain('cannot load model: model.json is missing');
    expect(await deployer.list()).toEqual([]);
  });

  test('a failed new version leaves the serving one in place', async () => {
    const home = newHome();
    let fail = false;
    const deployer = createLocalDeployer({
      home,
      defaultPort: await freePort('127.0.0.1'),
      serveCommand: (m) => fakeServe(fail ? ['--fail'] : [])(m),
    });
    deployers.push(deployer);
    const v1 = await deployer.deploy({ model: 'fmnist', version: 1, modelDir: modelDir(home, 1) });
    fail = true;
    await expect(
      deployer.deploy({ model: 'fmnist', version: 2, modelDir: modelDir(home, 2) }),
    ).rejects.toMatchObject({
      code: 'HEALTH_CHECK_FAILED',
    });
    const res = await fetch(`${v1.url}/version`);
    expect(((await res.json()) as { version: number }).version).toBe(1);
    expect(await deployer.get('fmnist')).toMatchObject({ version: 1, state: 'Available' });
  });

  test('a stable port held by something else is PORT_IN_USE', async () => {
    const other = createServer((_req, res) => res.end('not fmnist'));
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    try {
      const { home, deployer } = await newDeployer();
      const port = (other.address() as AddressInfo).port;
      await expect(
        deployer.deploy({ model: 'fmnist', version: 1, modelDir: modelDir(home, 1), port }),
      ).rejects.toMatchObject({ code: 'PORT_IN_USE', message: expect.stringContaining(String(port)) });
    } finally {
      other.close();
    }
  });

  test('a missing model folder is MODEL_DIR_MISSING', async () => {
    const { home, deployer } = await newDeployer();
    await expect(
      deployer.deploy({ model: 'fmnist', version: 1, modelDir: join(home, 'nope') }),
    ).rejects.toMatchObject({ code: 'MODEL_DIR_MISSING' });
  });

  test('a deployment being changed by a live process is BUSY; a lock left by a dead one is taken over', async () => {
    const { home, deployer } = await newDeployer();
    mkdirSync(join(home, 'deployments'), { recursive: true });
    const lock = join(home, 'deployments', 'fmnist.lock');
    writeFileSync(lock, String(process.ppid));
    await expect(
      deployer.deploy({ model: 'fmnist', version: 1, modelDir: modelDir(home, 1) }),
    ).rejects.toMatchObject({ code: 'BUSY' });
    writeFileSync(lock, '999999999');
    expect(await deployer.deploy({ model: 'fmnist', version: 1, modelDir: modelDir(home, 1) })).toMatchObject(
      {
        state: 'Available',
      },
    );
  });

  test('options are checked when the deployer is made', () => {
    expect(() => createLocalDeployer({ home: '', serveCommand: fakeServe() })).toThrow(/home is required/);
  });
});
