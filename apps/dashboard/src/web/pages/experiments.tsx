import { useState } from 'preact/hooks';
import type { Experiment, ExperimentDetail, ExperimentRow } from '../../shared/api.js';
import { post } from '../api.js';
import { LineChart } from '../components/chart.js';
import { duration, num, pct, when } from '../components/format.js';
import { useLive } from '../components/live.js';
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

/** What can be done to an experiment in this state: kill it while it may still run, activate it when paused. */
function Actions(props: { d: ExperimentDetail; reload: () => void }) {
  const e = props.d.experiment;
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState<string>();
  const act = (verb: 'kill' | 'activate') => {
    setBusy(verb);
    setError(undefined);
    post<Experiment>(`/api/experiments/${e.id}/${verb}`, {})
      .then((x) => {
        setDone(`${verb === 'kill' ? 'Killed' : 'Activated'}: the master says ${x.state}`);
        props.reload();
      }, setError)
      .finally(() => setBusy(undefined));
  };
  const stopping = e.state.startsWith('STOPPING_');
  return (
    <div class="actions">
      {e.state === 'PAUSED' ? (
        <button type="button" disabled={busy !== undefined} onClick={() => act('activate')}>
          {e.interrupted ? 'Resume (activate) experiment' : 'Activate experiment'}
        </button>
      ) : null}
      {!props.d.terminal && !stopping ? (
        <button type="button" class="danger" disabled={busy !== undefined} onClick={() => act('kill')}>
          Kill experiment
        </button>
      ) : null}
      {busy ? <span class="muted"> asking the master to {busy} it…</span> : null}
      {done && !error ? <span class="ok muted"> {done}</span> : null}
      {error ? <ErrorBox error={error} /> : null}
    </div>
  );
}

export function ExperimentPage(props: { id: string }) {
  const loaded = useLive<ExperimentDetail>(
    `/api/experiments/${props.id}`,
    `/api/experiments/${props.id}/events`,
    LIVE_MS,
    (d) => d.terminal,
  );
  return (
    <section data-live={loaded.mode}>
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
                {d.terminal
                  ? ''
                  : loaded.mode === 'stream'
                    ? ' — updating live'
                    : ' — updating live (polling)'}
              </p>
              <Actions d={d} reload={loaded.reload} />
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
