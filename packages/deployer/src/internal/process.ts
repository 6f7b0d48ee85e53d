import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts a process that outlives us: its own process group, stdio to a log file, not waited for.
 * The returned ChildProcess is only useful to notice an early exit while we are still running.
 */
export function spawnDetached(command: string, args: string[], logFile: string): ChildProcess {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(command, args, {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { ...process.env },
    });
    child.unref();
    return child;
  } finally {
    closeSync(fd);
  }
}

export function isAlive(pid: number | undefined): boolean {
  if (!pid || !Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** SIGTERM, then SIGKILL if the process is still there after `timeoutMs`. Resolves once it is gone. */
export async function stopProcess(pid: number | undefined, timeoutMs: number): Promise<'stopped' | 'killed'> {
  if (!isAlive(pid)) return 'stopped';
  try {
    process.kill(pid!, 'SIGTERM');
  } catch {
    return 'stopped';
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return 'stopped';
    await sleep(25);
  }
  try {
    process.kill(pid!, 'SIGKILL');
  } catch {
    return 'stopped';
  }
  while (isAlive(pid)) await sleep(25);
  return 'killed';
}

/** A port nobody listens on right now (the OS picks it). */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export function portAvailable(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

export interface HealthWait {
  url: string;
  timeoutMs: number;
  /** Stop early when the process has exited. */
  child?: ChildProcess;
  /** Header the response must carry (tells our proxy apart from whatever else holds a port). */
  header?: [string, string];
}

/** Polls `url` until it answers 200 "pong"; returns why it did not when it gives up. */
export async function waitHealthy(w: HealthWait): Promise<{ ok: true } | { ok: false; reason: string }> {
  const deadline = Date.now() + w.timeoutMs;
  let exited: string | undefined;
  const onExit = (code: number | null, signal: string | null) => {
    exited = signal ? `exited on ${signal}` : `exited with code ${code}`;
  };
  w.child?.once('exit', onExit);
  let lastError = 'no answer';
  try {
    while (Date.now() < deadline) {
      if (exited) return { ok: false, reason: `the process ${exited}` };
      try {
        const res = await fetch(w.url, { signal: AbortSignal.timeout(2000) });
        const text = await res.text();
        if (res.status === 200 && text.trim() === 'pong') {
          if (!w.header || res.headers.get(w.header[0]) === w.header[1]) return { ok: true };
          lastError = `something else answers on ${w.url}`;
        } else {
          lastError = `HTTP ${res.status}`;
        }
      } catch (e) {
        lastError = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
      }
      await sleep(50);
    }
    return { ok: false, reason: `no 200 "pong" from ${w.url} within ${w.timeoutMs} ms (last: ${lastError})` };
  } finally {
    w.child?.off('exit', onExit);
  }
}

export function tail(file: string, lines = 15): string[] {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines);
  } catch {
    return [];
  }
}
