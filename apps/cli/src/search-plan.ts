import type { SearchPlan } from '@fmnist/determined-client';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * A dry run's plan as lines: the brackets and rungs, then the table `det preview-search` prints
 * (how many trials train for how long), then each trial's hyperparameters.
 */
export function formatSearchPlan(name: string, plan: SearchPlan): string[] {
  const unit = plan.unit ?? 'units';
  const total = plan.maxTotalLength === null ? '' : `, ${plan.maxTotalLength} ${unit} of training as planned`;
  const lines = [`${name}: ${plan.searcher} search, ${plural(plan.trials.length, 'trial')}${total}`];
  for (const [i, b] of (plan.brackets ?? []).entries()) {
    const rungs = b.rungs.map((r) => `${r.length} ${unit} (${plural(r.maxTrials, 'trial')})`).join(' → ');
    lines.push(
      `  bracket ${i}: ${plural(b.numRungs, 'rung')}, ${plural(b.maxTrials, 'trial')}, ${b.maxConcurrentTrials} at once: ${rungs}`,
    );
  }
  const rows = plan.summary.map((s) => [
    String(s.count),
    s.length === null ? 'train to completion' : `train for ${s.length} ${unit}`,
  ]);
  const width = Math.max('Trials'.length, ...rows.map(([n]) => n!.length));
  lines.push(`  ${'Trials'.padStart(width)} | Training Time`);
  for (const [n, time] of rows) lines.push(`  ${n!.padStart(width)} | ${time}`);
  for (const t of plan.trials) lines.push(`  trial ${t.requestId}: ${JSON.stringify(t.hparams)}`);
  return lines;
}
