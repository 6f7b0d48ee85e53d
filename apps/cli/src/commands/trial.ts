import type { Trial } from '@fmnist/determined-client';
import type { Command } from 'commander';
import { idArgument } from '../args.js';
import type { CliContext } from '../context.js';
import { formatValue, printList } from '../output/table.js';
import { withMaster } from '../registry.js';

/** Trials as JSON, or a table with their searcher metric. */
export function printTrials(c: CliContext, json: boolean | undefined, trials: Trial[], metric: string): void {
  printList(
    c,
    json,
    trials,
    ['TRIAL', 'STATE', 'STEPS', metric.toUpperCase(), 'RESTARTS', 'CHECKPOINT', 'HYPERPARAMETERS'],
    (t) => [
      t.id,
      t.state,
      formatValue(t.stepsCompleted),
      formatValue(t.searcherMetricValue ?? undefined),
      t.restarts,
      t.latestCheckpoint,
      JSON.stringify(t.hparams),
    ],
  );
}

/** `fmnist trial list`, also as det spells it: `experiment list-trials` (after `experiment` is registered). */
export function registerTrial(program: Command, ctx: () => CliContext): void {
  const listTrials = (cmd: Command) =>
    cmd
      .argument('<experiment>', 'experiment id', idArgument('the experiment id'))
      .option('--json', 'print as JSON')
      .action(async (expId: number, opts: { json?: boolean }) => {
        const c = ctx();
        await withMaster(program, c, async (m) => {
          const [exp, trials] = await Promise.all([m.getExperiment(expId), m.listTrials(expId)]);
          printTrials(c, opts.json, trials, exp.searcherMetric);
        });
      });
  listTrials(program.command('trial').description('Trials of an experiment').command('list'));
  listTrials(
    experimentCommand(program)
      .command('list-trials')
      .description('The trials of an experiment (as det experiment list-trials)'),
  );
}

/** The `experiment` group that `registerExperiment` made. */
export function experimentCommand(program: Command): Command {
  const experiment = program.commands.find((cmd) => cmd.name() === 'experiment');
  if (!experiment) throw new Error('register the experiment commands first');
  return experiment;
}
