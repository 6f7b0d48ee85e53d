import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { DeterminedClient, Experiment, ExperimentEvent } from '@fmnist/determined-client';
import type { Command } from 'commander';
import { idArgument } from '../args.js';
import { type CliContext, note, print } from '../context.js';
import { UsageError } from '../errors.js';
import { formatValue, printList } from '../output/table.js';
import { trialRunner, withMaster } from '../registry.js';
import { formatSearchPlan } from '../search-plan.js';
import { printTrials } from './trial.js';

/** Prints what an experiment's trials are doing, one line per event. */
export function experimentEvents(c: CliContext, metric: string) {
  return (e: ExperimentEvent) => {
    switch (e.type) {
      case 'trial-started':
        note(
          c,
          `trial ${e.trialId} started${e.run > 0 ? ` (run ${e.run + 1})` : ''}: train to ${e.target ? `${e.target.length} ${e.target.unit}` : 'its end'} with ${JSON.stringify(e.hparams)}`,
        );
        break;
      case 'validation':
        note(
          c,
          `trial ${e.trialId} validated at ${formatValue(e.stepsCompleted)}: ${metric} ${formatValue(e.metric)}`,
        );
        break;
      case 'trial-restarting':
        note(c, `trial ${e.trialId} failed; restarting from its last checkpoint (restart ${e.restarts})`);
        break;
      case 'trial-closed':
        note(c, `trial ${e.trialId} ${e.state.toLowerCase()}`);
        break;
      case 'trial-exited':
        if (e.exitCode !== 0) note(c, `trial ${e.trialId} exited with ${e.signal ?? `code ${e.exitCode}`}`);
        break;
      case 'progress':
        note(c, `experiment ${e.experimentId}: ${(e.progress * 100).toFixed(0)}%`);
        break;
      case 'state':
        note(c, `experiment ${e.experimentId} is ${e.state.toLowerCase()}`);
        break;
    }
  };
}

/**
 * Runs (embedded master) or follows (Determined) an experiment until it ends, printing each trial's
 * validations as they are reported.
 */
export async function followExperiment(
  c: CliContext,
  master: DeterminedClient,
  exp: Experiment,
  signal?: AbortSignal,
): Promise<Experiment> {
  return master.waitForExperiment(exp.id, { onEvent: experimentEvents(c, exp.searcherMetric), signal });
}

/** An AbortSignal for Ctrl-C: trials are checkpointed and the experiment can resume with `activate`. */
export function interruptSignal(c: CliContext): { signal: AbortSignal; dispose(): void } {
  const ac = new AbortController();
  const onSigint = () => {
    note(c, 'interrupted: stopping trials; resume with "fmnist experiment activate <id>"');
    ac.abort();
  };
  process.once('SIGINT', onSigint);
  return { signal: ac.signal, dispose: () => process.off('SIGINT', onSigint) };
}

function describeExperiment(c: CliContext, e: Experiment): void {
  const state = e.interrupted
    ? 'interrupted: resume with "fmnist experiment activate"'
    : e.state.toLowerCase();
  print(c, `experiment ${e.id}: ${e.name} (${state}, ${(e.progress * 100).toFixed(0)}%)`);
  print(
    c,
    `  searcher: ${e.searcherType}, metric ${e.searcherMetric} (${e.smallerIsBetter ? 'smaller' : 'larger'} is better)`,
  );
  print(c, `  trials:   ${e.numTrials}; started ${e.startTime}${e.endTime ? `, ended ${e.endTime}` : ''}`);
}

