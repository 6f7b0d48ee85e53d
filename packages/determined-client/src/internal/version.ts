import type { Checkpoint, ModelVersion } from '../types.js';

function stringRecord(v: unknown): Record<string, string> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return {};
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
}

/** A model version as both backends present it: the checkpoint plus what produced it. */
export function describeVersion(v: {
  model: string;
  version: number;
  id: number;
  name: string;
  comment: string;
  labels: string[];
  createdAt: string;
  metadata: Record<string, unknown>;
  checkpoint: Checkpoint;
}): ModelVersion {
  const metadata = { ...v.checkpoint.metadata, ...v.metadata };
  return {
    model: v.model,
    version: v.version,
    id: v.id,
    name: v.name,
    comment: v.comment,
    labels: v.labels,
    createdAt: v.createdAt,
    checkpoint: v.checkpoint,
    experimentId: v.checkpoint.experimentId,
    trialId: v.checkpoint.trialId,
    hparams: v.checkpoint.hparams,
    metrics: { training: v.checkpoint.trainingMetrics, validation: v.checkpoint.validationMetrics },
    metadata,
    dataCommits: stringRecord(metadata.data_commits),
    backend: typeof metadata.backend === 'string' ? metadata.backend : null,
    codeVersion: typeof metadata.code_version === 'string' ? metadata.code_version : null,
  };
}
