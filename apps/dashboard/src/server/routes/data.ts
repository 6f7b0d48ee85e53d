import { type Router, Router as router } from 'express';
import type { CommitDetail, DiffAnswer, RepoDetail } from '../../shared/api.js';
import { ask, type Engines } from '../engines.js';
import { text } from './params.js';

/** `repo@commit` strings anywhere in a config's `data` section or a checkpoint's `data_commits`. */
function dataRefs(value: unknown, path: string[] = []): { as: string; ref: string }[] {
  if (typeof value === 'string') return value.includes('@') ? [{ as: path.join('.'), ref: value }] : [];
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => dataRefs(v, [...path, k]));
  return [];
}

export function dataRoutes(engines: Engines): Router {
  const r = router();
  const { data, master } = engines;

  r.get('/data/repos', async (_req, res) => {
    res.json(await ask('data', () => data.listRepos()));
  });

  r.get('/data/repos/:repo', async (req, res) => {
    const repo = req.params.repo;
    const branch = typeof req.query.branch === 'string' && req.query.branch ? req.query.branch : undefined;
    const [info, commits] = await Promise.all([
      ask('data', () => data.inspectRepo(repo)),
      ask('data', () => data.listCommits(repo, { limit: 200, ...(branch ? { branch } : {}) })),
    ]);
    const answer: RepoDetail = { repo: info, commits };
    res.json(answer);
  });

  r.get('/data/repos/:repo/commits/:commit', async (req, res) => {
    const { repo } = req.params;
    const commit = await ask('data', () => data.inspectCommit(`${repo}@${req.params.commit}`));
    const files = await ask('data', () => data.listFiles(`${repo}@${commit.id}:/`, { recursive: true }));
    const experiments: CommitDetail['experiments'] = [];
    const names = (ref: string) => ref === `${repo}@${commit.id}`;
    for (const e of await ask('master', () => master.listExperiments({ limit: 200 }))) {
      let hit = dataRefs((e.config as { data?: unknown }).data, ['data']).find((d) => names(d.ref));
      if (!hit) {
        // A config that names a branch was pinned by its trials: their checkpoints say which commit.
        const checkpoints = await ask('master', () => master.listCheckpoints({ experimentId: e.id }));
        for (const c of checkpoints) {
          hit = dataRefs(c.metadata.data_commits, ['data_commits']).find((d) => names(d.ref));
          if (hit) break;
        }
      }
      if (hit) experiments.push({ id: e.id, name: e.name, state: e.state, as: hit.as });
    }
    const answer: CommitDetail = { commit, files, experiments };
    res.json(answer);
  });

  r.get('/data/repos/:repo/diff', async (req, res) => {
    const { repo } = req.params;
    const from = text(req.query.from, 'the "from" commit');
    const to = text(req.query.to, 'the "to" commit');
    const changes = await ask('data', () => data.diffCommits(`${repo}@${from}`, `${repo}@${to}`));
    const answer: DiffAnswer = { from, to, changes };
    res.json(answer);
  });

  return r;
}
