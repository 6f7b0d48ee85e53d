import { mkdir, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '@fmnist/fs-kit';
import { DeployError } from './errors.js';
import {
  freePort,
  isAlive,
  portAvailable,
  spawnDetached,
  stopProcess,
  tail,
  waitHealthy,
} from './internal/process.js';
import { PROXY_SCRIPT } from './internal/proxy-script.js';
import { checkName, checkVersion, HEALTH_PATH, MODEL_HTTP_PORT } from './manifest.js';
import type {
  Deployer,
  DeploymentInfo,
  DeployProgress,
  DeployRequest,
  ModelVersionRef,
  ServeCommand,
} from './types.js';

export interface LocalDeployerOptions {
  /** The fmnist home; deployments live in `<home>/deployments/`. */
  home: string;
  /** How to start the model server for a model version (its artifacts are in `modelDir`). */
  serveCommand: (model: Required<ModelVersionRef>) => ServeCommand;
  /** Interface the stable address listens on (default 127.0.0.1). */
  host?: string;
  /** Stable port of a new deployment that names none (default 9000, as Seldon serves models). */
  defaultPort?: number;
  /** How long a new server gets to answer /health/ping (default 60 s). */
  healthTimeoutMs?: number;
  /** How long a stopping process gets after SIGTERM before SIGKILL (default 5 s). */
  stopTimeoutMs?: number;
  /** After a switch, how long the old server keeps running for requests already sent to it (default 250 ms). */
  drainMs?: number;
}

export interface LocalDeployRequest extends DeployRequest {
  modelDir: string;
  /** The stable port clients use; fixed when the deployment is first created. */
  port?: number;
}

/** What `<home>/deployments/<name>.json` holds. The front proxy reads `backend.port` on every request. */
export interface LocalDeploymentRecord {
  format: 1;
  name: string;
  model: string;
  version: number;
  modelDir: string;
  host: string;
  /** The stable port (the front proxy's). */
  port: number;
  /** The front proxy's process id. */
  pid: number;
  backend: { pid: number; port: number; started: string; log: string };
  /** When the deployment was first created. */
  started: string;
  updated: string;
  /** The version served before this one: what `rollback` returns to. */
  previous?: Required<ModelVersionRef>;
}

export interface LocalDeploymentInfo extends DeploymentInfo {
  port: number;
  pid: number;
  backendPid: number;
  backendPort: number;
  log: string;
}

export interface LocalDeployer extends Deployer<LocalDeployRequest> {
  get(name: string): Promise<LocalDeploymentInfo | undefined>;
  list(): Promise<LocalDeploymentInfo[]>;
  deploy(request: LocalDeployRequest): Promise<LocalDeploymentInfo>;
  rollback(name: string, opts?: { onProgress?: (e: DeployProgress) => void }): Promise<LocalDeploymentInfo>;
}

/**
 * Serves model versions on this machine. Each deployment is a front proxy on a stable port plus one model
 * server on a private port; a new version starts on a fresh port, is health-checked, and only then does
 * the record (which the proxy reads per request) switch to it, after which the old server is stopped.
 * Clients keep one address and see no failed request.
 */
export function createLocalDeployer(opts: LocalDeployerOptions): LocalDeployer {
  if (!opts.home) throw new DeployError('INVALID_OPTION', 'home is required');
  if (typeof opts.serveCommand !== 'function') {
    throw new DeployError('INVALID_OPTION', 'serveCommand must be a function returning { command, args }');
  }
  const root = join(resolve(opts.home), 'deployments');
  const host = opts.host ?? '127.0.0.1';
  const defaultPort = opts.defaultPort ?? MODEL_HTTP_PORT;
  const healthTimeoutMs = opts.healthTimeoutMs ?? 60_000;
  const stopTimeoutMs = opts.stopTimeoutMs ?? 5000;
  const drainMs = opts.drainMs ?? 250;
  const recordPath = (name: string) => join(root, `${name}.json`);
  const dirOf = (name: string) => join(root, name);

  async function readRecord(name: string): Promise<LocalDeploymentRecord | undefined> {
    try {
      return JSON.parse(await readFile(recordPath(name), 'utf8')) as LocalDeploymentRecord;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new DeployError(
        'API_ERROR',
        `deployment record ${recordPath(name)} is unreadable (${(e as Error).message}): delete it and deploy again`,
      );
    }
  }

  function info(rec: LocalDeploymentRecord): LocalDeploymentInfo {
    const proxy = isAlive(rec.pid);
    const backend = isAlive(rec.backend.pid);
    const out: LocalDeploymentInfo = {
      name: rec.name,
      target: 'local',
      model: rec.model,
      version: rec.version,
      state: proxy && backend ? 'Available' : proxy || backend ? 'Degraded' : 'Stopped',
      url: `http://${host.includes(':') ? `[${host}]` : host}:${rec.port}`,
      started: rec.started,
      port: rec.port,
      pid: rec.pid,
      backendPid: rec.backend.pid,
      backendPort: rec.backend.port,
      log: rec.backend.log,
    };
    if (rec.previous) out.previousVersion = rec.previous.version;
    return out;
  }

  /** One deploy/rollback/delete per deployment at a time, across processes. */
  async function withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    await mkdir(root, { recursive: true });
    const lock = join(root, `${name}.lock`);
    for (let attempt = 0; ; attempt++) {
      try {
        const fh = await open(lock, 'wx');
        await fh.writeFile(String(process.pid));
        await fh.close();
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) {
          throw new DeployError(
            'BUSY',
            `deployment "${name}" is being changed by another fmnist process (lock ${lock}); try again when it is done`,
          );
        }
        const holder = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
        if (isAlive(holder)) {
          throw new DeployError(
            'BUSY',
            `deployment "${name}" is being changed by process ${holder}; try again when it is done`,
          );
        }
        await rm(lock, { force: true }); // left by a process that died
      }
    }
    try {
      return await fn();
    } finally {
      await rm(lock, { force: true });
    }
  }

  async function startBackend(
    name: string,
    model: Required<ModelVersionRef>,
    onProgress: ((e: DeployProgress) => void) | undefined,
  ): Promise<LocalDeploymentRecord['backend']> {
    const port = await freePort('127.0.0.1');
    const log = join(dirOf(name), `serve-v${model.version}.log`);
    const cmd = opts.serveCommand(model);
    onProgress?.({ phase: 'starting', message: `starting ${model.model} v${model.version} on port ${port}` });
    const child = spawnDetached(cmd.command, cmd.args(port), log);
    if (!child.pid) {
      throw new DeployError('HEALTH_CHECK_FAILED', `could not start ${cmd.command}: see ${log}`, tail(log));
    }
    onProgress?.({ phase: 'health-check', message: `waiting for ${HEALTH_PATH} on port ${port}` });
    const health = await waitHealthy({
      url: `http://127.0.0.1:${port}${HEALTH_PATH}`,
      timeoutMs: healthTimeoutMs,
      child,
    });
    if (!health.ok) {
      await stopProcess(child.pid, stopTimeoutMs);
      throw new DeployError(
        'HEALTH_CHECK_FAILED',
        `${model.model} v${model.version} did not become healthy: ${health.reason}. Last lines of ${log}:`,
        tail(log),
      );
    }
    return { pid: child.pid, port, started: new Date().toISOString(), log };
  }

  async function deployLocked(req: LocalDeployRequest): Promise<LocalDeploymentInfo> {
    const name = req.name ?? req.model;
    const current = await readRecord(name);
    const proxyUp = current !== undefined && isAlive(current.pid);
    const port = req.port ?? current?.port ?? defaultPort;
    if (proxyUp && req.port !== undefined && req.port !== current.port) {
      throw new DeployError(
        'INVALID_OPTION',
        `deployment "${name}" already serves on port ${current.port}; delete it to move it to port ${req.port}`,
      );
    }
    if (!proxyUp && !(await portAvailable(port, host))) {
      throw new DeployError(
        'PORT_IN_USE',
        `port ${port} on ${host} is in use: choose another port for deployment "${name}" or stop what listens there`,
      );
    }
    await mkdir(dirOf(name), { recursive: true });
    const model = { model: req.model, version: req.version, modelDir: resolve(req.modelDir) };
    const backend = await startBackend(name, model, req.onProgress);
    const now = new Date().toISOString();
    const sameVersion =
      current !== undefined && current.version === model.version && current.model === model.model;
    const previous = current
      ? sameVersion
        ? current.previous
        : { model: current.model, version: current.version, modelDir: current.modelDir }
      : undefined;
    const next: LocalDeploymentRecord = {
      format: 1,
      name,
      ...model,
      host,
      port,
      pid: proxyUp ? current.pid : 0,
      backend,
      started: current?.started ?? now,
      updated: now,
      ...(previous ? { previous } : {}),
    };

    if (!proxyUp) {
      const script = join(dirOf(name), 'proxy.mjs');
      await writeFileAtomic(script, PROXY_SCRIPT);
      const proxyLog = join(dirOf(name), 'proxy.log');
      // The record must name the backend before the proxy takes its first request.
      await writeFileAtomic(recordPath(name), `${JSON.stringify(next, null, 2)}\n`);
      const proxy = spawnDetached(
        process.execPath,
        [script, recordPath(name), String(port), host, name],
        proxyLog,
      );
      next.pid = proxy.pid ?? 0;
      await writeFileAtomic(recordPath(name), `${JSON.stringify(next, null, 2)}\n`);
      const health = await waitHealthy({
        url: `http://${host.includes(':') ? `[${host}]` : host}:${port}${HEALTH_PATH}`,
        timeoutMs: healthTimeoutMs,
        child: proxy,
        header: ['x-fmnist-proxy', name],
      });
      if (!health.ok) {
        await stopProcess(proxy.pid, stopTimeoutMs);
        await stopProcess(backend.pid, stopTimeoutMs);
        await rm(recordPath(name), { force: true });
        const inUse = tail(proxyLog).some((l) => l.includes('EADDRINUSE'));
        throw new DeployError(
          inUse ? 'PORT_IN_USE' : 'HEALTH_CHECK_FAILED',
          inUse
            ? `port ${port} on ${host} is in use: choose another port for deployment "${name}"`
            : `the front proxy of "${name}" did not answer: ${health.reason}. Last lines of ${proxyLog}:`,
          inUse ? [] : tail(proxyLog),
        );
      }
      // A record whose proxy had died may still name a live server: it serves nobody now.
      if (current) await stopProcess(current.backend.pid, stopTimeoutMs);
    } else {
      req.onProgress?.({
        phase: 'switching',
        message: `switching "${name}" from v${current.version} to v${model.version}`,
      });
      await writeFileAtomic(recordPath(name), `${JSON.stringify(next, null, 2)}\n`);
      // Requests the proxy already sent to the old server finish before it is asked to stop.
      await new Promise((r) => setTimeout(r, drainMs));
      req.onProgress?.({
        phase: 'stopping',
        message: `stopping v${current.version} (pid ${current.backend.pid})`,
      });
      await stopProcess(current.backend.pid, stopTimeoutMs);
    }
    return info(next);
  }

  async function checkRequest(req: LocalDeployRequest): Promise<void> {
    checkName('model name', req.model);
    checkName('deployment name', req.name ?? req.model);
    checkVersion('model version', req.version);
    if (req.port !== undefined && (!Number.isInteger(req.port) || req.port < 1 || req.port > 65535)) {
      throw new DeployError('INVALID_OPTION', `port must be 1-65535, got ${String(req.port)}`);
    }
    if (!req.modelDir) {
      throw new DeployError(
        'MODEL_DIR_MISSING',
        `the local target needs the model's artifact folder (modelDir)`,
      );
    }
    const s = await stat(req.modelDir).catch(() => undefined);
    if (!s?.isDirectory()) {
      throw new DeployError('MODEL_DIR_MISSING', `model folder ${resolve(req.modelDir)} does not exist`);
    }
  }

  const deployer: LocalDeployer = {
    target: 'local',

    async deploy(req) {
      await checkRequest(req);
      return withLock(req.name ?? req.model, () => deployLocked(req));
    },

    async rollback(name, o = {}) {
      checkName('deployment name', name);
      return withLock(name, async () => {
        const rec = await readRecord(name);
        if (!rec) throw new DeployError('NOT_FOUND', `no local deployment named "${name}"`);
        if (!rec.previous) {
          throw new DeployError(
            'NO_PREVIOUS_VERSION',
            `local deployment "${name}" has served only v${rec.version}: there is nothing to roll back to`,
          );
        }
        const req: LocalDeployRequest = { name, ...rec.previous };
        if (o.onProgress) req.onProgress = o.onProgress;
        await checkRequest(req);
        return deployLocked(req);
      });
    },

    async delete(name) {
      checkName('deployment name', name);
      await withLock(name, async () => {
        const rec = await readRecord(name);
        if (!rec) throw new DeployError('NOT_FOUND', `no local deployment named "${name}"`);
        // The proxy first: clients then see a closed port rather than errors from a half-stopped server.
        await stopProcess(rec.pid, stopTimeoutMs);
        await stopProcess(rec.backend.pid, stopTimeoutMs);
        await rm(recordPath(name), { force: true });
        await rm(dirOf(name), { recursive: true, force: true });
      });
    },

    async get(name) {
      checkName('deployment name', name);
      const rec = await readRecord(name);
      return rec ? info(rec) : undefined;
    },

    async list() {
      const names = await readdir(root).catch(() => [] as string[]);
      const out: LocalDeploymentInfo[] = [];
      for (const f of names.sort()) {
        if (!f.endsWith('.json')) continue;
        const rec = await readRecord(f.slice(0, -'.json'.length));
        if (rec) out.push(info(rec));
      }
      return out;
    },
  };
  return deployer;
}
