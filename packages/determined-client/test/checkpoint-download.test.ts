import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteDeterminedClient } from '../src/index.js';
import { TAR_END, tarEntry } from './fake-master/tar.js';

// GET /checkpoints/{uuid} streams the checkpoint's storage as a tar, each object under its key
// (master/internal/core_checkpoint.go at v0.38.1): a key holding `..` or a link in shared_fs storage
// reaches the client as is. Here the master serves such archives; the client must not write them.
const archives: Record<string, Buffer> = {
  plain: Buffer.concat([...tarEntry('state.json', Buffer.from('{"step":3}'), 0), TAR_END]),
  escaping: Buffer.concat([
    ...tarEntry('state.json', Buffer.from('{}'), 0),
    ...tarEntry('../x', Buffer.from('outside'), 0),
    TAR_END,
  ]),
  linked: Buffer.concat([...tarEntry('passwd', Buffer.alloc(0), 0, '2', '/etc/passwd'), TAR_END]),
};

let server: Server;
let work: string;
const client = () =>
  createRemoteDeterminedClient({
    master: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    token: 'v2.public.test',
  });

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'det-download-'));
  server = createServer((req, res) => {
    const body = archives[decodeURIComponent(req.url?.replace(/^\/checkpoints\//, '') ?? '')];
    if (!body) res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"Not Found"}');
    else res.writeHead(200, { 'content-type': 'application/x-tar' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await rm(work, { recursive: true, force: true });
});

describe('downloading a checkpoint from the master', () => {
  it('writes the files of the archive into the folder', async () => {
    const dest = await client().downloadCheckpoint('plain', join(work, 'plain'));
    expect(await readFile(join(dest, 'state.json'), 'utf8')).toBe('{"step":3}');
  });

  it('refuses an archive with a path that escapes the folder, and writes nothing', async () => {
    const dest = join(work, 'escaping', 'ckpt');
    const err = await client()
      .downloadCheckpoint('escaping', dest)
      .catch((e) => e);
    expect(err.code).toBe('TAR_UNSAFE_ENTRY');
    expect(err.message).toContain('../x');
    expect(existsSync(join(work, 'escaping', 'x'))).toBe(false);
    expect(await readdir(dest)).toEqual([]);
  });

  it('refuses an archive holding a link', async () => {
    const err = await client()
      .downloadCheckpoint('linked', join(work, 'linked'))
      .catch((e) => e);
    expect(err.code).toBe('TAR_UNSAFE_ENTRY');
    expect(err.message).toContain('symbolic link to /etc/passwd');
    expect(existsSync(join(work, 'linked', 'passwd'))).toBe(false);
  });
});
