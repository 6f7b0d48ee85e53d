// The model registry: models and their versions.
import { type Db, now } from './connection.js';

export interface ModelRow {
  id: number;
  name: string;
  description: string;
  metadata: string;
  labels: string;
  created: string;
  updated: string;
  num_versions: number;
}

export interface VersionRow {
  id: number;
  model_id: number;
  version: number;
  checkpoint_uuid: string;
  name: string;
  comment: string;
  labels: string;
  metadata: string;
  created: string;
}

const MODEL_SELECT =
  'SELECT m.*, (SELECT COUNT(*) FROM model_versions v WHERE v.model_id = m.id) AS num_versions FROM models m';

export function getModelRow(db: Db, name: string): ModelRow | undefined {
  return db.prepare(`${MODEL_SELECT} WHERE name = ?`).get(name) as ModelRow | undefined;
}

export function listModelRows(db: Db): ModelRow[] {
  return db.prepare(`${MODEL_SELECT} ORDER BY m.id`).all() as ModelRow[];
}

export function insertModel(
  db: Db,
  m: { name: string; description: string; metadata: unknown; labels: string[] },
): void {
  const t = now();
  db.prepare(
    'INSERT INTO models (name, description, metadata, labels, created, updated) VALUES (?, ?, ?, ?, ?, ?)',
  ).run(m.name, m.description, JSON.stringify(m.metadata), JSON.stringify(m.labels), t, t);
}

/** Adds the model's next version; returns its number. */
export function insertVersion(
  db: Db,
  modelId: number,
  v: { checkpointUuid: string; name: string; comment: string; labels: string[]; metadata: unknown },
): number {
  const next = (
    db
      .prepare('SELECT COALESCE(MAX(version), 0) + 1 AS n FROM model_versions WHERE model_id = ?')
      .get(modelId) as {
      n: number;
    }
  ).n;
  const t = now();
  db.prepare(
    `INSERT INTO model_versions (model_id, version, checkpoint_uuid, name, comment, labels, metadata, created)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    modelId,
    next,
    v.checkpointUuid,
    v.name,
    v.comment,
    JSON.stringify(v.labels),
    JSON.stringify(v.metadata),
    t,
  );
  db.prepare('UPDATE models SET updated = ? WHERE id = ?').run(t, modelId);
  return next;
}

export function listVersionRows(db: Db, modelId: number): VersionRow[] {
  return db
    .prepare('SELECT * FROM model_versions WHERE model_id = ? ORDER BY version')
    .all(modelId) as VersionRow[];
}

export function getVersionRow(db: Db, modelId: number, version: number | 'latest'): VersionRow | undefined {
  return (
    version === 'latest'
      ? db
          .prepare('SELECT * FROM model_versions WHERE model_id = ? ORDER BY version DESC LIMIT 1')
          .get(modelId)
      : db.prepare('SELECT * FROM model_versions WHERE model_id = ? AND version = ?').get(modelId, version)
  ) as VersionRow | undefined;
}
