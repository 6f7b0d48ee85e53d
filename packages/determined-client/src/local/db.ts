// The embedded master's SQLite database: opening it, its migrations, and write transactions. Every
// statement it runs is a named function in db/, one file per table group, re-exported here so
// "where is the SQL?" has one answer.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Db } from './db/connection.js';
import { MIGRATIONS } from './schema.js';

export * from './db/checkpoints.js';
export { type Db, now } from './db/connection.js';
export * from './db/experiments.js';
export * from './db/metrics.js';
export * from './db/registry.js';
export * from './db/trials.js';
export { MIGRATIONS };

/** Where the embedded master keeps its database, checkpoints and trial logs under the fmnist home. */
export function masterPaths(home: string) {
  const root = join(home, 'determined');
  return {
    root,
    db: join(root, 'master.db'),
    checkpoints: join(root, 'checkpoints'),
    logs: join(root, 'logs'),
  };
}

/**
 * Opens (creating or upgrading) the master database. WAL lets trial processes write while the master
 * reads; busy_timeout makes concurrent writers wait for each other instead of failing.
 */
export function openDb(home: string): Db {
  const paths = masterPaths(home);
  mkdirSync(paths.checkpoints, { recursive: true });
  mkdirSync(paths.logs, { recursive: true });
  const db = new Database(paths.db);
  db.pragma('busy_timeout = 30000');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  migrate(db);
  return db;
}

/** Applies the migrations a database lacks; two processes at once: the second waits, then finds it done. */
export function migrate(db: Db): void {
  write(db, () => {
    const have = db.pragma('user_version', { simple: true }) as number;
    if (have > MIGRATIONS.length) {
      throw new Error(
        `the database is from a newer fmnist (schema ${have}, this one knows ${MIGRATIONS.length})`,
      );
    }
    for (let v = have; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]!);
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  });
}

/** Runs `fn` in a write transaction taken up front, so concurrent writers serialise cleanly. */
export function write<T>(db: Db, fn: () => T): T {
  return db.transaction(fn).immediate();
}
