import { createReadStream, type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { listFileSizes } from '@fmnist/fs-kit';
import { joinRepoPath } from '../address.js';
import { AddressError, DataClientError } from '../errors.js';
import type { PutSource } from '../types.js';

/** One file to put: where it goes in the repo and where its bytes come from. */
export interface PutEntry {
  path: string;
  /** A local file, read in 1 MiB chunks; its size is checked against `size` as it is read. */
  file?: string;
  size?: number;
  content?: Readable | AsyncIterable<Uint8Array> | Uint8Array | string;
}

function sourceError(e: unknown, path: string): Error {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') {
    return new DataClientError('SOURCE_NOT_FOUND', `${path}: no such file or directory`, undefined, {
      cause: e,
    });
  }
  return e as Error;
}

async function statSource(path: string): Promise<Stats> {
  try {
    return await stat(path);
  } catch (e) {
    throw sourceError(e, path);
  }
}

/** The files under `dir` by relative path; links are followed, so a linked file is put as its target's bytes. */
async function filesUnder(dir: string): Promise<Record<string, number>> {
  try {
    return await listFileSizes(dir, { followLinks: true });
  } catch (e) {
    throw sourceError(e, (e as NodeJS.ErrnoException).path ?? dir);
  }
}

/** Expands sources into entries under `destDir`, sorted by path, refusing duplicates and escapes. */
export async function expandSources(destDir: string, sources: PutSource | PutSource[]): Promise<PutEntry[]> {
  const list = Array.isArray(sources) ? sources : [sources];
  if (list.length === 0)
    throw new DataClientError('BAD_OPTIONS', 'nothing to put: give a directory, file or stream');
  const entries: PutEntry[] = [];
  for (const src of list) {
    if ('dir' in src) {
      const st = await statSource(src.dir);
      if (!st.isDirectory()) {
        throw new DataClientError(
          'BAD_OPTIONS',
          `${src.dir} is a file, not a directory`,
          'Put it as { file } instead.',
        );
      }
      const under = src.name ? joinRepoPath(destDir, src.name) : destDir;
      for (const [rel, size] of Object.entries(await filesUnder(src.dir)))
        entries.push({ path: joinRepoPath(under, rel), file: join(src.dir, rel), size });
    } else if ('file' in src) {
      const st = await statSource(src.file);
      if (st.isDirectory()) {
        throw new DataClientError(
          'BAD_OPTIONS',
          `${src.file} is a directory`,
          'Put it recursively ({ dir }, or -r on the command line).',
        );
      }
      entries.push({
        path: joinRepoPath(destDir, src.name ?? basename(src.file)),
        file: src.file,
        size: st.size,
      });
    } else {
      entries.push({ path: joinRepoPath(destDir, src.name), content: src.content });
    }
  }
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (let i = 1; i < entries.length; i++) {
    if (entries[i]?.path === entries[i - 1]?.path) {
      throw new AddressError('BAD_PATH', `two sources would both be put at ${entries[i]?.path}`);
    }
  }
  return entries;
}

/**
 * The bytes of an entry as chunks. A local file that vanishes or changes size while it is read
 * fails with SOURCE_NOT_FOUND or SOURCE_CHANGED, so a put never records a torn file.
 */
export async function* readEntry(entry: PutEntry): AsyncGenerator<Uint8Array> {
  if (entry.file !== undefined) {
    let read = 0;
    try {
      for await (const chunk of createReadStream(entry.file, { highWaterMark: 1 << 20 })) {
        read += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
    } catch (e) {
      throw sourceError(e, entry.file);
    }
    if (entry.size !== undefined && read !== entry.size) {
      throw new DataClientError(
        'SOURCE_CHANGED',
        `${entry.file} changed while it was being put (${entry.size} bytes expected, ${read} read)`,
        'Nothing was committed; put it again once it is no longer being written.',
      );
    }
    return;
  }
  const c = entry.content;
  if (typeof c === 'string') yield Buffer.from(c);
  else if (c instanceof Uint8Array) yield c;
  else if (c) {
    for await (const chunk of c as AsyncIterable<Uint8Array | string>) {
      yield typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    }
  }
}

export function toReadable(chunks: AsyncIterable<Uint8Array>): Readable {
  return Readable.from(chunks, { objectMode: false });
}
