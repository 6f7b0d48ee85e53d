import type { MetricsReport } from '@fmnist/determined-client';
import { useState } from 'preact/hooks';
import type { TrialDetail, VersionRow } from '../../shared/api.js';
import { post } from '../api.js';
import { LineChart, type Series } from '../components/chart.js';
import { CopyButton } from '../components/copy.js';
import { bytes, entries, num, when } from '../components/format.js';
import { ErrorBox, Page, useApi } from '../components/load.js';
import { Table } from '../components/table.js';
import { Link } from '../router.js';

const MODEL = 'fashion-classifier';

/**
 * One series per numeric metric of a group. Metrics reported twice under two names (the trial reports
 * Determined's `validation_loss` and Keras' `val_loss`) are one line with both names, not one hidden
 * under the other.
 */
function metricSeries(reports: MetricsReport[], only?: (name: string) => boolean): Series[] {
  const names = new Set(
    reports.flatMap((r) => Object.keys(r.metrics).filter((k) => typeof r.metrics[k] === 'number')),
  );
  const out: Series[] = [];
  for (const n of [...names].filter((x) => !only || only(x))) {
    const points = reports
      .filter((r) => typeof r.metrics[n] === 'number')
      .map((r) => ({ x: r.stepsCompleted, y: r.metrics[n] as number }));
    const same = out.find((s) => JSON.stringify(s.points) === JSON.stringify(points));
    if (same) same.label += ` = ${n}`;
    else out.push({ label: n, points });
  }
  return out;
}

function Register(props: { checkpoint: string; models: string[]; onDone: () => void }) {
  const [model, setModel] = useState(props.models[0] ?? MODEL);
  const [error, setError] = useState<unknown>();
  const [made, setMade] = useState<VersionRow>();
  return (
    <span class="register">
      <input
        aria-label="model name"
        value={model}
        onInput={(e) => setModel((e.target as HTMLInputElement).value)}
        list="models"
      />
      <button
        type="button"
        onClick={() =>
          post<VersionRow>(`/api/models/${encodeURIComponent(model)}/versions`, {
            checkpoint: props.checkpoint,
          }).then((v) => {
            setMade(v);
            setError(undefined);
            props.onDone();
          }, setError)
        }
      >
        Register as a version
      </button>
      {made ? (
        <span class="ok">
          registered as{' '}
          <Link
            href={`/models/${made.model}/versions/${made.version}`}
          >{`${made.model} v${made.version}`}</Link>
        </span>
      ) : null}
      {error ? <ErrorBox error={error} /> : null}
    </span>
  );
}

export function TrialPage(props: { id: string }) {
  const loaded = useApi<TrialDetail>(`/api/trials/${props.id}`);
  return (
    <section>
      <Page loaded={loaded}>
        {(d) => {
          const t = d.trial;
          const lossy = (n: string) => /loss/.test(n);
          return (
            <>
              <h1>
                Trial {t.id} <span class={`state ${t.state}`}>{t.state}</span>
              </h1>
              <p class="muted">
                of{' '}
                <Link href={`/experiments/${d.experiment.id}`}>
                  experiment {d.experiment.id} ({d.experiment.name})
                </Link>
                , trained {t.stepsCompleted}, {t.restarts} restarts, started {when(t.startTime)}
              </p>
              <h2>Hyperparameters</h2>
              <table class="kv">
                <tbody>
                  {entries(t.hparams).map(([k, v]) => (
                    <tr key={k}>
                      <th>{k}</th>
                      <td>{v}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <div class="two">
                <div>
                  <h2>Loss</h2>
                  <LineChart
                    series={[...metricSeries(d.training, lossy), ...metricSeries(d.validation, lossy)]}
                    xLabel="trained"
                    yLabel="loss"
                    height={220}
                  />
                </div>
                <div>
                  <h2>Accuracy</h2>
                  <LineChart
                    series={[
                      ...metricSeries(d.training, (n) => !lossy(n) && /acc/.test(n)),
                      ...metricSeries(d.validation, (n) => !lossy(n) && /acc/.test(n)),
                    ]}
                    xLabel="trained"
                    yLabel="accuracy"
                    height={220}
                  />
                </div>
              </div>
              <h2>Validations</h2>
              <Table head={['trained', 'metrics', 'at']}>
                {d.validation.map((m) => (
                  <tr key={m.stepsCompleted}>
                    <td>{m.stepsCompleted}</td>
                    <td>
                      {entries(m.metrics)
                        .map(([k, v]) => `${k} ${v}`)
                        .join(', ')}
                    </td>
                    <td>{when(m.reportTime)}</td>
                  </tr>
                ))}
              </Table>
              <h2>Checkpoints</h2>
              <datalist id="models">
                {d.models.map((m) => (
                  <option key={m} value={m} />
                ))}
              </datalist>
              <Table
                class="checkpoints"
                head={['uuid', 'trained', d.experiment.searcherMetric, 'size', 'registry']}
              >
                {d.checkpoints.map((c) => (
                  <tr key={c.uuid} id={c.uuid}>
                    <td>
                      <code class="uuid">{c.uuid}</code>{' '}
                      <CopyButton text={c.uuid} label={`copy checkpoint ${c.uuid}`} />
                    </td>
                    <td>{c.stepsCompleted ?? '—'}</td>
                    <td>{num(c.searcherMetric)}</td>
                    <td>{bytes(Object.values(c.resources).reduce((a, b) => a + b, 0))}</td>
                    <td>
                      {(d.registered[c.uuid] ?? []).map((label) => (
                        <span class="tag" key={label}>
                          {label}
                        </span>
                      ))}
                      {c.state === 'COMPLETED' ? (
                        <Register checkpoint={c.uuid} models={d.models} onDone={loaded.reload} />
                      ) : (
                        c.state
                      )}
                    </td>
                  </tr>
                ))}
              </Table>
            </>
          );
        }}
      </Page>
    </section>
  );
}
