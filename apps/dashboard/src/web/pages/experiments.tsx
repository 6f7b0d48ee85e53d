import { useState } from 'preact/hooks';
import type { ExperimentDetail, ExperimentRow } from '../../shared/api.js';
import { post } from '../api.js';
import { LineChart } from '../components/chart.js';
import { duration, num, pct, when } from '../components/format.js';
import { ErrorBox, Page, useApi } from '../components/load.js';
import { RungChart } from '../components/rungs.js';
import { Table } from '../components/table.js';
import { Link } from '../router.js';

const LIVE_MS = 2000;

export function ExperimentsPage() {
  const loaded = useApi<ExperimentRow[]>('/api/experiments', LIVE_MS * 2);
  return (
    <section>
      <h1>Experiments</h1>
      <Page loaded={loaded}>
        {(rows) =>
          rows.length === 0 ? (
            <p class="muted">No experiments yet: run "npm start" or "fmnist experiment create".</p>
          ) : (
            <Table
              class="experiments"
              head={['id', 'name', 'state', 'searcher', 'trials', 'best metric', 'started', 'duration']}
            >
              {rows.map((e) => (
                <tr key={e.id}>
                  <td>
                    <Link href={`/experiments/${e.id}`}>{e.id}</Link>
                  </td>
                  <td>
                    <Link href={`/experiments/${e.id}`}>{e.name}</Link>
                  </td>
                  <td>
                    <span class={`state ${e.state}`}>{e.state}</span>
                  </td>
                  <td>{e.searcherType}</td>
                  <td>{e.numTrials}</td>
                  <td>
                    {e.searcherMetric} {num(e.bestMetric)}
                  </td>
                  <td>{when(e.startTime)}</td>
                  <td>{duration(e.durationSeconds)}</td>
                </tr>
              ))}
            </Table>
          )
        }
      </Page>
    </section>
  );
}

export function ExperimentPage(props: { id: string }) {
  const [live, setLive] = useState(true);
  const loaded = useApi<ExperimentDetail>(`/api/experiments/${props.id}`, live ? LIVE_MS : undefined);
  const [killError, setKillError] = useState<unknown>();
  if (loaded.data?.terminal && live) setLive(false);
  return (
    <section>
      <Page loaded={loaded}>
        {(d) => {
          const e = d.experiment;
          const series = d.trials.map((t) => ({
            label: `trial ${t.id}`,
            points: (d.curves[t.id] ?? []).map((p) => ({ x: p.steps, y: p.value })),
          }));
          return (
            <>
              <h1>
                Experiment {e.id}: {e.name} <span class={`state ${e.state}`}>{e.state}</span>
              </h1>
              <p class="muted">
                {e.searcherType} search on {e.searcherMetric} ({e.smallerIsBetter ? 'smaller' : 'larger'} is
                better), {e.numTrials} trials, {pct(e.progress)} done, {duration(e.durationSeconds)}
                {d.terminal ? '' : ' — updating live'}
              </p>
              {!d.terminal ? (
                <button
                  type="button"
                  class="danger"
                  onClick={() => post(`/api/experiments/${e.id}/kill`, {}).then(loaded.reload, setKillError)}
                >
                  Kill experiment
                </button>
              ) : null}
              {killError ? <ErrorBox error={killError} /> : null}
              <h2>Validation {e.searcherMetric}</h2>
              <LineChart
                series={series}
                xLabel={`trained (${d.unit ?? 'steps'})`}
                yLabel={e.searcherMetric}
              />
              {d.rungs.length ? (
                <>
                  <h2>ASHA rungs</h2>
                  <RungChart rungs={d.rungs} unit={d.unit} />
                </>
              ) : null}
              <h2>Trials</h2>
              <Table class="trials" head={['trial', 'state', 'trained', e.searcherMetric, 'hyperparameters']}>
                {d.trials.map((t) => (
                  <tr key={t.id}>
                    <td>
                      <Link href={`/trials/${t.id}`}>trial {t.id}</Link>
                    </td>
                    <td>
                      <span class={`state ${t.state}`}>{t.state}</span>
                    </td>
                    <td>{t.stepsCompleted}</td>
                    <td>{num(t.searcherMetricValue)}</td>
                    <td class="hp">
                      {Object.entries(t.hparams)
                        .map(
                          ([k, v]) =>
                            `${k}=${typeof v === 'number' && !Number.isInteger(v) ? v.toPrecision(3) : JSON.stringify(v)}`,
                        )
                        .join(' ')}
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
