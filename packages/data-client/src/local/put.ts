import { randomUUID } from 'node:crypto';
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { removeStaleTemps, syncDir, writeFileAtomic } from '@fmnist/fs-kit';
import type { Address } from '../address.js';
import { DataClientError } from '../errors.js';
import { contentHashOf } from '../internal/files.js';
import { expandSources } from '../internal/sources.js';
import type { PutOptions, PutResult, PutSource } from '../types.js';
import { storeEntry } from './blobs.js';
import { commitInfo, moveHead, readHead, repoMeta, resolveRef } from './refs.js';
import type { Manifest, Store } from './store.js';

/**
 * Stores the sources' blobs, then commits a manifest on the target's branch. A branch head moves by
 * hard-linking a fully written, fsynced temp file to the next number: unlike rename, link fails when
 * that number exists, so two writers racing for one branch cannot both win; the loser rebuilds its
 * commit on the new head and tries again.
 */
export async function putFiles(
  s: Store,
  a: Address & { ref: string },
  sources: PutSource | PutSource[],
  o: PutOptions = {},
): Promise<PutResult> {
  const branch = a.ref;
  await repoMeta(s, a.repo);
  await s.prepare();
  await removeStaleTemps(s.tmpDir);
  const entries = await expandSources(a.path, sources);
  const bytesTotal = entries.every((e) => e.size !== undefined)
    ? entries.reduce((sum, e) => sum + (e.size ?? 0), 0)
    : undefined;
  let bytesDone = 0;
  let newBlobs = 0;
  const stored = new Map<string, { blob: string; size: number }>();
  const touched = new Set<string>();
  for (const [i, entry] of entries.entries()) {
    const r = await storeEntry(s, entry, (n) => {
      bytesDone += n;
      o.onProgress?.({
        path: entry.path,
        bytesDone,
        bytesTotal,
        filesDone: i,
        filesTotal: entries.length,
      });
    });
    if (r.isNew) {
      newBlobs++;
      touched.add(r.hash.slice(0, 2));
    }
    stored.set(entry.path, { blob: r.hash, size: r.size });
    o.onProgress?.({
      path: entry.path,
      bytesDone,
      bytesTotal,
      filesDone: i + 1,
      filesTotal: entries.length,
    });
  }
  // The blobs' directory entries must be durable before a commit names them.
  for (const d of touched) await syncDir(join(s.blobsDir, d));
  if (touched.size > 0) await syncDir(s.blobsDir);

  for (let attempt = 0; ; attempt++) {
    const head = await readHead(s, a.repo, branch);
    const parent = head ? await resolveRef(s, a.repo, head.id) : undefined;
    const files = { ...(parent?.files ?? {}) };
    for (const [path, f] of stored) {
      for (const existing of Object.keys(files)) {
        if (existing.startsWith(`${path}/`) || path.startsWith(`${existing}/`)) {
          throw new DataClientError(
            'BAD_PATH',
            `${a.repo}@${branch}:${path} would be both a file and a directory (${existing} exists)`,
          );
        }
      }
      files[path] = f;
    }
    const list = Object.entries(files).map(([path, f]) => ({ path, size: f.size, hash: f.blob }));
    const contentHash = contentHashOf(list);
    if (o.skipIfUnchanged && parent && parent.contentHash === contentHash) {
      return {
        commit: commitInfo(parent),
        created: false,
        files: entries.length,
        bytes: bytesDone,
        newBlobs,
      };
    }
    const manifest: Manifest = {
      version: 1,
      repo: a.repo,
      id: randomUUID().replaceAll('-', ''),
      parent: parent?.id ?? null,
      branch,
      height: (parent?.height ?? -1) + 1,
      finished: new Date().toISOString(),
      description: o.description ?? '',
      files: Object.fromEntries(Object.entries(files).sort(([x], [y]) => (x < y ? -1 : 1))),
      sizeBytes: list.reduce((sum, f) => sum + f.size, 0),
      fileCount: list.length,
      contentHash,
    };
    const commitsDir = join(s.repoDir(a.repo), 'commits');
    await writeFileAtomic(join(commitsDir, `${manifest.id}.json`), JSON.stringify(manifest), {
      tempDir: s.tmpDir,
    });
    if (await moveHead(s, a.repo, branch, head, manifest.id)) {
      return {
        commit: commitInfo(manifest),
        created: true,
        files: entries.length,
        bytes: bytesDone,
        newBlobs,
      };
    }
    // Lost the race: this manifest is never referenced; drop it and build on the new head.
    await unlink(join(commitsDir, `${manifest.id}.json`)).catch(() => {});
    await new Promise((r) => setTimeout(r, Math.min(50, attempt) * Math.random()));
  }
}
