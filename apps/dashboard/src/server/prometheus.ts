/** One sample line of the Prometheus text format: `name{a="b"} value`. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses the text exposition format (what prom-client and Seldon's executor serve). */
export function parsePrometheus(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL))
      labels[l[1] as string] = (l[2] as string).replace(/\\(.)/g, '$1');
    const value = Number(m[3]);
    if (!Number.isNaN(value)) out.push({ name: m[1] as string, labels, value });
  }
  return out;
}

/** Requests answered and their latency histogram for the prediction routes only (not health or metrics). */
export interface PredictionTraffic {
  total: number;
  /** Cumulative bucket counts by upper bound in seconds, ascending; the last is +Inf. */
  buckets: { le: number; count: number }[];
}

const isPrediction = (route: string | undefined) => Boolean(route && /predictions|infer/.test(route));

export function predictionTraffic(samples: Sample[]): PredictionTraffic {
  let total = 0;
  const byLe = new Map<number, number>();
  for (const s of samples) {
    if (s.name === 'seldon_api_server_requests_total' && isPrediction(s.labels.route)) total += s.value;
    if (s.name === 'seldon_api_server_requests_seconds_bucket' && isPrediction(s.labels.route)) {
      const le = s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels.le);
      byLe.set(le, (byLe.get(le) ?? 0) + s.value);
    }
  }
  const buckets = [...byLe].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le);
  return { total, buckets };
}

/** The traffic between two looks: counts subtract bucket by bucket. */
export function trafficSince(
  now: PredictionTraffic,
  before: PredictionTraffic | undefined,
): PredictionTraffic {
  if (!before || before.total > now.total) return now; // first look, or the server restarted
  const prev = new Map(before.buckets.map((b) => [b.le, b.count]));
  return {
    total: now.total - before.total,
    buckets: now.buckets.map((b) => ({ le: b.le, count: b.count - (prev.get(b.le) ?? 0) })),
  };
}

/**
 * The q-quantile (0..1) of a cumulative histogram, interpolating linearly inside the bucket as
 * Prometheus' histogram_quantile does; null without observations.
 */
export function histogramQuantile(q: number, buckets: { le: number; count: number }[]): number | null {
  const total = buckets.at(-1)?.count ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const b of buckets) {
    if (b.count >= rank) {
      // The +Inf bucket has no upper bound: answer the highest finite one, as Prometheus does.
      if (!Number.isFinite(b.le)) return lower;
      const inBucket = b.count - below;
      return inBucket > 0 ? lower + ((b.le - lower) * (rank - below)) / inBucket : b.le;
    }
    lower = b.le;
    below = b.count;
  }
  return lower;
}
