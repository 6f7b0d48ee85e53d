import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDataClient } from '../src/index.js';
import { createPachydermDataClient, parsePachdAddress, resolvePachdConnection } from '../src/pachyderm.js';
import { startFakePachd } from './fake-pachd.js';

describe('pachd addresses, parsed as pachctl parses them', () => {
  it.each([
    ['localhost:30650', 'grpc://localhost:30650', 'localhost:30650', false],
    ['pachd.example.com', 'grpc://pachd.example.com:30650', 'pachd.example.com:30650', false],
    ['grpc://10.0.0.5:650', 'grpc://10.0.0.5:650', '10.0.0.5:650', false],
    ['grpcs://pachd.example.com', 'grpcs://pachd.example.com:30650', 'pachd.example.com:30650', true],
    ['https://pachd.example.com:443', 'grpcs://pachd.example.com:443', 'pachd.example.com:443', true],
    ['http://pachd.example.com', 'grpc://pachd.example.com:30650', 'pachd.example.com:30650', false],
    ['unix:///var/run/pachd.sock', 'unix:///var/run/pachd.sock', 'unix:///var/run/pachd.sock', false],
  ])('%s', (input, qualified, target, tls) => {
    expect(parsePachdAddress(input)).toEqual({ qualified, target, tls });
  });

  it.each([
    ['', /empty/],
    ['ftp://host:1', /unknown scheme "ftp"/],
    ['grpc://host:1/pfs', /should not include a path/],
    ['grpc://host:1/', /should not include a path/],
    ['grpc://me:pw@host:1', /login credentials/],
    ['grpc://host:1?x=1', /query string/],
    ['grpc://host:1#top', /fragment/],
  ])('refuses %j', (input, why) => {
    expect(() => parsePachdAddress(input)).toThrow(
      expect.objectContaining({ code: 'BAD_OPTIONS', message: expect.stringMatching(why) }),
    );
  });
});

describe("pachctl's config: the active context, PACH_CONFIG, PACH_CONTEXT and PACH_TOKEN", () => {
  let dir: string;
  let config: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fmnist-pachctl-'));
    config = join(dir, 'config.json');
    await writeFile(
      config,
      JSON.stringify({
        user_id: 'u',
        v2: {
          active_context: 'local',
          contexts: {
            local: { pachd_address: 'grpc://localhost:30650', session_token: 'local-token' },
            prod: {
              pachd_address: 'grpcs://pachd.prod:443',
              server_cas: Buffer.from('-----BEGIN CERTIFICATE-----\n…').toString('base64'),
              project: 'fashion',
            },
            broken: { pachd_address: 'grpc://pachd.prod:650', server_cas: 'AAAA' },
          },
        },
      }),
    );
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('uses the active context, or the one PACH_CONTEXT names', () => {
    expect(resolvePachdConnection({}, { PACH_CONFIG: config })).toMatchObject({
      address: { qualified: 'grpc://localhost:30650' },
      token: 'local-token',
      project: 'default',
      source: `context "local" of ${config}`,
    });
    const prod = resolvePachdConnection({}, { PACH_CONFIG: config, PACH_CONTEXT: 'prod' });
    expect(prod).toMatchObject({ address: { tls: true, target: 'pachd.prod:443' }, project: 'fashion' });
    expect(prod?.rootCerts?.toString()).toMatch(/BEGIN CERTIFICATE/);
  });

  it('lets PACHD_ADDRESS and an explicit address win over the context, and PACH_TOKEN over its token', () => {
    const env = { PACH_CONFIG: config, PACHD_ADDRESS: 'pachd.other:1650', PACH_TOKEN: 'worker-token' };
    expect(resolvePachdConnection({}, env)).toMatchObject({
      address: { target: 'pachd.other:1650' },
      token: 'worker-token',
      source: 'PACHD_ADDRESS',
    });
    expect(resolvePachdConnection({ address: 'grpc://x:1' }, env)?.address.target).toBe('x:1');
  });

  it('says what is wrong with a context, as pachctl does', () => {
    expect(() => resolvePachdConnection({}, { PACH_CONFIG: config, PACH_CONTEXT: 'nope' })).toThrow(
      /PACH_CONTEXT refers to a context \("nope"\) that does not exist.*\n.*Known contexts: local, prod, broken/,
    );
    expect(() => resolvePachdConnection({}, { PACH_CONFIG: config, PACH_CONTEXT: 'broken' })).toThrow(
      /server_cas is set, so pachd_address must be grpcs/,
    );
    expect(resolvePachdConnection({}, { PACH_CONFIG: join(dir, 'absent.json') })).toBeUndefined();
  });

  it('keeps the embedded store unless an address, PACH_CONFIG or PACH_CONTEXT asks for Pachyderm', async () => {
    expect(createDataClient({ home: dir, env: {} }).backend).toBe('local');
    const viaConfig = createDataClient({ home: dir, env: { PACH_CONFIG: config } });
    expect([viaConfig.backend, viaConfig.location]).toEqual(['pachyderm', 'grpc://localhost:30650']);
    await viaConfig.close();
  });

  it("sends the context's session token as authn-token", async () => {
    const pachd = await startFakePachd({ users: { 'local-token': 'alice' } });
    await writeFile(
      join(dir, 'auth.json'),
      JSON.stringify({
        v2: {
          active_context: 'c',
          contexts: { c: { pachd_address: pachd.address, session_token: 'local-token' } },
        },
      }),
    );
    const client = createPachydermDataClient({ env: { PACH_CONFIG: join(dir, 'auth.json') } });
    await client.createRepo('mine');
    expect((await client.putFiles('mine@master:/', { name: 'a', content: 'a' })).created).toBe(true);
    expect(pachd.commits('mine')[0]?.createdBy).toBe('alice');
    const anonymous = createPachydermDataClient({ address: pachd.address, env: {} });
    await expect(anonymous.listRepos()).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
    await client.close();
    await anonymous.close();
    await pachd.stop();
  });

  it('talks to pachd over a unix socket', async () => {
    const pachd = await startFakePachd({ socket: join(dir, 'pachd.sock') });
    const client = createPachydermDataClient({ address: `unix://${join(dir, 'pachd.sock')}`, env: {} });
    await client.createRepo('over-socket');
    expect((await client.listRepos()).map((r) => r.name)).toEqual(['over-socket']);
    await client.close();
    await pachd.stop();
  });
});
