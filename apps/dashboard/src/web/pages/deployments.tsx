import type { DeploymentsAnswer } from '../../shared/api.js';
import { num } from '../components/format.js';
import { Page, useApi } from '../components/load.js';
import { Table } from '../components/table.js';
import { Link } from '../router.js';

export function DeploymentsPage() {
  // Rates are counted between two looks: refreshing keeps them current.
  const loaded = useApi<DeploymentsAnswer>('/api/deployments', 5000);
  return (
    <section>
      <h1>Deployments</h1>
      <Page loaded={loaded}>
        {(d) => (
          <>
            {d.errors.map((e) => (
              <div class="error" role="alert" key={e.target}>
                <strong>{e.target} deployments could not be listed</strong>
                <p>{e.message}</p>
              </div>
            ))}
            {d.deployments.length === 0 ? (
              <p class="muted">
                Nothing deployed: deploy a version from its page in the <Link href="/models">registry</Link>,
                or run "fmnist deploy" or "npm start".
              </p>
            ) : (
              <Table
                class="deployments"
                head={[
                  'name',
                  'where',
                  'model',
                  'state',
                  'health',
                  'requests/s',
                  'requests',
                  'p50 / p95 / p99 ms',
                  'links',
                ]}
              >
                {d.deployments.map((x) => (
                  <tr key={`${x.source}/${x.name}`}>
                    <td>{x.name}</td>
                    <td>
                      {x.source === 'served' ? 'beside the dashboard' : x.source}
                      {x.namespace ? ` (${x.namespace})` : ''}
                    </td>
                    <td>
                      <Link href={`/models/${encodeURIComponent(x.model)}/versions/${x.version}`}>
                        {x.model} v{x.version}
                      </Link>
                      {x.canary ? ` + canary v${x.canary.version} at ${x.canary.percent}%` : ''}
                    </td>
                    <td>{x.state}</td>
                    <td>
                      <span class={`health ${x.health}`}>{x.health}</span>
                      {x.healthMessage ? <div class="muted">{x.healthMessage}</div> : null}
                    </td>
                    <td>{num(x.requestsPerSecond, 2)}</td>
                    <td>{x.requestsTotal ?? '—'}</td>
                    <td>
                      {x.latencyMs
                        ? `${num(x.latencyMs.p50, 1)} / ${num(x.latencyMs.p95, 1)} / ${num(x.latencyMs.p99, 1)}`
                        : '—'}
                    </td>
                    <td>
                      {x.url ? <a href={x.url}>{x.url}</a> : null}{' '}
                      {x.swaggerUrl ? (
                        <a href={x.swaggerUrl} target="_blank" rel="noreferrer">
                          Swagger
                        </a>
                      ) : null}{' '}
                      {x.health === 'ok' ? (
                        <Link href={`/try?target=${encodeURIComponent(`${x.source}/${x.name}`)}`}>
                          try it
                        </Link>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </Table>
            )}
          </>
        )}
      </Page>
    </section>
  );
}
