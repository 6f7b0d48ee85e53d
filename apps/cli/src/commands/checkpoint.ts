import type { Command } from 'commander';
import { idArgument } from '../args.js';
import type { CliContext } from '../context.js';
import { formatValue, printList } from '../output/table.js';
import { withMaster } from '../registry.js';
import { experimentCommand } from './trial.js';

/** `fmnist checkpoint list`, also as det spells it: `experiment list-checkpoints`. */
export function registerCheckpoint(program: Command, ctx: () => CliContext): void {
  const listCheckpoints = (cmd: Command) =>
    cmd
      .argument('<experiment>', 'experiment id', idArgument('the experiment id'))
      .option('--json', 'print as JSON')
      .action(async (expId: number, opts: { json?: boolean }) => {
        const c = ctx();
        await withMaster(program, c, async (m) => {
          const list = await m.listCheckpoints({ experimentId: expId });
          printList(
            c,
            opts.json,
            list,
            ['UUID', 'TRIAL', 'STEPS', 'STATE', 'SEARCHER METRIC', 'TIME'],
            (k) => [
              k.uuid,
              k.trialId,
              formatValue(k.stepsCompleted ?? undefined),
              k.state,
              formatValue(k.searcherMetric ?? undefined),
              k.reportTime,
            ],
          );
        });
      });
  listCheckpoints(program.command('checkpoint').description('Checkpoints of an experiment').command('list'));
  listCheckpoints(
    experimentCommand(program)
      .command('list-checkpoints')
      .description('The checkpoints of an experiment (as det experiment list-checkpoints)'),
  );
}
