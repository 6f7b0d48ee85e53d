import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SeldonServer } from '../src/index.js';
import { get, type Running, start } from './helpers.js';

let srv: Running;
beforeAll(async () => {
  srv = await start({ name: 'fashion-classifier' });
});
afterAll(() => srv.close());

/** Every (method, path) the express router holds, in OpenAPI's `{param}` form. */
function registeredRoutes(app: SeldonServer): string[] {
  const stack = (
    app as unknown as { router: { stack: { route?: { path: string; methods: Record<string, boolean> } }[] } }
  ).router.stack;
  return stack
    .filter((layer) => layer.route)
    .flatMap((layer) =>
      Object.keys(layer.route!.methods).map(
        (m) => `${m.toUpperCase()} ${layer.route!.path.replace(/:(\w+)/g, '{$1}')}`,
      ),
    );
}

describe('the OpenAPI document', () => {
  it('is valid JSON at every documented address and lists every route the server answers', async () => {
    const doc = (await get(`${srv.url}/api/v1.0/doc/openapi.json`)).json;
    expect(doc.openapi).toMatch(/^3\./);
    expect((await get(`${srv.url}/seldon.json`)).json).toEqual(doc);
    expect(
      (await get(`${srv.url}/seldon/default/fashion-classifier/api/v1.0/doc/openapi.json`)).json,
    ).toEqual(doc);
    const documented = Object.entries(doc.paths as Record<string, object>).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    // Every path also answers OPTIONS for CORS preflights; those are not operations of the API.
    const all = registeredRoutes(srv.app);
    const registered = all.filter((r) => !r.startsWith('OPTIONS '));
    expect(new Set(all.filter((r) => r.startsWith('OPTIONS ')).map((r) => r.slice(8)))).toEqual(
      new Set(registered.map((r) => r.slice(r.indexOf(' ') + 1))),
    );
    expect(registered.length).toBeGreaterThan(30);
    expect(new Set(documented)).toEqual(new Set(registered));
    for (const route of [
      'POST /seldon/{namespace}/{deployment}/api/v1.0/predictions',
      'POST /predict',
      'POST /send-feedback',
      'POST /v2/models/{name}/infer',
      'GET /metrics',
    ]) {
      expect(documented).toContain(route);
    }
  });

  it('gives every operation a unique id and resolves every schema reference', async () => {
    const doc = (await get(`${srv.url}/seldon.json`)).json;
    const ids = Object.values(doc.paths as Record<string, Record<string, { operationId: string }>>).flatMap(
      (ops) => Object.values(ops).map((op) => op.operationId),
    );
    expect(new Set(ids).size).toBe(ids.length);
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/(\w+)"/g)].map(
      (m) => m[1]!,
    );
    for (const ref of refs) expect(doc.components.schemas).toHaveProperty(ref);
    const example = doc.paths['/api/v1.0/predictions'].post.requestBody.content['application/json'].example;
    expect(example.data.tensor.shape).toEqual([28, 28]);
    expect(example.data.tensor.values).toHaveLength(784);
  });
});

describe('Swagger UI', () => {
  for (const base of ['/api/v1.0/doc/', '/seldon/default/fashion-classifier/api/v1.0/doc/']) {
    it(`is served with its assets, offline, at ${base}`, async () => {
      const page = await get(`${srv.url}${base}`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      expect(page.text).not.toMatch(/https?:\/\//);
      const assets = [...page.text.matchAll(/(?:href|src)="\.\/([^"]+)"/g)].map((m) => m[1]!);
      expect(assets).toEqual(
        expect.arrayContaining([
          'swagger-ui.css',
          'swagger-ui-bundle.js',
          'swagger-ui-standalone-preset.js',
          'swagger-initializer.js',
        ]),
      );
      for (const asset of assets) {
        const res = await fetch(`${srv.url}${base}${asset}`);
        expect(res.status, asset).toBe(200);
        expect((await res.arrayBuffer()).byteLength, asset).toBeGreaterThan(100);
      }
      const init = await get(`${srv.url}${base}swagger-initializer.js`);
      expect(init.text).toContain("new URL('openapi.json', window.location.href)");
      expect(init.text).not.toContain('petstore');
    });
  }

  it('redirects the address without a trailing slash, keeping the ingress prefix', async () => {
    const res = await get(`${srv.url}/seldon/ns/dep/api/v1.0/doc`);
    expect(res.status).toBe(301);
    expect(res.headers.get('location')).toBe('/seldon/ns/dep/api/v1.0/doc/');
  });
});
