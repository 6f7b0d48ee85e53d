import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakePfsDefinition, startFakePachd } from './fake-pachd.js';

// The rules the in-test pachd keeps, asserted through plain gRPC calls (no client under test), so a
// client that passes against it is held to what pachd v2.11.6 does.
type Call = (req: object, opts?: grpc.CallOptions) => Promise<Record<string, unknown>>;

describe("the in-test pachd keeps pachd's rules", () => {
  let pachd: Awaited<ReturnType<typeof startFakePachd>>;
  let api: grpc.Client & Record<string, unknown>;
  let call: (method: string) => Call;

  beforeAll(async () => {
    pachd = await startFakePachd();
    const loaded = grpc.loadPackageDefinition(fakePfsDefinition()) as unknown as {
      pfs_v2: { API: grpc.ServiceClientConstructor };
    };
    api = new loaded.pfs_v2.API(`127.0.0.1:${pachd.port}`, grpc.credentials.createInsecure()) as never;
    call =
      (method) =>
      (req, opts = {}) =>
        new Promise((resolve, reject) =>
          (
            api[method] as (
              r: object,
              m: grpc.Metadata,
              o: grpc.CallOptions,
              cb: (e: unknown, r: never) => void,
            ) => void
          ).call(api, req, new grpc.Metadata(), { deadline: Date.now() + 5000, ...opts }, (e, r) =>
            e ? reject(e) : resolve(r),
          ),
        );
    await call('CreateRepo')({ repo: { name: 'rules' } });
  });
  afterAll(async () => {
    api.close();
    await pachd.stop();
  });

  const repo = { name: 'rules', type: 'user', project: { name: 'default' } };

  it('wants a repo on every commit (val_server.go, checkCommit)', async () => {
    await expect(call('InspectCommit')({ commit: { id: 'f'.repeat(32) } })).rejects.toMatchObject({
      details: 'commit must have a repo',
    });
  });

  it('refuses a commit on a branch whose head is still open (driver.go, linkParent)', async () => {
    const open = await call('StartCommit')({ branch: { repo, name: 'open' } });
    await expect(call('StartCommit')({ branch: { repo, name: 'open' } })).rejects.toMatchObject({
      details: expect.stringMatching(/^parent commit default\/rules@\w+ has not been finished$/),
    });
    await call('FinishCommit')({ commit: open });
  });

  it('holds InspectCommit with wait=FINISHED until the commit finishes, and gives up at the deadline', async () => {
    const open = (await call('StartCommit')({ branch: { repo, name: 'waited' } })) as { id: string };
    await expect(
      call('InspectCommit')(
        { commit: { repo, id: open.id }, wait: 'FINISHED' },
        { deadline: Date.now() + 150 },
      ),
    ).rejects.toMatchObject({
      code: grpc.status.DEADLINE_EXCEEDED,
    });
    const started = await call('InspectCommit')({ commit: { repo, id: open.id }, wait: 'STARTED' });
    expect(started.finished).toBeNull();
    const waiting = call('InspectCommit')({ commit: { repo, id: open.id }, wait: 'FINISHED' });
    const commit = pachd.commits('rules').find((c) => c.id === open.id);
    await call('FinishCommit')({ commit: { repo, id: open.id } });
    expect(commit?.finishing).not.toBeNull();
    expect((await waiting).finished).not.toBeNull();
  });

  it('puts into an open head as part of that commit, and makes a new commit on a finished one (driver_file.go, modifyFile)', async () => {
    const modify = (msgs: object[]) =>
      new Promise((resolve, reject) => {
        const stream = (
          api.ModifyFile as (
            m: grpc.Metadata,
            cb: (e: unknown, r: unknown) => void,
          ) => grpc.ClientWritableStream<object>
        ).call(api, new grpc.Metadata(), (e, r) => (e ? reject(e) : resolve(r)));
        for (const m of msgs) stream.write(m);
        stream.end();
      });
    const add = (path: string, text: string) => ({ add_file: { path, raw: { value: Buffer.from(text) } } });
    const open = (await call('StartCommit')({ branch: { repo, name: 'mixed' } })) as { id: string };
    await modify([{ set_commit: { repo, branch: { repo, name: 'mixed' } } }, add('/theirs.txt', 'x')]);
    expect(
      pachd
        .commits('rules')
        .filter((c) => c.branch === 'mixed')
        .map((c) => [...c.files.keys()]),
    ).toEqual([['/theirs.txt']]);
    await call('FinishCommit')({ commit: { repo, id: open.id } });
    await modify([{ set_commit: { repo, branch: { repo, name: 'mixed' } } }, add('/next.txt', 'y')]);
    const mixed = pachd.commits('rules').filter((c) => c.branch === 'mixed');
    expect(mixed).toHaveLength(2);
    expect(mixed[1]).toMatchObject({ parent: open.id });
    await expect(modify([add('/x', 'x')])).rejects.toMatchObject({
      details: 'first message must be a commit',
    });
  });
});
