import { type JSX, render } from 'preact';
import { useEffect } from 'preact/hooks';
import type { Session } from '../shared/api.js';
import { getSession } from './api.js';
import { useApi } from './components/load.js';
import { CommitPage, DiffPage, RepoPage, ReposPage } from './pages/data.js';
import { DeploymentsPage } from './pages/deployments.js';
import { ExperimentPage, ExperimentsPage } from './pages/experiments.js';
import { ComparePage, ModelPage, ModelsPage, VersionPage } from './pages/models.js';
import { TrialPage } from './pages/trial.js';
import { TryPage } from './pages/tryit.js';
import { Link, type Location, match, navigate, useLocation } from './router.js';
import './style.css';

const NAV = [
  ['/experiments', 'Experiments'],
  ['/models', 'Registry'],
  ['/data', 'Data'],
  ['/deployments', 'Deployments'],
  ['/try', 'Try it'],
] as const;

type Params = Record<string, string>;

/** Every page and its URL pattern; the first match wins. */
const PAGES: [string, (p: Params, q: (k: string) => string | null, key: string) => JSX.Element][] = [
  ['/experiments/:id', (p, _q, key) => <ExperimentPage key={key} id={p.id as string} />],
  ['/experiments', () => <ExperimentsPage />],
  ['/trials/:id', (p, _q, key) => <TrialPage key={key} id={p.id as string} />],
  [
    '/models/:name/versions/:version',
    (p, _q, key) => <VersionPage key={key} name={p.name as string} version={p.version as string} />,
  ],
  [
    '/models/:name/compare',
    (p, q, key) => <ComparePage key={key} name={p.name as string} a={q('a') ?? ''} b={q('b') ?? ''} />,
  ],
  ['/models/:name', (p, _q, key) => <ModelPage key={key} name={p.name as string} />],
  ['/models', () => <ModelsPage />],
  [
    '/data/:repo/commits/:commit',
    (p, _q, key) => <CommitPage key={key} repo={p.repo as string} commit={p.commit as string} />,
  ],
  [
    '/data/:repo/diff',
    (p, q, key) => <DiffPage key={key} repo={p.repo as string} from={q('from') ?? ''} to={q('to') ?? ''} />,
  ],
  ['/data/:repo', (p, q, key) => <RepoPage key={key} repo={p.repo as string} branch={q('branch')} />],
  ['/data', () => <ReposPage />],
  ['/deployments', () => <DeploymentsPage />],
  ['/try', (_p, q) => <TryPage target={q('target')} model={q('model')} version={q('version')} />],
];

function route({ path, query }: Location) {
  const q = (k: string) => query.get(k);
  for (const [pattern, page] of PAGES) {
    const params = match(pattern, path);
    // A new key per URL gives each page fresh state when only its parameters change.
    if (params) return page(params, q, `${path}?${query}`);
  }
  return (
    <p class="error" role="alert">
      No page at {path}. <Link href="/experiments">Experiments</Link>
    </p>
  );
}

function Backends() {
  const s = useApi<Session>('/api/session');
  useEffect(() => void getSession(), []);
  if (!s.data) return null;
  const b = s.data.backends;
  return (
    <span class="backends muted">
      master: {b.master === 'local' ? 'embedded' : 'Determined'} · data:{' '}
      {b.data === 'local' ? 'embedded' : 'Pachyderm'} · {s.data.home}
    </span>
  );
}

function App() {
  const loc = useLocation();
  useEffect(() => {
    if (loc.path === '/') navigate('/experiments');
  }, [loc.path]);
  return (
    <>
      <header>
        <strong class="brand">fmnist</strong>
        <nav>
          {NAV.map(([href, label]) => (
            <Link key={href} href={href} class={loc.path.startsWith(href) ? 'on' : ''}>
              {label}
            </Link>
          ))}
        </nav>
        <Backends />
      </header>
      <main>{route(loc)}</main>
    </>
  );
}

render(<App />, document.getElementById('app') as HTMLElement);
