import { useState } from 'preact/hooks';
import type { DeployAnswer, DeployRequest, ModelDetail, ModelRow, VersionRow } from '../../shared/api.js';
import { post } from '../api.js';
import { CopyButton } from '../components/copy.js';
import { entries, num, pct, when } from '../components/format.js';
import { ErrorBox, Page, useApi } from '../components/load.js';
import { Table } from '../components/table.js';
import { Link, navigate } from '../router.js';

export function ModelsPage() {
  const loaded = useApi<ModelRow[]>('/api/models');
  return (
    <section>
      <h1>Model registry</h1>
      <Page loaded={loaded}>
        {(rows) =>
          rows.length === 0 ? (
            <p class="muted">No models registered yet.</p>
          ) : (
            <Table head={['model', 'versions', 'latest', 'its val_accuracy', 'description']}>
              {rows.map((m) => (
                <tr key={m.name}>
                  <td>
                    <Link href={`/models/${encodeURIComponent(m.name)}`}>{m.name}</Link>
                  </td>
                  <td>{m.numVersions}</td>
                  <td>{m.latest ? `v${m.latest.version}, ${when(m.latest.createdAt)}` : '—'}</td>
                  <td>{pct(m.latest?.valAccuracy)}</td>
                  <td>{m.description}</td>
                </tr>
              ))}
            </Table>
          )
        }
      </Page>
    </section>
  );
}

export function Lineage(props: { v: VersionRow }) {
  return (
    <ol class="lineage">
      {props.v.lineage.map((s) => (
        <li key={s.href + s.label} class={s.kind}>
          <Link href={s.href}>{s.label}</Link>
        </li>
      ))}
    </ol>
  );
}

export function ModelPage(props: { name: string }) {
  const loaded = useApi<ModelDetail>(`/api/models/${encodeURIComponent(props.name)}`);
  const [picked, setPicked] = useState<number[]>([]);
  const toggle = (n: number) =>
    setPicked((p) => (p.includes(n) ? p.filter((x) => x !== n) : [...p, n].slice(-2)));
  return (
    <section>
      <Page loaded={loaded}>
        {(d) => (
          <>
            <h1>{d.model.name}</h1>
            <p class="muted">{d.model.description}</p>
            <p>
              <button
                type="button"
                disabled={picked.length !== 2}
                onClick={() => {
                  const [a, b] = [...picked].sort((x, y) => x - y);
                  navigate(`/models/${encodeURIComponent(d.model.name)}/compare?a=${a}&b=${b}`);
                }}
              >
                Compare the two picked versions
              </button>
            </p>
            <Table
              class="versions"
              head={['pick', 'version', 'val_accuracy', 'test accuracy', 'registered', 'lineage']}
            >
              {d.versions.map((v) => (
                <tr key={v.version}>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`pick v${v.version}`}
                      checked={picked.includes(v.version)}
                      onChange={() => toggle(v.version)}
                    />
                  </td>
                  <td>
                    <Link href={`/models/${encodeURIComponent(d.model.name)}/versions/${v.version}`}>
                      v{v.version}
                    </Link>
                  </td>
                  <td>{pct(v.metrics.validation.val_accuracy)}</td>
                  <td>{v.hasReport ? pct(v.testAccuracy) : '—'}</td>
                  <td>{when(v.createdAt)}</td>
                  <td>
                    <Lineage v={v} />
                  </td>
                </tr>
              ))}
            </Table>
          </>
        )}
      </Page>
    </section>
  );
}

function Facts(props: { v: VersionRow }) {
  const v = props.v;
  return (
    <table class="kv">
      <tbody>
        <tr>
          <th>checkpoint</th>
          <td>
            <code class="uuid">{v.checkpoint.uuid}</code> <CopyButton text={v.checkpoint.uuid} />
          </td>
        </tr>
        <tr>
          <th>registered</th>
          <td>{when(v.createdAt)}</td>
        </tr>
        <tr>
          <th>test accuracy</th>
          <td>{v.hasReport ? pct(v.testAccuracy) : 'not tested yet'}</td>
        </tr>
        {entries(v.metrics.validation).map(([k, x]) => (
          <tr key={`v-${k}`}>
            <th>{k}</th>
            <td>{x}</td>
          </tr>
        ))}
        {entries(v.hparams).map(([k, x]) => (
          <tr key={`h-${k}`}>
            <th>hp {k}</th>
            <td>{x}</td>
          </tr>
        ))}
        <tr>
          <th>backend</th>
          <td>{v.backend ?? '—'}</td>
        </tr>
        <tr>
          <th>code</th>
          <td>{v.codeVersion ?? '—'}</td>
        </tr>
      </tbody>
    </table>
  );
}

