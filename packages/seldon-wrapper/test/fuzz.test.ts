import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Running, start, stillServes } from './helpers.js';

// schemathesis, installed by .ci/setup.d/schemathesis.sh, generates requests from the OpenAPI document the
// server serves (valid and invalid bodies, parameters, content types) and flags every 5xx answer.
const TOOLS = process.env.FMNIST_TOOLS_DIR ?? join(homedir(), '.cache', 'fmnist-tools');
const ST = join(TOOLS, 'schemathesis', 'bin', 'st');
const present = existsSync(ST);
const EXAMPLES = Number(process.env.FMNIST_FUZZ_EXAMPLES ?? 10);

let srv: Running;
const errors: unknown[][] = [];

beforeAll(async () => {
  if (!present) return;
  srv = await start({ name: 'fashion-classifier', logger: { error: (...a) => errors.push(a), warn() {} } });
});

afterAll(async () => {
  await srv?.close();
});

describe.skipIf(!present)(
  `fuzzing every documented route with schemathesis (${present ? ST : `skipped: no ${ST}; run .ci/setup.d/schemathesis.sh`})`,
  () => {
    it(`finds no server error in ${EXAMPLES} generated examples per operation`, async () => {
      const args = [
        'run',
        `${srv.url}/seldon.json`,
        '--checks',
        'not_a_server_error',
        '--phases',
        'examples,fuzzing',
        '--max-examples',
        String(EXAMPLES),
        '--seed',
        '1',
        '--workers',
        '2',
        '--request-timeout',
        '20',
        '--generation-database',
        'none',
        '--suppress-health-check',
        'all',
        '--no-color',
      ];
      const run = await promisify(execFile)(ST, args, {
        timeout: 240_000,
        maxBuffer: 16 * 1024 * 1024,
        // It keeps a cache of what it found in its working folder: not in the repository.
        cwd: mkdtempSync(join(tmpdir(), 'fmnist-fuzz-')),
      }).then(
        (r) => ({ code: 0, out: r.stdout + r.stderr }),
        (e: { code?: number; stdout?: string; stderr?: string }) => ({
          code: e.code ?? -1,
          out: `${e.stdout ?? ''}${e.stderr ?? ''}`,
        }),
      );
      const summary = run.out.match(/Test cases:\s*\n\s*(.+)/)?.[1] ?? '';
      console.log(`schemathesis: ${summary.trim()}`);
      expect(run.code, run.out.slice(-4000)).toBe(0);
      expect(summary).toMatch(/^\d+ generated, \d+ passed/);
      expect(errors).toEqual([]);
      expect(await stillServes(srv.url)).toBe(true);
    }, 300_000);
  },
);
