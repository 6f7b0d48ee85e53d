/**
 * A real Determined 0.38.1 master for tests: the binary `.ci/setup.d/determined-master.sh` builds into
 * `$FMNIST_TOOLS_DIR/determined-master`, on a throwaway Debian PostgreSQL cluster, both on loopback.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

export const REAL_MASTER_PASSWORD = 'Fmnist-Contract-0381';

const tools = join(
  process.env.FMNIST_TOOLS_DIR ?? join(homedir(), '.cache', 'fmnist-tools'),
  'determined-master',
);
const masterBin = join(tools, 'bin', 'determined-master');
const staticRoot = join(tools, 'root');

function postgresBin(): string | null {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return null;
  const versions = readdirSync(base).sort((a, b) => Number(b) - Number(a));
  for (const v of versions) if (existsSync(join(base, v, 'bin', 'initdb'))) return join(base, v, 'bin');
  return null;
}

/** Why the real master cannot run here, or null when it can. */
export function realMasterMissing(): string | null {
  if (!existsSync(masterBin))
    return `no Determined master at ${masterBin} (bash .ci/setup.d/determined-master.sh builds it)`;
  if (!postgresBin()) return 'no PostgreSQL server (apt-get install postgresql)';
  return null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** PostgreSQL refuses to run as root: run its tools as the `postgres` user then. */
function asPostgres(cmd: string, args: string[]) {
  const isRoot = process.getuid?.() === 0;
  const r = isRoot
    ? spawnSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { encoding: 'utf8' })
    : spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.stdout || r.error}`);
}

export interface RealMaster {
  url: string;
  stop(): Promise<void>;
}

export async function startRealMaster(): Promise<RealMaster> {
  const pg = postgresBin()!;
  const dir = await mkdtemp(join(tmpdir(), 'fmnist-det-master-'));
  const data = join(dir, 'pg');
  if (process.getuid?.() === 0) {
    const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout);
    const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout);
    await chown(dir, uid, gid);
  }
  const pgPort = await freePort();
  let master: ChildProcess | undefined;
  const stop = async () => {
    if (master && master.exitCode === null) {
      const exited = new Promise((r) => master!.once('exit', r));
      master.kill('SIGTERM');
      // Its database is thrown away next, so a slow graceful shutdown is not worth waiting for.
      const force = setTimeout(() => master!.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(force);
    }
    if (existsSync(join(data, 'postmaster.pid')))
      asPostgres(join(pg, 'pg_ctl'), ['-D', data, '-m', 'immediate', 'stop']);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    asPostgres(join(pg, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust']);
    asPostgres(join(pg, 'pg_ctl'), [
      '-D',
      data,
      '-w',
      '-l',
      join(dir, 'pg.log'),
      '-o',
      `-p ${pgPort} -k ${dir} -c listen_addresses=127.0.0.1`,
      'start',
    ]);
    asPostgres(join(pg, 'createdb'), [
      '-h',
      '127.0.0.1',
      '-p',
      String(pgPort),
      '-U',
      'postgres',
      'determined',
    ]);
    const port = await freePort();
    const config = join(dir, 'master.yaml');
    await writeFile(
      config,
      [
        `port: ${port}`,
        `db: {user: postgres, password: postgres, host: 127.0.0.1, port: ${pgPort}, name: determined}`,
        `checkpoint_storage: {type: shared_fs, host_path: ${JSON.stringify(join(dir, 'checkpoints'))}}`,
        `root: ${JSON.stringify(staticRoot)}`,
        `security: {initial_user_password: ${JSON.stringify(REAL_MASTER_PASSWORD)}}`,
        'resource_manager: {type: agent}',
        'telemetry: {enabled: false}',
        '',
      ].join('\n'),
    );
    master = spawn(masterBin, ['--config-file', config, '--log-color=false'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    master.stderr!.on('data', (d) => {
      log = (log + String(d)).slice(-4000);
    });
    const url = `http://127.0.0.1:${port}`;
    // The first start migrates the database: wait until it answers, or until it exits.
    const deadline = Date.now() + 150_000;
    for (;;) {
      if (master.exitCode !== null) throw new Error(`the Determined master exited:\n${log}`);
      const ok = await fetch(`${url}/info`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`the Determined master did not answer in 150 s:\n${log}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    return { url, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Logs in as the admin the test master was set up with; returns the bearer token. */
export async function realMasterToken(url: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'determined', password: REAL_MASTER_PASSWORD }),
  });
  return ((await res.json()) as { token: string }).token;
}

/**
 * A trial with reports and checkpoints on a master without agents: an unmanaged experiment and trial
 * made, and reported to, as the harness's unmanaged mode does (harness/determined/experimental/
 * core_v2/_unmanaged.py: CreateExperiment and CreateTrial with `unmanaged`; core/_checkpoint.py:
 * ReportCheckpoint). StartTrial is left out: on this PostgreSQL the 0.38.1 master answers it with
 * "FOR UPDATE cannot be applied to the nullable side of an outer join", and reports need no run id.
 */
export async function unmanagedTrial(
  url: string,
  token: string,
  plan: {
    config: string;
    hparams: Record<string, unknown>;
    reports: (
      | { group: 'training' | 'validation'; steps: number; metrics: Record<string, number> }
      | { checkpoint: string; steps: number }
    )[];
  },
): Promise<{ experimentId: number; trialId: number }> {
  const call = async (path: string, body: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${text}`);
    return JSON.parse(text || '{}') as Record<string, Record<string, unknown>>;
  };
  const e = await call('/api/v1/experiments', { config: plan.config, unmanaged: true, activate: true });
  const experimentId = Number(e.experiment!.id);
  const t = await call('/api/v1/trials', { experimentId, hparams: plan.hparams, unmanaged: true });
  const trialId = Number(t.trial!.id);
  const taskId = String(t.trial!.taskId);
  for (const r of plan.reports) {
    if ('checkpoint' in r) {
      await call('/api/v1/checkpoints', {
        uuid: r.checkpoint,
        taskId,
        resources: { 'model.json': '123', 'weights.bin': '4096' },
        metadata: { steps_completed: r.steps, framework: 'fmnist' },
        state: 'STATE_COMPLETED',
        reportTime: new Date().toISOString(),
        training: {},
      });
    } else {
      await call(`/api/v1/trials/${trialId}/metrics`, {
        metrics: { trialId, stepsCompleted: r.steps, metrics: { avgMetrics: r.metrics } },
        group: r.group,
      });
    }
  }
  return { experimentId, trialId };
}
