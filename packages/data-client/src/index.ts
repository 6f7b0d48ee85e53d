import { access } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '@fmnist/fs-kit';
import { parseAddress } from './address.js';
import { createLocalDataClient } from './local.js';
import { createPachydermDataClient } from './pachyderm.js';
import type { DataClient } from './types.js';

export {
  type Address,
  formatAddress,
  isCommitId,
  normalizeRepoPath,
  parseAddress,
  parsePutTarget,
} from './address.js';
export { AddressError, DataClientError, type DataClientErrorCode } from './errors.js';
export { createLocalDataClient, type LocalDataClientOptions } from './local.js';
export { createPachydermDataClient, type PachydermDataClientOptions } from './pachyderm.js';
export { type LocalSource, pachctlPutPlan } from './put-plan.js';
export type * from './types.js';

export interface DataClientOptions {
  /** The fmnist home; the embedded store lives in `<home>/pfs`. Default: FMNIST_HOME or ./.fmnist. */
  home?: string;
  /** A pachd address (`host:port`, `grpc://…`, `grpcs://…`, `unix://…`); default: PACHD_ADDRESS. */
  pachdAddress?: string;
  /** Where PACHD_ADDRESS, PACH_CONFIG, PACH_CONTEXT, PACH_TOKEN and FMNIST_HOME are read (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/**
 * The one place a backend is chosen: Pachyderm when a pachd address is given (or PACHD_ADDRESS), or
 * when PACH_CONTEXT or PACH_CONFIG names a pachctl context to use; else the embedded store. A pachctl
 * config that merely exists in ~/.pachyderm does not move fmnist off its embedded store.
 */
export function createDataClient(opts: DataClientOptions = {}): DataClient {
  const env = opts.env ?? process.env;
  const pachd = opts.pachdAddress ?? env.PACHD_ADDRESS;
  if (pachd || env.PACH_CONTEXT || env.PACH_CONFIG) return createPachydermDataClient({ address: pachd, env });
  return createLocalDataClient({ home: resolve(opts.home ?? env.FMNIST_HOME ?? '.fmnist') });
}

/**
 * Writes the file at `repo@commit:/path` to `dest` (atomically: temp file, fsync, rename, fsync the folder) and
 * returns `dest`. Read data by commit id so what a run used can be recorded and read again.
 */
export async function materializeFile(client: DataClient, address: string, dest: string): Promise<string> {
  const out = resolve(dest);
  await writeFileAtomic(out, await client.getFile(address));
  return out;
}

/**
 * A local path with the bytes of `repo@commit:/path`: the store's own copy when the backend keeps
 * one on this disk (read-only: never modify it), else a file materialised under `cacheDir`.
 */
export async function readablePath(client: DataClient, address: string, cacheDir: string): Promise<string> {
  const local = await client.localPath(address);
  if (local) return local;
  const a = parseAddress(address, { ref: true, path: true });
  const info = await client.inspectCommit(`${a.repo}@${a.ref}`);
  const name = a.path.slice(1);
  // Commits never change, so a file materialised once for a commit id is reused as is.
  const dest = join(cacheDir, info.repo, info.id, name);
  try {
    await access(dest);
    return dest;
  } catch {
    return materializeFile(client, `${info.repo}@${info.id}:/${name}`, dest);
  }
}
