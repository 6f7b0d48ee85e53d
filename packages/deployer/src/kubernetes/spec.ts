import { LABELS, PREVIOUS_ANNOTATION } from '../manifest.js';
import type { KubeObject } from '../types.js';

/** The labels and spec a deployment had before an update: what `rollback` re-applies. */
export interface PreviousSpec {
  labels?: Record<string, string>;
  spec: Record<string, unknown>;
}

export type Predictor = {
  name?: string;
  traffic?: number;
  labels?: Record<string, string>;
  componentSpecs?: { spec?: { containers?: { name?: string; image?: string }[] } }[];
};

export function predictors(obj: { spec?: Record<string, unknown> } | undefined): Predictor[] {
  return ((obj?.spec?.predictors as Predictor[] | undefined) ?? []).filter(Boolean);
}

export function predictorVersion(p: Predictor | undefined): number | undefined {
  const v = Number(p?.labels?.[LABELS.modelVersion]);
  return Number.isSafeInteger(v) && v > 0 ? v : undefined;
}

export function predictorImage(p: Predictor | undefined): string | undefined {
  return p?.componentSpecs?.[0]?.spec?.containers?.[0]?.image;
}

export function readPrevious(obj: KubeObject): PreviousSpec | undefined {
  const raw = obj.metadata.annotations?.[PREVIOUS_ANNOTATION];
  if (!raw) return undefined;
  try {
    const p = JSON.parse(raw) as PreviousSpec;
    return p && typeof p.spec === 'object' ? p : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether `found` (as the API server returns it) already holds everything in `desired`. The server sends
 * custom resources back with their keys sorted and with defaults filled in (structural-schema defaults,
 * the operator's mutating webhook), so key order and extra fields must not count as a change. Like
 * apimachinery's Semantic.DeepDerivative (`third_party/forked/golang/reflect/deep_equal.go`), which the
 * Seldon operator uses to compare the Deployments it owns: fields `desired` leaves unset are ignored;
 * lists must match element by element.
 */
export function holdsSpec(desired: unknown, found: unknown): boolean {
  if (desired === undefined || desired === null) return true;
  if (Array.isArray(desired)) {
    if (desired.length === 0) return true;
    return (
      Array.isArray(found) &&
      found.length === desired.length &&
      desired.every((d, i) => holdsSpec(d, found[i]))
    );
  }
  if (typeof desired === 'object') {
    if (!found || typeof found !== 'object' || Array.isArray(found)) return false;
    return Object.entries(desired as Record<string, unknown>).every(([k, v]) =>
      holdsSpec(v, (found as Record<string, unknown>)[k]),
    );
  }
  return desired === found;
}

/**
 * What to keep as the version to roll back to when `next` is applied over `existing`: nothing for a new
 * object, the kept one when the spec does not change (redeploying the serving version), else `existing`.
 */
export function previousFor(existing: KubeObject | undefined, next: KubeObject): string | undefined {
  if (!existing?.spec) return undefined;
  if (holdsSpec(next.spec, existing.spec)) return existing.metadata.annotations?.[PREVIOUS_ANNOTATION];
  const prev: PreviousSpec = { labels: existing.metadata.labels ?? {}, spec: existing.spec };
  return JSON.stringify(prev);
}
