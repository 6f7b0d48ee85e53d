import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { writeBuildContext } from '../src/build-context.js';

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

function fixture() {
  const root = mkdtempSync(join(tmpdir(), 'fmnist-ctx-'));
  roots.push(root);
  const dist = join(root, 'cli', 'dist');
  mkdirSync(dist, { recursive: true });
  writeFileSync(join(dist, 'bin.js'), '#!/usr/bin/env node\nconsole.log("serve")\n');
  writeFileSync(join(dist, 'chunk-abc.js'), 'export const x = 1;\n');
  const pkg = join(root, 'server-package.json');
  writeFileSync(
    pkg,
    JSON.stringify({ name: 'fmnist-serve', type: 'module', dependencies: { express: '^5.0.0' } }),
  );
  const model = join(root, 'model');
  mkdirSync(join(model, 'weights'), { recursive: true });
  writeFileSync(join(model, 'model.json'), '{"format":"layers-model"}');
  writeFileSync(join(model, 'weights', 'group1-shard1of1.bin'), Buffer.from([1, 2, 3, 4]));
  return {
    root,
    serverFiles: [
      { from: dist, to: 'dist' },
      { from: pkg, to: 'package.json' },
    ],
    modelDir: model,
  };
}

test('the context holds the server, the model, a Dockerfile and a manifest of sha256s', async () => {
  const f = fixture();
  const out = join(f.root, 'ctx');
  const manifest = await writeBuildContext({ ...f, out, model: { name: 'fmnist', version: 3 } });

  expect(manifest.files.map((x) => x.path)).toEqual([
    '.dockerignore',
    'Dockerfile',
    'model/model.json',
    'model/weights/group1-shard1of1.bin',
    'server/dist/bin.js',
    'server/dist/chunk-abc.js',
    'server/package.json',
  ]);
  for (const file of manifest.files) {
    const bytes = readFileSync(join(out, file.path));
    expect(file.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(file.size).toBe(bytes.length);
  }
  expect(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'))).toEqual(manifest);
  expect(manifest.model).toEqual({ name: 'fmnist', version: 3 });

  const dockerfile = readFileSync(join(out, 'Dockerfile'), 'utf8');
  expect(dockerfile).toMatch(/^FROM node:20\.19-bookworm-slim$/m);
  expect(dockerfile).toMatch(/^USER 1000:1000$/m);
  expect(dockerfile).toMatch(/^EXPOSE 9000 6000$/m);
  expect(dockerfile).toMatch(/^HEALTHCHECK .*127\.0\.0\.1:9000\/health\/ping/m);
  expect(dockerfile).toContain('RUN cd /app/server && npm install --omit=dev');
  const cmd = JSON.parse(/^CMD (.*)$/m.exec(dockerfile)![1]!) as string[];
  expect(cmd).toEqual(manifest.command);
  expect(cmd).toEqual([
    'node',
    '/app/server/dist/bin.js',
    '--model-dir',
    '/app/model',
    '--port',
    '9000',
    '--host',
    '0.0.0.0',
  ]);
  // The user switch comes after every COPY and RUN, so nothing runs as root at serve time.
  expect(dockerfile.lastIndexOf('USER 1000:1000')).toBeGreaterThan(dockerfile.lastIndexOf('COPY'));
  expect(readFileSync(join(out, '.dockerignore'), 'utf8')).toContain('**/node_modules');
  // Nothing but the finished context is left next to it.
  expect(readdirSync(f.root).sort()).toEqual(['cli', 'ctx', 'model', 'server-package.json']);
});

test('a lockfile makes the image install with npm ci; a custom command and base image are used as given', async () => {
  const f = fixture();
  const lock = join(f.root, 'package-lock.json');
  writeFileSync(lock, '{"lockfileVersion":3}');
  const out = join(f.root, 'ctx');
  await writeBuildContext({
    ...f,
    serverFiles: [...f.serverFiles, { from: lock, to: 'package-lock.json' }],
    out,
    baseImage: 'node:20.19.5-bookworm-slim',
    command: ['node', '/app/server/dist/bin.js', 'serve', '--model-dir', '/app/model'],
  });
  const dockerfile = readFileSync(join(out, 'Dockerfile'), 'utf8');
  expect(dockerfile).toContain('npm ci --omit=dev');
  expect(dockerfile).toMatch(/^FROM node:20\.19\.5-bookworm-slim$/m);
  expect(dockerfile).toContain('CMD ["node","/app/server/dist/bin.js","serve","--model-dir","/app/model"]');
});

test('an existing folder is kept unless overwrite is asked for, and then replaced whole', async () => {
  const f = fixture();
  const out = join(f.root, 'ctx');
  mkdirSync(out);
  writeFileSync(join(out, 'stale.txt'), 'old');
  await expect(writeBuildContext({ ...f, out })).rejects.toMatchObject({ code: 'OUT_EXISTS' });
  expect(readFileSync(join(out, 'stale.txt'), 'utf8')).toBe('old');
  await writeBuildContext({ ...f, out, overwrite: true });
  expect(existsSync(join(out, 'stale.txt'))).toBe(false);
  expect(existsSync(join(out, 'Dockerfile'))).toBe(true);
});

test('bad inputs are refused before anything is written', async () => {
  const f = fixture();
  const out = join(f.root, 'ctx');
  await expect(writeBuildContext({ ...f, modelDir: join(f.root, 'missing'), out })).rejects.toMatchObject({
    code: 'MODEL_DIR_MISSING',
  });
  const empty = join(f.root, 'empty-model');
  mkdirSync(empty);
  await expect(writeBuildContext({ ...f, modelDir: empty, out })).rejects.toMatchObject({
    code: 'MODEL_DIR_MISSING',
    message: expect.stringContaining('holds no files'),
  });
  await expect(
    writeBuildContext({ ...f, serverFiles: [{ from: f.serverFiles[0]!.from, to: '../escape' }], out }),
  ).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringContaining('"../escape"') });
  await expect(
    writeBuildContext({ ...f, serverFiles: [{ from: join(f.root, 'nope'), to: 'dist' }], out }),
  ).rejects.toMatchObject({
    code: 'INVALID_OPTION',
    message: expect.stringContaining('build the server first'),
  });
  expect(existsSync(out)).toBe(false);
});

