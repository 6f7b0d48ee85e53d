import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseExperimentConfig } from '@fmnist/determined-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { isPinnedImage, TRIAL_BIN, writeTrialImageContext } from '../src/trial-image.js';
import { runCli } from './helpers.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
let dir: string;

/** A tiny pnpm workspace: the trial app on one library package, both built, plus an unrelated app. */
async function workspace(opts: { built?: boolean } = {}) {
  const root = join(dir, 'ws');
  const pkg = async (path: string, json: object, dist = true) => {
    await mkdir(join(root, path), { recursive: true });
    await writeFile(join(root, path, 'package.json'), JSON.stringify(json));
    if (dist && opts.built !== false) {
      await mkdir(join(root, path, 'dist'), { recursive: true });
      await writeFile(join(root, path, 'dist', 'main.js'), '#!/usr/bin/env node\n');
      await writeFile(join(root, path, 'dist', 'main.js.map'), '{}');
    }
    await mkdir(join(root, path, 'src'), { recursive: true });
    await writeFile(join(root, path, 'src', 'main.ts'), '// source, not shipped');
    await mkdir(join(root, path, 'node_modules', 'x'), { recursive: true });
  };
  await pkg('.', { name: 'fmnist', packageManager: 'pnpm@10.34.9' }, false);
  await writeFile(join(root, 'pnpm-workspace.yaml'), 'packages: [packages/*, apps/*]\n');
  await writeFile(join(root, 'pnpm-lock.yaml'), "lockfileVersion: '9.0'\n");
  await pkg('packages/lib', { name: '@fmnist/lib' });
  await pkg('apps/train', {
    name: '@fmnist/train',
    files: ['dist', 'const.yaml'],
    dependencies: { '@fmnist/lib': 'workspace:*', yaml: '^2' },
  });
  await writeFile(join(root, 'apps/train/const.yaml'), 'name: x\n');
  await pkg('apps/other', { name: '@fmnist/other' });
  await mkdir(join(root, '.fmnist', 'datasets'), { recursive: true });
  return root;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fmnist-trial-image-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the trial image build context', () => {
  it('has a Dockerfile whose image would start the trial under a Determined master', async () => {
    const made = await writeTrialImageContext({ workspaceRoot: await workspace(), out: join(dir, 'ctx') });
    const dockerfile = await readFile(join(dir, 'ctx', 'Dockerfile'), 'utf8');
    const from = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]!);
    expect(from).toHaveLength(2);
    for (const image of from) {
      expect(image).toMatch(/^node:20\.\d+\.\d+-/); // Node 20, an exact release
      expect(isPinnedImage(image)).toBe(true);
    }
    expect(dockerfile).toMatch(/pnpm@10\.34\.9 deploy --filter @fmnist\/train --prod/);
    // The last USER is numeric and not root.
    const user = [...dockerfile.matchAll(/^USER (\S+)/gm)].at(-1)?.[1];
    expect(user).toMatch(/^\d+:\d+$/);
    expect(Number(user!.split(':')[0])).toBeGreaterThan(0);
    // The master runs its own command in the container (bash + python3 with the harness), then the
    // experiment's entrypoint: so the trial bin is on PATH and the CMD, and there is no ENTRYPOINT.
    expect(dockerfile).toMatch(/python3 -m pip install --no-cache-dir determined==0\.38\.1/);
    expect(dockerfile).toMatch(new RegExp(`ln -s \\S+/dist/main\\.js /usr/local/bin/${TRIAL_BIN}`));
    expect(dockerfile).toMatch(new RegExp(`^CMD \\["${TRIAL_BIN}"\\]$`, 'm'));
    expect(dockerfile).not.toMatch(/^ENTRYPOINT/m);
    expect(made.baseImage).toBe(from[1]);
  });

  it('holds the built trial and what it uses, never node_modules, sources, maps or the fmnist home', async () => {
    const made = await writeTrialImageContext({ workspaceRoot: await workspace(), out: join(dir, 'ctx') });
    expect(made.files).toEqual([
      '.dockerignore',
      'Dockerfile',
      'workspace/apps/other/package.json',
      'workspace/apps/train/const.yaml',
      'workspace/apps/train/dist/main.js',
      'workspace/apps/train/package.json',
      'workspace/package.json',
      'workspace/packages/lib/dist/main.js',
      'workspace/packages/lib/package.json',
      'workspace/pnpm-lock.yaml',
      'workspace/pnpm-workspace.yaml',
    ]);
  });

  it('says what to do when the trial is not built, the base image is not pinned, or --out exists', async () => {
    const unbuilt = await workspace({ built: false });
    await expect(writeTrialImageContext({ workspaceRoot: unbuilt, out: join(dir, 'a') })).rejects.toThrow(
      /@fmnist\/(train|lib) is not built .*npx turbo run build --filter=@fmnist\/train\.\.\./,
    );
    const root = await workspace();
    for (const baseImage of ['node:20', 'node:20-bookworm-slim', 'node:latest', 'node'])
      await expect(
        writeTrialImageContext({ workspaceRoot: root, out: join(dir, 'b'), baseImage }),
      ).rejects.toThrow(/is not pinned: name an exact release tag .* or a digest/);
    expect(isPinnedImage(`node@sha256:${'a'.repeat(64)}`)).toBe(true);
    await writeTrialImageContext({ workspaceRoot: root, out: join(dir, 'c') });
    await expect(writeTrialImageContext({ workspaceRoot: root, out: join(dir, 'c') })).rejects.toThrow(
      /exists: choose another --out or pass --overwrite/,
    );
    await writeTrialImageContext({ workspaceRoot: root, out: join(dir, 'c'), overwrite: true });
  });

  it('is what `fmnist experiment build-context` writes for this checkout', async () => {
    const out = join(dir, 'ctx');
    const r = await runCli(join(dir, 'home'), 'experiment', 'build-context', '--out', out);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/trial image context in .* \(\d+ files, [\d.]+ MiB; base node:20\./);
    expect(r.stdout).toMatch(/docker build -t REGISTRY\/fmnist-trial:0\.1\.0/);
    const files = (await import('node:fs')).readdirSync(join(out, 'workspace', 'apps', 'train', 'dist'));
    expect(files).toContain('main.js');
  });
});

describe('the cluster configs', () => {
  const read = async (path: string) => readFile(join(repo, path), 'utf8');

  it.each(['const', 'adaptive'])(
    'cluster/%s.yaml runs the shipped %s.yaml in the trial image',
    async (name) => {
      const cluster = parse(await read(`apps/train/cluster/${name}.yaml`));
      const shipped = parse(await read(`apps/train/${name}.yaml`));
      expect(cluster.hyperparameters).toEqual(shipped.hyperparameters);
      expect(cluster.searcher).toEqual(shipped.searcher);
      expect(cluster.data).toEqual(shipped.data);
      // The same trial arguments, run by the image's bin instead of the checkout's.
      expect(cluster.entrypoint).toBe(shipped.entrypoint.replace('node apps/train/dist/main.js', TRIAL_BIN));
      expect(cluster.environment.image).toMatch(/fmnist-trial:/);
      expect(cluster.environment.environment_variables).toContainEqual(
        expect.stringMatching(/^PACHD_ADDRESS=/),
      );
      expect(cluster.checkpoint_storage).toMatchObject({ type: 'shared_fs', host_path: expect.any(String) });
      expect(() => parseExperimentConfig(JSON.stringify(cluster))).not.toThrow();
    },
  );
});
