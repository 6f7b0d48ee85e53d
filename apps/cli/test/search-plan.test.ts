import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

describe('fmnist experiment create --dry-run', () => {
  it("prints Determined 0.38's bracket plan for the shipped adaptive.yaml", async () => {
    const r = await runCli(
      undefined,
      'experiment',
      'create',
      '-f',
      join(repo, 'apps/train/adaptive.yaml'),
      '--dry-run',
    );
    expect(r.code).toBe(0);
    // 16 trials, 4 epochs, divisor 4, at most 3 rungs: max_rungs = min(3, int(log4 4)+1, int(log4 16)+1) = 2,
    // standard mode → brackets of 2 and 1 rungs; 11 and 5 trials (getBracketMaxTrials), 5 at once each
    // (getBracketMaxConcurrentTrials with 0: max(5, divisor)); simulate.go's rows: 9 stop at 1 epoch, 7 run 4.
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(
      /^fashion-mnist-adaptive: adaptive_asha search, 16 trials, \d+ epochs of training as planned$/,
    );
    expect(lines.slice(1, 6)).toEqual([
      '  bracket 0: 2 rungs, 11 trials, 5 at once: 1 epochs (11 trials) → 4 epochs (2 trials)',
      '  bracket 1: 1 rung, 5 trials, 5 at once: 4 epochs (5 trials)',
      '  Trials | Training Time',
      '       9 | train for 1 epochs',
      '       7 | train for 4 epochs',
    ]);
    expect(lines.filter((l) => l.startsWith('  trial '))).toHaveLength(16);
  });

  it('prints one row for a single trial that trains to completion', async () => {
    const r = await runCli(
      undefined,
      'experiment',
      'create',
      '-f',
      join(repo, 'apps/train/const.yaml'),
      '--dry-run',
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ {2}Trials \| Training Time\n {7}1 \| train to completion\n/);
  });
});
