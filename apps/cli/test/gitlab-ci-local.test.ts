import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const tools = process.env.FMNIST_TOOLS_DIR ?? join(homedir(), '.cache', 'fmnist-tools');
const gitlabCiLocal = join(tools, 'gitlab-ci-local', 'node_modules', '.bin', 'gitlab-ci-local');
const hasRsync = spawnSync('rsync', ['--version']).status === 0;
const missing = !existsSync(gitlabCiLocal)
  ? `gitlab-ci-local is not installed in ${tools} (bash .ci/setup.d/gitlab-ci-local.sh)`
  : !hasRsync
    ? 'rsync is missing (gitlab-ci-local copies the checkout with it)'
    : undefined;

describe('.gitlab-ci.yml leaves the runner as it found it', () => {
  it('never changes a global npm or pnpm setting', () => {
    const gitlab = parse(readFileSync(join(root, '.gitlab-ci.yml'), 'utf8')) as Record<string, unknown>;
    const lines = Object.values(gitlab).flatMap((job) => {
      const j = job as { script?: string[]; before_script?: string[]; after_script?: string[] } | null;
      return [...(j?.before_script ?? []), ...(j?.script ?? []), ...(j?.after_script ?? [])];
    });
    expect(lines.length).toBeGreaterThan(5);
    for (const line of lines) expect(line).not.toMatch(/\b(pnpm|npm)(@[\w.]+)? config set\b/);
  });
});

/**
 * The jobs run by gitlab-ci-local's shell executor, as a GitLab shell runner runs them, in a throwaway
 * git checkout of the pipeline with `npx` stubbed to record its calls (no installs, no network), and a
 * HOME of its own to show nothing is written there.
 */
describe.skipIf(missing)(`gitlab-ci-local ${missing ? `(skipped: ${missing})` : ''}`, () => {
  let work: string;
  let checkout: string;
  const git = (...args: string[]) => execFileSync('git', args, { cwd: checkout, stdio: 'pipe' }).toString();
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [gitlabCiLocal, ...args], {
      cwd: checkout,
      encoding: 'utf8',
      env: {
        ...process.env,
        HOME: join(work, 'home'),
        PATH: `${join(work, 'stubs')}:${process.env.PATH}`,
        GIT_AUTHOR_NAME: 'ci',
        GIT_AUTHOR_EMAIL: 'ci@example.com',
        GIT_COMMITTER_NAME: 'ci',
        GIT_COMMITTER_EMAIL: 'ci@example.com',
      },
      timeout: 120_000,
    });

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'fmnist-gitlab-ci-local-'));
    checkout = join(work, 'checkout');
    await mkdir(join(checkout, 'scripts'), { recursive: true });
    await mkdir(join(work, 'home'));
    await mkdir(join(work, 'stubs'));
    await copyFile(join(root, '.gitlab-ci.yml'), join(checkout, '.gitlab-ci.yml'));
    await copyFile(join(root, 'scripts', 'setup.mjs'), join(checkout, 'scripts', 'setup.mjs'));
    await writeFile(join(checkout, 'package.json'), '{}\n');
    await writeFile(join(work, 'stubs', 'npx'), `#!/bin/sh\necho "npx $*" >> "${join(work, 'npx.log')}"\n`);
    await chmod(join(work, 'stubs', 'npx'), 0o755);
    git('init', '-q', '-b', 'feature');
    git('add', '-A');
    git('-c', 'user.name=ci', '-c', 'user.email=ci@example.com', 'commit', '-q', '-m', 'pipeline');
    // The job fetches the default branch from origin: a local bare copy keeps that off the network.
    execFileSync('git', ['clone', '-q', '--bare', checkout, join(work, 'origin.git')]);
    git('remote', 'add', 'origin', join(work, 'origin.git'));
  });
  afterAll(() => rm(work, { recursive: true, force: true }));

  const jobsOn = (branch: string) => {
    git('checkout', '-q', '-B', branch);
    const r = run('--list-csv');
    expect(r.status, r.stderr).toBe(0);
    return r.stdout
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.split(';').slice(0, 3).join(' '));
  };

  it('plans the tests on a branch, and the image and the deployment on master too', () => {
    expect(jobsOn('feature')).toEqual(['code-test "" test', 'model-accuracy "" model-test']);
    expect(jobsOn('master')).toEqual([
      'code-test "" test',
      'model-accuracy "" model-test',
      'build-image "" build',
      'deploy "" deploy',
    ]);
  });

  it('installs with the store in the checkout, passed to that install only, and writes nothing to HOME', async () => {
    git('checkout', '-q', '-B', 'feature');
    const r = run('--force-shell-executor', '--job', 'code-test', '--variable', 'CI_DEFAULT_BRANCH=feature');
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    const calls = (await readFile(join(work, 'npx.log'), 'utf8')).trim().split('\n');
    expect(calls[0]).toMatch(/^npx -y pnpm@[\d.]+ install .*--store-dir \S+\/\.pnpm-store$/);
    expect(calls.some((c) => / config /.test(c))).toBe(false);
    expect(calls[1]).toMatch(/^npx turbo run lint typecheck test --filter=/);
    expect(await readdir(join(work, 'home'))).toEqual([]);
  });
});
