import { join } from 'node:path';
import type { GateResult } from '@fmnist/ci-test';
import type { ModelVersion } from '@fmnist/determined-client';
import { versionFacts } from '../../registry.js';
import { type StageContext, timed } from '../stage.js';

/**
 * Stage 5: the accuracy gate on the test data commit, writing the report under `<home>/reports/<model>`.
 * A version below the threshold stops the pipeline (GateError GATE_FAILED from @fmnist/ci-test).
 */
export async function gateStage(
  ctx: StageContext,
  registered: { version: ModelVersion; modelDir: string },
  testData: string,
): Promise<GateResult> {
  const { home, minAccuracy } = ctx.options;
  const gate = await timed(ctx, 'gate', `test: accuracy gate ≥ ${minAccuracy}`, async () => {
    const { assertGatePassed, runGate } = await import('@fmnist/ci-test');
    const result = await runGate({
      data: ctx.clients.data,
      testData,
      cacheDir: join(home, 'cache', 'pfs'),
      model: ctx.model,
      versions: [
        {
          version: registered.version.version,
          metadata: versionFacts(registered.version),
          modelDir: registered.modelDir,
        },
      ],
      minAccuracy,
      gate: 'all',
      reportDir: join(home, 'reports', ctx.model),
      log: (line) => ctx.emit({ type: 'log', line }),
    });
    ctx.emit({ type: 'gate-result', result });
    assertGatePassed(result);
    return result;
  });
  ctx.state.test = {
    version: registered.version.version,
    passed: gate.passed,
    reportDir: gate.reportDir,
    accuracy: gate.report.versions[0]?.metrics.accuracy ?? 0,
  };
  await ctx.save();
  return gate;
}
