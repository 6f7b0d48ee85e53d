import { createReadStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { parsePutTarget } from '../address.js';
import { DataClientError } from '../errors.js';
import type { DataClient } from '../types.js';
import { diffCommits, inspectCommit, listCommits } from './commits.js';
import { listFiles, localPath } from './files.js';
import { putFiles } from './put.js';
import { repoInfo, repoMeta } from './refs.js';
import { createRepo, deleteRepo, listRepos } from './repos.js';
import { openStore } from './store.js';

export interface LocalDataClientOptions {
  /** The fmnist home; the store lives in `<home>/pfs`. */
  home?: string;
  /** The store directory itself (instead of `home`). */
  dir?: string;
}

/**
 * The embedded store: content-addressed blobs, immutable commit manifests and numbered branch heads
 * under one directory (the layout is in store.ts, how a head moves in put.ts).
 */
export function createLocalDataClient(opts: LocalDataClientOptions): DataClient {
  if (!opts.dir && !opts.home) {
    throw new DataClientError('BAD_OPTIONS', 'createLocalDataClient needs { home } or { dir }');
  }
  const store = openStore(resolve(opts.dir ?? join(opts.home as string, 'pfs')));
  return {
    backend: 'local',
    location: store.root,
    createRepo: (name, o) => createRepo(store, name, o),
    inspectRepo: async (name) => repoInfo(store, await repoMeta(store, name)),
    listRepos: () => listRepos(store),
    deleteRepo: (name) => deleteRepo(store, name),
    // async: a bad address rejects, as every other call's does, rather than throwing where it is called.
    putFiles: async (address, sources, o) => putFiles(store, parsePutTarget(address), sources, o),
    listFiles: (address, o) => listFiles(store, address, o),
    getFile: async (address) => createReadStream(await localPath(store, address), { highWaterMark: 1 << 20 }),
    localPath: (address) => localPath(store, address),
    listCommits: (repo, o) => listCommits(store, repo, o),
    inspectCommit: (address) => inspectCommit(store, address),
    diffCommits: (from, to) => diffCommits(store, from, to),
    async close() {},
  };
}
