import { describe, expect, it } from 'vitest';
import { createPachydermDataClient } from '../src/pachyderm.js';
import { testDataClient } from './contract.js';
import { startFakePachd } from './fake-pachd.js';

testDataClient('Pachyderm backend against an in-test pachd', async () => {
  const pachd = await startFakePachd();
  return { client: createPachydermDataClient({ address: pachd.address }), stop: pachd.stop };
});

describe('Pachyderm backend', () => {
  it('uploads before it starts a commit, so a failed upload leaves no open commit', async () => {
    const pachd = await startFakePachd();
    const client = createPachydermDataClient({ address: pachd.address });
    await client.createRepo('raw');
    async function* breaks() {
      yield Buffer.from('part');
      throw new Error('source broke');
    }
    await expect(client.putFiles('raw@master:/', { name: 'x', content: breaks() })).rejects.toThrow(
      /source broke/,
    );
    expect(pachd.repos.get('raw')?.commits.size).toBe(0);
    await client.close();
    await pachd.stop();
  });

  it('accepts pachctl-style addresses and rejects nonsense', () => {
    expect(createPachydermDataClient({ address: 'localhost:30650' }).location).toBe('localhost:30650');
    expect(createPachydermDataClient({ address: 'grpcs://pachd.example.com' }).backend).toBe('pachyderm');
    expect(() => createPachydermDataClient({ address: 'not an address' })).toThrow(/not a pachd address/);
  });
});

// Against a real cluster only when one is configured.
describe.runIf(Boolean(process.env.PACHD_ADDRESS))('Pachyderm backend (live)', () => {
  it('round-trips a file through a real pachd', async () => {
    const client = createPachydermDataClient({ address: process.env.PACHD_ADDRESS as string });
    const repo = `fmnist-test-${Date.now()}`;
    await client.createRepo(repo);
    try {
      const put = await client.putFiles(`${repo}@master:/`, { name: 'hello.txt', content: 'hello' });
      expect(put.commit.fileCount).toBe(1);
      expect((await client.listFiles(`${repo}@${put.commit.id}:/`)).map((f) => f.path)).toEqual([
        '/hello.txt',
      ]);
    } finally {
      await client.deleteRepo(repo);
      await client.close();
    }
  });
});
