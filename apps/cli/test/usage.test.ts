import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from './helpers.js';

const run = (...argv: string[]) => runCli(undefined, ...argv);

afterEach(() => vi.restoreAllMocks());

describe('fmnist usage errors', () => {
  it('rejects an unknown subcommand with a hint and no stack trace', async () => {
    const r = await run('fetch-all');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'fetch-all'/);
    expect(r.stderr).toMatch(/fmnist --help/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('suggests the closest command for a typo', async () => {
    const r = await run('dta', 'fetch');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Did you mean data\?/);
  });

  it('asks for the missing subcommand of a group', async () => {
    const r = await run('data');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/"fmnist data" needs a subcommand: fetch/);
  });

  it('reports a missing option argument', async () => {
    const r = await run('data', 'fetch', '--out');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/option '--out <dir>' argument missing/);
    expect(r.stderr).toMatch(/fmnist data fetch --help/);
  });

  it('rejects an unknown option', async () => {
    const r = await run('data', 'fetch', '--colour');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--colour'/);
  });

  it('prints help and exits 0 when asked', async () => {
    const r = await run('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: fmnist/);
    expect(r.stdout).toMatch(/data/);
  });

  it('prints usage to stderr and fails when called with nothing', async () => {
    const r = await run();
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Usage: fmnist/);
  });
});
