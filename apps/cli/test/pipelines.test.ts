import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createProgram } from '../src/main.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const gitlab = parse(readFileSync(`${root}.gitlab-ci.yml`, 'utf8'));
const github = parse(readFileSync(`${root}.github/workflows/pipeline.yml`, 'utf8'));

/** Every `npm run fmnist -- …` line of a list of shell commands, as argument words. */
function fmnistCalls(lines: string[]): string[][] {
  return lines
    .flatMap((l) => l.split(/&&|;|\n/))
    .map((l) => /npm run fmnist -- (.*)$/.exec(l.trim())?.[1])
    .filter((x): x is string => Boolean(x))
    .map((args) => args.match(/"[^"]*"|\S+/g) ?? []);
}

/** Checks that the words name a real command and that each --option is one it takes. */
function checkCall(words: string[]): void {
  let cmd: Command = createProgram().program;
  let i = 0;
  for (; i < words.length; i++) {
    const sub = cmd.commands.find((c) => c.name() === words[i]);
    if (!sub) break;
    cmd = sub;
  }
  expect(cmd.name(), `"fmnist ${words.join(' ')}" names a command`).not.toBe('fmnist');
  // A group with a default subcommand (`fmnist deploy` is `fmnist deploy apply`) takes that one's options.
  const fallback = (cmd as unknown as { _defaultCommandName?: string })._defaultCommandName;
  if (fallback) cmd = cmd.commands.find((c) => c.name() === fallback) ?? cmd;
  const known = new Set(cmd.options.flatMap((o) => [o.long, o.short]).filter(Boolean));
  for (const w of words.slice(i))
    if (w.startsWith('-')) expect(known, `fmnist ${cmd.name()} takes ${w}`).toContain(w);
}

describe('.gitlab-ci.yml', () => {
  it('runs code tests, the model accuracy test, the image build and the deployment in that order', () => {
    expect(gitlab.stages).toEqual(['test', 'model-test', 'build', 'deploy']);
    expect(gitlab['code-test'].stage).toBe('test');
    expect(gitlab['model-accuracy'].stage).toBe('model-test');
    expect(gitlab['build-image'].stage).toBe('build');
    expect(gitlab.deploy.stage).toBe('deploy');
  });

  it('tests only affected packages with turbo', () => {
    expect(gitlab['code-test'].script.join('\n')).toMatch(/turbo run .*test.*--filter="\.\.\.\[origin\//);
  });

  it('publishes the accuracy report as an artifact and its JUnit file as a test report', () => {
    const job = gitlab['model-accuracy'];
    expect(job.artifacts.when).toBe('always');
    expect(job.artifacts.paths).toContain('report/');
    expect(job.artifacts.reports.junit).toBe('report/junit.xml');
  });

  it('builds and deploys on master only', () => {
    for (const job of ['build-image', 'deploy']) {
      expect(gitlab[job].rules).toEqual([{ if: '$CI_COMMIT_BRANCH == "master"' }]);
    }
  });

  it('calls only fmnist commands and options that exist', () => {
    const calls = Object.values(gitlab)
      .filter((j): j is { script: string[] } => typeof j === 'object' && j !== null && 'script' in j)
      .flatMap((j) => fmnistCalls(j.script));
    expect(calls.map((c) => c[0])).toEqual(expect.arrayContaining(['test', 'deploy']));
    for (const call of calls) checkCall(call);
  });
});

describe('GitHub Actions pipeline', () => {
  const jobs = github.jobs as Record<string, { needs?: string; if?: string; steps: { run?: string }[] }>;

  it('chains the same four jobs', () => {
    expect(jobs['model-accuracy']?.needs).toBe('code-test');
    expect(jobs['build-image']?.needs).toBe('model-accuracy');
    expect(jobs.deploy?.needs).toBe('build-image');
  });

  it('builds and deploys on master only', () => {
    expect(jobs['build-image']?.if).toBe("github.ref == 'refs/heads/master'");
    expect(jobs.deploy?.if).toBe("github.ref == 'refs/heads/master'");
  });

  it('calls only fmnist commands and options that exist', () => {
    const calls = Object.values(jobs).flatMap((j) => fmnistCalls(j.steps.map((s) => s.run ?? '')));
    expect(calls.length).toBeGreaterThanOrEqual(3);
    for (const call of calls) checkCall(call);
  });
});