export function registerExperiment(program: Command, ctx: () => CliContext): void {
  const experiment = program.command('experiment').description("Experiments, as Determined's det experiment");
  experiment
    .command('create')
    .description(
      'Create an experiment from a config file and run it (embedded master) or submit it (Determined)',
    )
    .option(
      '-f, --file <config>',
      'an experiment config (YAML); or give it as the first argument, as det does',
    )
    .argument('[config]', 'the experiment config (YAML), when -f is not given')
    .argument('[context]', 'a model definition directory to send to a Determined master (none by default)')
    .option('--follow', 'with a Determined master: wait and print trial progress until it ends')
    .option('--dry-run', 'validate the config and print the trials the search would start')
    .option('--json', 'print the result as JSON')
    .action(
      async (
        first: string | undefined,
        second: string | undefined,
        opts: { file?: string; follow?: boolean; dryRun?: boolean; json?: boolean },
      ) => {
        // `det experiment create config.yaml [context]`, or fmnist's older `-f config.yaml [context]`.
        const file = opts.file ?? first;
        const context = opts.file ? first : second;
        if (!file)
          throw new UsageError(
            'give the experiment config: fmnist experiment create <config.yaml> [context]',
          );
        opts.file = file;
        const c = ctx();
        const text = await readFile(resolve(opts.file), 'utf8').catch(() => {
          throw new UsageError(`cannot read the config file ${opts.file}`);
        });
        const { parseExperimentConfig, planSearch } = await import('@fmnist/determined-client');
        const parsed = parseExperimentConfig(text);
        for (const w of parsed.warnings) note(c, `warning: ${w}`);
        if (parsed.ignored.length)
          note(c, `ignored here (they apply on a Determined cluster): ${parsed.ignored.join(', ')}`);
        if (opts.dryRun) {
          const plan = planSearch(parsed.config);
          if (opts.json)
            return print(
              c,
              JSON.stringify({
                config: parsed.config.name,
                ...plan,
                warnings: parsed.warnings,
                ignored: parsed.ignored,
              }),
            );
          for (const line of formatSearchPlan(parsed.config.name, plan)) print(c, line);
          return;
        }
        const concurrent = parsed.config.searcher.name !== 'single';
        const runner = await trialRunner(c, concurrent);
        await withMaster(
          program,
          c,
          async (master) => {
            const created = await master.createExperiment(
              text,
              context ? { modelDefinition: resolve(context) } : {},
            );
            const exp = created.experiment;
            note(c, `created experiment ${exp.id} (${exp.name})`);
            let final = exp;
            if (master.backend === 'local' || opts.follow) {
              const stop = interruptSignal(c);
              try {
                final = await followExperiment(c, master, exp, stop.signal);
              } finally {
                stop.dispose();
              }
            }
            if (opts.json) print(c, JSON.stringify(final));
            else describeExperiment(c, final);
            if (final.state === 'ERROR') process.exitCode = 1;
          },
          { trialRunner: runner },
        );
      },
    );

  experiment
    .command('list')
    .description('Experiments, newest first')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      const c = ctx();
      await withMaster(program, c, async (m) => {
        const list = await m.listExperiments();
        printList(
          c,
          opts.json,
          list,
          ['ID', 'NAME', 'STATE', 'SEARCHER', 'TRIALS', 'PROGRESS', 'STARTED'],
          (e) => [
            e.id,
            e.name,
            e.interrupted ? `INTERRUPTED (${e.state})` : e.state,
            e.searcherType,
            e.numTrials,
            `${(e.progress * 100).toFixed(0)}%`,
            e.startTime,
          ],
        );
      });
    });

  experiment
    .command('describe')
    .argument('<id>', 'experiment id', idArgument('the experiment id'))
    .description('An experiment and its trials')
    .option('--json', 'print as JSON')
    .action(async (expId: number, opts: { json?: boolean }) => {
      const c = ctx();
      await withMaster(program, c, async (m) => {
        const [exp, trials] = await Promise.all([m.getExperiment(expId), m.listTrials(expId)]);
        if (opts.json) return print(c, JSON.stringify({ ...exp, trials }));
        describeExperiment(c, exp);
        printTrials(c, false, trials, exp.searcherMetric);
      });
    });

  for (const [verb, what] of [
    [
      'activate',
      'Resume an interrupted or paused experiment: unfinished trials continue from their last checkpoint',
    ],
    ['kill', 'Stop an experiment and its trials'],
  ] as const) {
    experiment
      .command(verb)
      .argument('<id>', 'experiment id', idArgument('the experiment id'))
      .description(what)
      .option('--json', 'print as JSON')
      .action(async (expId: number, opts: { json?: boolean }) => {
        const c = ctx();
        const exp0 = await withMaster(program, c, (m) => m.getExperiment(expId));
        const runner = await trialRunner(c, exp0.searcherType !== 'single');
        await withMaster(
          program,
          c,
          async (m) => {
            if (verb === 'kill') {
              await m.killExperiment(expId);
              note(c, `experiment ${expId} killed`);
            } else {
              await m.activateExperiment(expId);
              note(c, `experiment ${expId} activated`);
              if (m.backend === 'local') {
                const stop = interruptSignal(c);
                try {
                  await followExperiment(c, m, await m.getExperiment(expId), stop.signal);
                } finally {
                  stop.dispose();
                }
              }
            }
            const exp = await m.getExperiment(expId);
            if (opts.json) print(c, JSON.stringify(exp));
            else describeExperiment(c, exp);
          },
          { trialRunner: runner },
        );
      });
  }
}
