import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteDeterminedClient } from '../src/index.js';

const haveOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!haveOpenssl)('a master behind TLS with a private CA (DET_MASTER_CERT_FILE)', () => {
  let dir: string;
  let server: Server;
  let url: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'det-tls-'));
  });
  afterAll(async () => {
    server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('trusts the CA it is given, refuses the unknown certificate otherwise, and can be told noverify', async () => {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    server = createServer(
      { key: await readFile(join(dir, 'key.pem')), cert: await readFile(join(dir, 'cert.pem')) },
      (req, res) => {
        res.setHeader('content-type', 'application/json');
        if (req.url === '/api/v1/auth/login') return res.end(JSON.stringify({ token: 'tok-1' }));
        res.end(JSON.stringify({ models: [], pagination: { total: 0 } }));
      },
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const trusted = createRemoteDeterminedClient({
      master: url,
      password: 'x',
      certFile: join(dir, 'cert.pem'),
    });
    expect(await trusted.listModels()).toEqual([]);
    const untrusted = createRemoteDeterminedClient({ master: url, password: 'x' });
    const err = await untrusted.listModels().catch((e) => e);
    expect(err.code).toBe('MASTER_UNAVAILABLE');
    expect(err.message).toMatch(/SELF_SIGNED|certificate/i);
    expect(err.message).toMatch(/DET_MASTER_CERT_FILE/);
    const noverify = createRemoteDeterminedClient({ master: url, password: 'x', certFile: 'noverify' });
    expect(await noverify.listModels()).toEqual([]);
    expect(() => createRemoteDeterminedClient({ master: url, certFile: join(dir, 'missing.pem') })).toThrow(
      /cannot read the master's CA certificate/,
    );
  });
});
