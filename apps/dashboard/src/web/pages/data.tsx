import { useState } from 'preact/hooks';
import type { CommitDetail, DiffAnswer, RepoDetail, RepoInfo } from '../../shared/api.js';
import { bytes, short, when } from '../components/format.js';
import { Page, useApi } from '../components/load.js';
import { Table } from '../components/table.js';
import { Link, navigate } from '../router.js';

const repoHref = (repo: string) => `/data/${encodeURIComponent(repo)}`;
const commitHref = (repo: string, id: string) => `${repoHref(repo)}/commits/${encodeURIComponent(id)}`;

export function ReposPage() {
  const loaded = useApi<RepoInfo[]>('/api/data/repos');
  return (
    <section>
      <h1>Data</h1>
      <Page loaded={loaded}>
        {(repos) =>
          repos.length === 0 ? (
            <p class="muted">No data repos yet: run "npm start" or "fmnist pfs put".</p>
          ) : (
            <Table class="repos" head={['repo', 'branches', 'size', 'created', 'description']}>
              {repos.map((r) => (
                <tr key={r.name}>
                  <td>
                    <Link href={repoHref(r.name)}>{r.name}</Link>
                  </td>
                  <td>{r.branches.join(', ')}</td>
                  <td>{bytes(r.sizeBytes)}</td>
                  <td>{when(r.created)}</td>
                  <td>{r.description}</td>
                </tr>
              ))}
            </Table>
          )
        }
      </Page>
    </section>
  );
}

export function RepoPage(props: { repo: string; branch: string | null }) {
  const q = props.branch ? `?branch=${encodeURIComponent(props.branch)}` : '';
  const loaded = useApi<RepoDetail>(`/api/data/repos/${encodeURIComponent(props.repo)}${q}`);
  const [picked, setPicked] = useState<string[]>([]);
  const toggle = (id: string) =>
    setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : [...p, id].slice(-2)));
  return (
    <section>
      <Page loaded={loaded}>
        {(d) => (
          <>
            <h1>{d.repo.name}</h1>
            <p>
              branches:{' '}
              {d.repo.branches.map((b) => (
                <span key={b}>
                  <Link
                    href={`${repoHref(d.repo.name)}?branch=${encodeURIComponent(b)}`}
                    class={b === props.branch ? 'tag on' : 'tag'}
                  >
                    {b}
                  </Link>{' '}
                </span>
              ))}
              <Link href={repoHref(d.repo.name)} class={props.branch ? 'tag' : 'tag on'}>
                all commits
              </Link>
            </p>
            <p>
              <button
                type="button"
                disabled={picked.length !== 2}
                onClick={() => {
                  // Older first, as the list is newest first.
                  const order = d.commits.map((c) => c.id);
                  const [to, from] = [...picked].sort((a, b) => order.indexOf(a) - order.indexOf(b));
                  navigate(`${repoHref(d.repo.name)}/diff?from=${from}&to=${to}`);
                }}
              >
                Diff the two picked commits
              </button>
            </p>
            <Table
              class="commits"
              head={['pick', 'commit', 'branch', 'parent', 'files', 'size', 'finished', 'description']}
            >
              {d.commits.map((c) => (
                <tr key={c.id}>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`pick ${c.id}`}
                      checked={picked.includes(c.id)}
                      onChange={() => toggle(c.id)}
                    />
                  </td>
                  <td>
                    <Link href={commitHref(c.repo, c.id)}>
                      <code>{short(c.id)}</code>
                    </Link>
                  </td>
                  <td>{c.branch ?? '—'}</td>
                  <td>{c.parent ? <code>{short(c.parent)}</code> : '—'}</td>
                  <td>{c.fileCount}</td>
                  <td>{bytes(c.sizeBytes)}</td>
                  <td>{when(c.finished)}</td>
                  <td>{c.description}</td>
                </tr>
              ))}
            </Table>
          </>
        )}
      </Page>
    </section>
  );
}

export function CommitPage(props: { repo: string; commit: string }) {
  const loaded = useApi<CommitDetail>(
    `/api/data/repos/${encodeURIComponent(props.repo)}/commits/${encodeURIComponent(props.commit)}`,
  );
  return (
    <section>
      <Page loaded={loaded}>
        {(d) => (
          <>
            <h1>
              <Link href={repoHref(d.commit.repo)}>{d.commit.repo}</Link>@<code>{d.commit.id}</code>
            </h1>
            <p class="muted">
              {d.commit.branch ? `on ${d.commit.branch}, ` : ''}finished {when(d.commit.finished)},{' '}
              {d.commit.fileCount} files, {bytes(d.commit.sizeBytes)}
              {d.commit.parent ? (
                <>
                  {', parent '}
                  <Link href={commitHref(d.commit.repo, d.commit.parent)}>
                    <code>{short(d.commit.parent)}</code>
                  </Link>{' '}
                  (
                  <Link href={`${repoHref(d.commit.repo)}/diff?from=${d.commit.parent}&to=${d.commit.id}`}>
                    diff
                  </Link>
                  )
                </>
              ) : null}
            </p>
            <h2>Files</h2>
            <Table class="files" head={['path', 'size', 'hash']}>
              {d.files.map((f) => (
                <tr key={f.path}>
                  <td>{f.path}</td>
                  <td>{bytes(f.sizeBytes)}</td>
                  <td>
                    <code>{short(f.hash, 16)}</code>
                  </td>
                </tr>
              ))}
            </Table>
            <h2>Experiments that trained on this commit</h2>
            {d.experiments.length === 0 ? (
              <p class="muted">none</p>
            ) : (
              <ul class="used-by">
                {d.experiments.map((e) => (
                  <li key={e.id}>
                    <Link href={`/experiments/${e.id}`}>
                      experiment {e.id} ({e.name})
                    </Link>{' '}
                    {e.state}, as {e.as}
                  </li>
                ))}
              </ul>
            )}
          </>
        )}
      </Page>
    </section>
  );
}

export function DiffPage(props: { repo: string; from: string; to: string }) {
  const q = `from=${encodeURIComponent(props.from)}&to=${encodeURIComponent(props.to)}`;
  const loaded = useApi<DiffAnswer>(`/api/data/repos/${encodeURIComponent(props.repo)}/diff?${q}`);
  return (
    <section>
      <h1>
        <Link href={repoHref(props.repo)}>{props.repo}</Link>: <code>{short(props.from)}</code> →{' '}
        <code>{short(props.to)}</code>
      </h1>
      <Page loaded={loaded}>
        {(d) =>
          d.changes.length === 0 ? (
            <p class="muted">The two commits hold the same files.</p>
          ) : (
            <Table class="diff" head={['change', 'path', 'before', 'after']}>
              {d.changes.map((c) => (
                <tr key={c.path} class={c.change}>
                  <td>{c.change}</td>
                  <td>{c.path}</td>
                  <td>{c.oldSizeBytes === undefined ? '—' : bytes(c.oldSizeBytes)}</td>
                  <td>{c.newSizeBytes === undefined ? '—' : bytes(c.newSizeBytes)}</td>
                </tr>
              ))}
            </Table>
          )
        }
      </Page>
    </section>
  );
}
