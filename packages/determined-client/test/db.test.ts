import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalDeterminedClient } from '../src/index.js';
import { MIGRATIONS, masterPaths, openDb } from '../src/local/db.js';

describe('the embedded master database', () => {
  let home: string;
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'det-db-'));
  });
  afterEach(() => rm(home, { recursive: true, force: true }));

  /** A home as fmnist wrote it before schema versions were counted: version 0, the first schema. */
  function writeOldHome() {
    const paths = masterPaths(home);
    mkdirSync(paths.root, { recursive: true });
    const db = new Database(paths.db);
    db.exec(MIGRATIONS[0]!);
    db.prepare(
      `INSERT INTO experiments (name, state, config, start_time) VALUES ('old', 'COMPLETED', '{"searcher":{"name":"single","metric":"acc"}}', '2026-01-01T00:00:00Z')`,
    ).run();
    db.prepare(
      `INSERT INTO trials (experiment_id, request_id, state, hparams, start_time, latest_checkpoint) VALUES (1, 0, 'COMPLETED', '{"lr":0.1}', '2026-01-01T00:00:00Z', NULL)`,
    ).run();
    expect(db.pragma('user_version', { simple: true })).toBe(0);
    db.close();
  }

  it('opens an older home and upgrades it in place, keeping what it held', async () => {
    writeOldHome();
    const db = openDb(home);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    const columns = (db.pragma('table_info(trials)') as { name: string }[]).map((c) => c.name);
    expect(columns).toContain('checkpoint_steps');
    db.close();
    const client = createLocalDeterminedClient({ home });
    expect((await client.getExperiment(1)).name).toBe('old');
    expect((await client.listTrials(1))[0]).toMatchObject({ hparams: { lr: 0.1 }, latestCheckpoint: null });
    await client.close();
  });

  it('upgrades once: opening again changes nothing', () => {
    openDb(home).close();
    const db = openDb(home);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    db.close();
  });

  it('refuses a home written by a newer fmnist instead of guessing', () => {
    openDb(home).close();
    const raw = new Database(masterPaths(home).db);
    raw.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    raw.close();
    expect(() => openDb(home)).toThrow(/newer fmnist/);
  });
});
