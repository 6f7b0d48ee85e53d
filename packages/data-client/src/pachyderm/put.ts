import { createHash } from 'node:crypto';
import { parsePutTarget } from '../address.js';
import { DataClientError } from '../errors.js';
import { expandSources, type PutEntry, readEntry } from '../internal/sources.js';
import type { PutOptions, PutResult, PutSource } from '../types.js';
import type { Pfs } from './client.js';
import type * as pfs from './messages.js';

const CHUNK = 1 << 20;
/** Time allowed per byte of a known-size upload on top of the transfer deadline (1 MiB/s). */
const MS_PER_BYTE = 1000 / (1 << 20);

/** A put into an open head would land in that commit (driver_file.go, modifyFile), so it is refused. */
function openHeadError(repo: string, branch: string, head: pfs.CommitInfo): DataClientError {
  const started = head.started
    ? new Date(Number(head.started.seconds) * 1000).toISOString()
    : 'at an unknown time';
  const who = head.created_by ? `by ${head.created_by}` : 'by a writer pachd did not name (auth is off)';
  const what = head.description ? ` ("${head.description}")` : '';
  return new DataClientError(
    'COMMIT_OPEN',
    `${repo}@${branch}: the head commit ${head.commit.id}${what} is still open, started ${started} ${who}; a put now would add its files to that commit`,
    `If its writer is still at work, wait for it and put again. If the writer is gone, keep what it holds with \`pachctl finish commit ${repo}@${head.commit.id}\`, or discard it with \`pachctl delete commit ${repo}@${head.commit.id}\`; then put again.`,
  );
}

/** True when every entry already sits at the head with the same bytes (files only: streams can be read once). */
async function unchangedAtHead(p: Pfs, repo: string, head: string, entries: PutEntry[]): Promise<boolean> {
  for (const e of entries) {
    if (e.file === undefined) return false;
    let remote: pfs.FileInfo;
    try {
      remote = await p.rpc.unary(
        'InspectFile',
        { file: { commit: p.commit(repo, head), path: e.path } },
        { what: e.path, notFound: 'FILE_NOT_FOUND' },
      );
    } catch {
      return false;
    }
    if (remote.file_type !== 'FILE' || Number(remote.size_bytes) !== e.size) return false;
    const [local, there] = [createHash('sha256'), createHash('sha256')];
    for await (const c of readEntry(e)) local.update(c);
    const file = { commit: p.commit(repo, head), path: e.path };
    for await (const m of p.rpc.stream('GetFile', { file, URL: '', offset: '0' }, { what: e.path }))
      there.update(m.value);
    if (local.digest('hex') !== there.digest('hex')) return false;
  }
  return true;
}

/** The commit our ModifyFile made: the branch head, or (when another writer landed since) its ancestor. */
async function findOurCommit(
  p: Pfs,
  repo: string,
  branch: string,
  before: string | null,
): Promise<pfs.CommitInfo> {
  let c = await p.inspect(repo, branch, 'FINISHED');
  for (let hops = 0; hops < 100; hops++) {
    const parent = c.parent_commit?.id || null;
    if (parent === before || parent === null) return c;
    c = await p.inspect(repo, parent, 'FINISHED');
  }
  return c;
}

/**
 * Puts the sources on the branch as one ModifyFile stream. pachd writes the stream into a file set and
 * only then starts and finishes the commit in one transaction (driver_file.go, oneOffModifyFile), so a
 * client killed midway leaves no open commit and the branch as it was.
 */
export async function putFiles(
  p: Pfs,
  address: string,
  sources: PutSource | PutSource[],
  o: PutOptions = {},
): Promise<PutResult> {
  const a = parsePutTarget(address);
  const branch = a.ref;
  if (o.description) {
    throw new DataClientError(
      'BAD_OPTIONS',
      `${address}: pachd commits a one-step put without a description (like pachctl put file)`,
      `Leave the message out, or describe the commit with pachctl: start commit ${a.repo}@${branch} -m …, put file, finish commit.`,
    );
  }
  let head: pfs.CommitInfo | undefined;
  try {
    head = await p.inspect(a.repo, branch);
  } catch (e) {
    if ((e as DataClientError).code !== 'BRANCH_NOT_FOUND') throw e;
  }
  if (head && !head.finishing && !head.finished) throw openHeadError(a.repo, branch, head);
  const entries = await expandSources(a.path, sources);
  if (o.skipIfUnchanged && head) {
    const done = await p.inspect(a.repo, head.commit.id, 'FINISHED');
    if (await unchangedAtHead(p, a.repo, done.commit.id, entries)) {
      return {
        commit: await p.toCommitInfo(a.repo, done, branch),
        created: false,
        files: entries.length,
        bytes: 0,
        newBlobs: 0,
      };
    }
  }
  const sized = entries.every((e) => e.size !== undefined);
  const bytesTotal = sized ? entries.reduce((s, e) => s + (e.size ?? 0), 0) : undefined;
  let bytes = 0;
  const repo = p.repo(a.repo);
  await p.rpc.modifyFile(
    async (write) => {
      await write({ set_commit: { repo, id: '', branch: { repo, name: branch } } });
      for (const [i, e] of entries.entries()) {
        // Overwrite, as pachctl put file does: delete the path, then add its bytes.
        await write({ delete_file: { path: e.path, datum: '' } });
        let sent = false;
        for await (const chunk of readEntry(e)) {
          for (let off = 0; off < chunk.length; off += CHUNK) {
            const part = chunk.subarray(off, off + CHUNK);
            await write({ add_file: { path: e.path, datum: '', raw: { value: part } } });
            bytes += part.length;
            o.onProgress?.({
              path: e.path,
              bytesDone: bytes,
              bytesTotal,
              filesDone: i,
              filesTotal: entries.length,
            });
          }
          sent = true;
        }
        if (!sent) await write({ add_file: { path: e.path, datum: '', raw: { value: Buffer.alloc(0) } } });
      }
    },
    { what: `putting files on ${a.repo}@${branch}`, notFound: 'REPO_NOT_FOUND', at: { repo: a.repo } },
    p.transferTimeoutMs + (bytesTotal ?? 0) * MS_PER_BYTE,
  );
  const made = await findOurCommit(p, a.repo, branch, head?.commit.id ?? null);
  return {
    commit: await p.toCommitInfo(a.repo, made, branch),
    created: true,
    files: entries.length,
    bytes,
    newBlobs: 0,
  };
}
