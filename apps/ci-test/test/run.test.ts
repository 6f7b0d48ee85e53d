import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { assertGatePassed, GateError, runAccuracyGate } from '../src/index.js';
import { fakeModel, syntheticTestSet, tempDir, version } from './helpers.js';

/** Runs fmnist-ci-test in-process and returns its exit code and what it wrote. */
async function ciTest(...argv: string[]) {
  const out = { stdout: '', stderr: '' };
  const stream = (key: 'stdout' | 'stderr') =>
    new Writable({
      write(chunk, _encoding, done) {
        out[key] += String(chunk);
        done();
      },
    });
  const code = await main(argv, { stdout: stream('stdout'), stderr: stream('stderr') });
  return { code, ...out };
}

describe('fmnist-ci-test', () => {
  it('prints its usage with --help', async () => {
    const r = await ciTest('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: fmnist-ci-test --model-dir DIR/);
  });

  it.each([
    [['--min-accuracy', '1.5', '--model-dir', 'm'], /--min-accuracy must be a number from 0 to 1, got 1.5/],
    [['--gate', 'some', '--model-dir', 'm'], /--gate must be "all" or "latest", got "some"/],
    [[], /give at least one --model-dir DIR/],
    [['--model-dir', 'm', '--shiny'], /Unknown option '--shiny'/],
  ])('refuses %j with exit code 2 and the usage', async (argv, message) => {
    const r = await ciTest(...argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/usage: fmnist-ci-test/);
  });

  it('exits 1 and says why when there is no test data to gate on', async () => {
    const home = await tempDir();
    const r = await ciTest('--home', home, '--model-dir', home, '--data', 'fmnist-test-raw');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: /);
  });
});

describe('assertGatePassed', () => {
  const testSet = syntheticTestSet(100);

  it('is silent when the gate passed', async () => {
    const result = await runAccuracyGate({
      model: 'fashion-classifier',
      versions: [version(1, fakeModel())],
      testSet,
      reportDir: await tempDir(),
    });
    expect(() => assertGatePassed(result)).not.toThrow();
  });

  it('turns a failed gate into GateError GATE_FAILED naming the versions and the report', async () => {
    const result = await runAccuracyGate({
      model: 'fashion-classifier',
      versions: [version(1, fakeModel({ wrong: (i) => i % 5 === 0 }))],
      testSet,
      reportDir: await tempDir(),
    });
    const error = (() => {
      try {
        assertGatePassed(result);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(GateError);
    expect(error).toMatchObject({ code: 'GATE_FAILED' });
    expect((error as Error).message).toMatch(/below the accuracy threshold \(v1\); it will not be served/);
    expect((error as Error).message).toContain(`${result.reportDir}/report.html`);
  });
});