test('a deployed server folder ships with its node_modules: links kept relative, nothing installed in the image', async () => {
  const f = fixture();
  const deployed = join(f.root, 'deployed');
  const real = join(deployed, 'node_modules', '.pnpm', 'express@5.0.0', 'node_modules', 'express');
  mkdirSync(real, { recursive: true });
  writeFileSync(join(real, 'index.js'), 'module.exports = 1;\n');
  mkdirSync(join(deployed, 'dist'));
  writeFileSync(join(deployed, 'dist', 'bin.js'), 'import "express";\n');
  writeFileSync(
    join(deployed, 'package.json'),
    '{"name":"@fmnist/serve","bin":{"fmnist-serve":"dist/bin.js"}}',
  );
  symlinkSync('.pnpm/express@5.0.0/node_modules/express', join(deployed, 'node_modules', 'express'));

  const out = join(f.root, 'ctx');
  const manifest = await writeBuildContext({ serverDir: deployed, modelDir: f.modelDir, out });
  expect(readlinkSync(join(out, 'server', 'node_modules', 'express'))).toBe(
    '.pnpm/express@5.0.0/node_modules/express',
  );
  expect(readFileSync(join(out, 'server', 'node_modules', 'express', 'index.js'), 'utf8')).toContain(
    'module.exports',
  );
  expect(manifest.files.map((x) => x.path)).toContain(
    'server/node_modules/.pnpm/express@5.0.0/node_modules/express/index.js',
  );
  const dockerfile = readFileSync(join(out, 'Dockerfile'), 'utf8');
  expect(dockerfile).not.toContain('npm ');
  expect(readFileSync(join(out, '.dockerignore'), 'utf8')).not.toContain('node_modules');

  await expect(
    writeBuildContext({
      serverDir: deployed,
      serverFiles: f.serverFiles,
      modelDir: f.modelDir,
      out: join(f.root, 'x'),
    }),
  ).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringContaining('not both') });
  await expect(
    writeBuildContext({ serverDir: join(f.root, 'nope'), modelDir: f.modelDir, out: join(f.root, 'y') }),
  ).rejects.toMatchObject({ code: 'INVALID_OPTION' });
});
