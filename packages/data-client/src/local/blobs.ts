import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { syncFile, writeFileDurable } from '@fmnist/fs-kit';
import { DataClientError } from '../errors.js';
import { exists } from '../internal/files.js';
import { type PutEntry, readEntry } from '../internal/sources.js';
import type { Store } from './store.js';

export interface StoredBlob {
  hash: string;
  size: number;
  /** False when the store already held this content. */
  isNew: boolean;
}

/** Stores one entry's bytes as a blob; identical content is written once. */
export async function storeEntry(
  s: Store,
  entry: PutEntry,
  onBytes: (n: number) => void,
): Promise<StoredBlob> {
  if (entry.file === undefined) return writeBlob(s, entry, onBytes);
  // Hash first: content the store already has costs one read and no write.
  const h = createHash('sha256');
  let size = 0;
  for await (const chunk of readEntry(entry)) {
    h.update(chunk);
    size += chunk.length;
    onBytes(chunk.length);
  }
  const hash = h.digest('hex');
  if (await exists(s.blobPath(hash))) return { hash, size, isNew: false };
  // New content: a kernel-side copy, then the copy itself is hashed, so a blob always holds
  // exactly the bytes its name says even if the source changed after the first read.
  const tmp = s.tempFor('blob');
  try {
    await copyFile(entry.file, tmp);
    const check = createHash('sha256');
    for await (const chunk of createReadStream(tmp, { highWaterMark: 1 << 20 })) check.update(chunk);
    if (check.digest('hex') !== hash) {
      throw new DataClientError(
        'SOURCE_CHANGED',
        `${entry.file} changed while it was being put`,
        'Nothing was committed; put it again once it is no longer being written.',
      );
    }
    await syncFile(tmp);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw (e as NodeJS.ErrnoException).code === 'ENOENT' && !(e instanceof DataClientError)
      ? new DataClientError(
          'SOURCE_NOT_FOUND',
          `${entry.file} disappeared while it was being put`,
          'Nothing was committed.',
        )
      : e;
  }
  return placeBlob(s, tmp, hash, size);
}

/** Streams an entry into a temp file, hashing as it goes: its blob name is known only at the end. */
async function writeBlob(s: Store, entry: PutEntry, onBytes: (n: number) => void): Promise<StoredBlob> {
  const tmp = s.tempFor('blob');
  const h = createHash('sha256');
  let size = 0;
  async function* hashed() {
    for await (const chunk of readEntry(entry)) {
      h.update(chunk);
      size += chunk.length;
      yield chunk;
      onBytes(chunk.length);
    }
  }
  await writeFileDurable(tmp, hashed());
  return placeBlob(s, tmp, h.digest('hex'), size);
}

async function placeBlob(s: Store, tmp: string, hash: string, size: number): Promise<StoredBlob> {
  const dest = s.blobPath(hash);
  if (await exists(dest)) {
    await unlink(tmp);
    return { hash, size, isNew: false };
  }
  await mkdir(join(s.blobsDir, hash.slice(0, 2)), { recursive: true });
  await rename(tmp, dest);
  return { hash, size, isNew: true };
}