/** Serves this version on this machine through the local deployer, as "fmnist deploy" would. */
function DeployForm(props: { v: VersionRow }) {
  const { v } = props;
  const [name, setName] = useState(v.model);
  const [port, setPort] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState<DeployAnswer>();
  const deploy = () => {
    setBusy(true);
    setError(undefined);
    setDone(undefined);
    const body: DeployRequest = { model: v.model, version: v.version, ...(name ? { name } : {}) };
    if (port) body.port = Number(port);
    post<DeployAnswer>('/api/deployments', body)
      .then(setDone, setError)
      .finally(() => setBusy(false));
  };
  const d = done?.deployment;
  return (
    <form
      class="deploy"
      onSubmit={(e) => {
        e.preventDefault();
        deploy();
      }}
    >
      <label>
        deployment <input value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </label>{' '}
      <label>
        port{' '}
        <input
          class="port"
          inputMode="numeric"
          placeholder="a free one"
          value={port}
          onInput={(e) => setPort(e.currentTarget.value)}
        />
      </label>{' '}
      <button type="submit" disabled={busy}>
        Deploy locally
      </button>
      {busy ? <span class="muted"> starting the model server and waiting for its health check…</span> : null}
      {error ? <ErrorBox error={error} /> : null}
      {d ? (
        <p class="ok">
          Deployed {d.name}: {d.model} v{d.version}, {d.state}, health {d.health}
          {d.url ? (
            <>
              {' '}
              at <a href={d.url}>{d.url}</a>
            </>
          ) : null}
          . <Link href="/deployments">See it on the deployments page</Link>
          {d.health === 'ok' ? (
            <>
              {' '}
              or <Link href={`/try?target=${encodeURIComponent(`local/${d.name}`)}`}>try it</Link>
            </>
          ) : null}
          .
        </p>
      ) : null}
    </form>
  );
}

export function VersionPage(props: { name: string; version: string }) {
  const loaded = useApi<ModelDetail>(`/api/models/${encodeURIComponent(props.name)}`);
  return (
    <section>
      <Page loaded={loaded}>
        {(d) => {
          const v = d.versions.find((x) => String(x.version) === props.version);
          if (!v) return <p class="error">{`${props.name} has no version ${props.version}`}</p>;
          return (
            <>
              <h1>
                <Link href={`/models/${encodeURIComponent(props.name)}`}>{props.name}</Link> v{v.version}
              </h1>
              <h2>Lineage</h2>
              <Lineage v={v} />
              <p>
                <Link href={`/try?target=&model=${encodeURIComponent(v.model)}&version=${v.version}`}>
                  Try this version
                </Link>
              </p>
              <h2>Deploy</h2>
              <DeployForm v={v} />
              <Facts v={v} />
              <h2>Accuracy gate report</h2>
              {v.hasReport ? (
                <iframe
                  class="report"
                  title={`accuracy report of ${v.model}`}
                  src={`/api/models/${encodeURIComponent(v.model)}/report/report.html`}
                  sandbox="allow-scripts"
                />
              ) : (
                <p class="muted">
                  No report covers this version yet: run "fmnist test --model {v.model} --version {v.version}
                  ".
                </p>
              )}
            </>
          );
        }}
      </Page>
    </section>
  );
}

export function ComparePage(props: { name: string; a: string; b: string }) {
  const loaded = useApi<ModelDetail>(`/api/models/${encodeURIComponent(props.name)}`);
  return (
    <section>
      <Page loaded={loaded}>
        {(d) => {
          const pair = [props.a, props.b].map((n) => d.versions.find((x) => String(x.version) === n));
          return (
            <>
              <h1>
                <Link href={`/models/${encodeURIComponent(props.name)}`}>{props.name}</Link>: v{props.a}{' '}
                beside v{props.b}
              </h1>
              <div class="two compare">
                {pair.map((v, i) =>
                  v ? (
                    <div key={v.version}>
                      <h2>v{v.version}</h2>
                      <Lineage v={v} />
                      <p>val_accuracy {num(v.metrics.validation.val_accuracy)}</p>
                      <Facts v={v} />
                    </div>
                  ) : (
                    <p key={String(i)} class="error">
                      no version {i === 0 ? props.a : props.b}
                    </p>
                  ),
                )}
              </div>
            </>
          );
        }}
      </Page>
    </section>
  );
}
