// The model registry routes of the in-test master (master/internal/api_model.go at v0.38.1): names
// are unique (AlreadyExists, 409), versions count up from 1 per model.
import { HttpError, notFound } from './rules.js';

type Json = Record<string, unknown>;
type Handler = (m: RegExpMatchArray, body: Json, url: URL) => Json;

export function registryRoutes(s: {
  user: string;
  nextId: () => number;
  checkpoint: (uuid: string | undefined) => Json;
  page: (items: Json[], url: URL) => { items: Json[]; pagination: Json };
}): [string, RegExp, Handler][] {
  const models = new Map<string, Json>();
  const versions = new Map<string, Json[]>();
  const time = () => new Date().toISOString();
  const model = (name: string | undefined) => {
    const m = models.get(decodeURIComponent(name ?? ''));
    if (!m) throw notFound(`model ${name}`);
    return m;
  };
  const opts = { user: s.user };
  const checkpoint = s.checkpoint;
  const page = s.page;
  const nextId = s.nextId;
  return [
    [
      'POST',
      /^\/api\/v1\/models$/,
      (_m, body) => {
        const name = String(body.name);
        if (models.has(name)) throw new HttpError(409, 6, 'AlreadyExists', `model ${name} already exists`);
        const mdl = {
          name,
          description: body.description ?? '',
          metadata: body.metadata ?? {},
          creationTime: time(),
          lastUpdatedTime: time(),
          id: nextId(),
          numVersions: 0,
          labels: body.labels ?? [],
          username: opts.user,
          workspaceId: 1,
          userId: 1,
          archived: false,
          notes: '',
        };
        models.set(name, mdl);
        versions.set(name, []);
        return { model: mdl };
      },
    ],
    [
      'GET',
      /^\/api\/v1\/models$/,
      (_m, _b, url) => {
        const p = page([...models.values()], url);
        return { models: p.items, pagination: p.pagination };
      },
    ],
    ['GET', /^\/api\/v1\/models\/([^/]+)$/, (m) => ({ model: model(m[1]) })],
    [
      'POST',
      /^\/api\/v1\/models\/([^/]+)\/versions$/,
      (m, body) => {
        const mdl = model(m[1]);
        const c = checkpoint(String(body.checkpointUuid));
        const list = versions.get(String(mdl.name))!;
        const v = {
          model: mdl,
          checkpoint: c,
          version: list.length + 1,
          creationTime: time(),
          id: nextId(),
          name: body.name ?? '',
          metadata: body.metadata ?? {},
          lastUpdatedTime: time(),
          comment: body.comment ?? '',
          username: opts.user,
          userId: 1,
          labels: body.labels ?? [],
          notes: '',
        };
        list.push(v);
        mdl.numVersions = list.length;
        return { modelVersion: v };
      },
    ],
    [
      'GET',
      /^\/api\/v1\/models\/([^/]+)\/versions$/,
      (m, _b, url) => {
        const mdl = model(m[1]);
        const p = page(versions.get(String(mdl.name))!, url);
        return { model: mdl, modelVersions: p.items, pagination: p.pagination };
      },
    ],
    [
      'GET',
      /^\/api\/v1\/models\/([^/]+)\/versions\/(\d+)$/,
      (m) => {
        const mdl = model(m[1]);
        const v = versions.get(String(mdl.name))!.find((x) => x.version === Number(m[2]));
        if (!v) throw notFound(`model version ${m[2]}`);
        return { modelVersion: v };
      },
    ],
  ];
}
