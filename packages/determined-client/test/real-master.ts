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
