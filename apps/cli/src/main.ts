import { Command, CommanderError } from 'commander';
import { registerBench } from './commands/bench.js';
import { registerCheckpoint } from './commands/checkpoint.js';
import { registerCommit } from './commands/commit.js';
import { registerData } from './commands/data.js';
import { registerDeploy } from './commands/deploy.js';
import { registerEvaluate } from './commands/evaluate.js';
import { registerExperiment } from './commands/experiment.js';
import { registerFile } from './commands/file.js';
import { registerModelRegistry } from './commands/model-registry.js';
import { registerPipeline } from './commands/pipeline.js';
import { registerRepo } from './commands/repo.js';
import { registerServe } from './commands/serve.js';
import { registerTest } from './commands/test.js';
import { registerTrain } from './commands/train.js';
import { registerTrial } from './commands/trial.js';
import { registerTrialImage } from './commands/trial-image.js';
import { registerUi } from './commands/ui.js';
import { type CliContext, createContext } from './context.js';
import { addPachdOption } from './data-client.js';
import { isKnownError, UsageError } from './errors.js';
import { commandHint } from './hints.js';
import { addMasterOption } from './registry.js';

export function createProgram(): { program: Command; context: () => CliContext } {
  const program = new Command('fmnist')
    .description('Fashion-MNIST, from versioned data to a served model')
    .option(
      '--home <dir>',
      'where fmnist keeps data, experiments and models (env FMNIST_HOME; default ./.fmnist)',
    )
    .showHelpAfterError('(run "fmnist --help" for usage)')
    .showSuggestionAfterError(true)
    .exitOverride();
  let cached: CliContext | undefined;
  const context = () => {
    cached ??= createContext(program.opts<{ home?: string }>().home);
    return cached;
  };
  registerData(program, context);
  registerTrain(program, context);
  registerEvaluate(program, context);
  registerBench(program, context);
  registerPipeline(program, context);
  registerDeploy(program, context);
  addPachdOption(program);
  registerRepo(program, context);
  registerFile(program, context);
  registerCommit(program, context);
  registerServe(program, context);
  registerTest(program, context);
  addMasterOption(program);
  registerExperiment(program, context);
  registerTrial(program, context);
  registerCheckpoint(program, context);
  registerUi(program, context);
  registerTrialImage(program, context);
  registerModelRegistry(program, context);
  for (const cmd of allCommands(program)) {
    cmd.exitOverride();
    cmd.showHelpAfterError(`(run "${fullName(cmd)} --help" for usage)`);
    // A group without an action still needs a subcommand: say so rather than printing nothing.
    if (cmd.commands.length > 0) {
      cmd.action(() => {
        throw new UsageError(
          `"${fullName(cmd)}" needs a subcommand: ${cmd.commands.map((c) => c.name()).join(', ')}`,
        );
      });
    }
  }
  return { program, context };
}

function allCommands(cmd: Command): Command[] {
  return cmd.commands.flatMap((c) => [c, ...allCommands(c)]);
}

function fullName(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Runs the CLI and returns the exit code; never lets a stack trace reach the user unless FMNIST_DEBUG is set. */
export async function main(argv: string[]): Promise<number> {
  const { program } = createProgram();
  if (argv.length === 0) {
    program.outputHelp({ error: true });
    return 2;
  }
  process.exitCode = undefined;
  try {
    await program.parseAsync(argv, { from: 'user' });
    // A command that finished but failed its check (a gate below threshold) sets the exit code itself.
    return Number(process.exitCode ?? 0);
  } catch (e) {
    if (e instanceof CommanderError) {
      // Commander has already printed its message; help and version are not failures.
      return e.exitCode === 0 || e.code === 'commander.helpDisplayed' ? 0 : 2;
    }
    if (e instanceof UsageError) {
      process.stderr.write(`error: ${e.message}\n(run "fmnist --help" for usage)\n`);
      return 2;
    }
    if (process.env.FMNIST_DEBUG) process.stderr.write(`${(e as Error)?.stack ?? e}\n`);
    if (isKnownError(e)) {
      const fix = commandHint(e);
      process.stderr.write(`error: ${e.message}\n${fix ? `  ${fix}\n` : ''}`);
      return 1;
    }
    process.stderr.write(
      `error: ${(e as Error)?.message ?? String(e)}\n(set FMNIST_DEBUG=1 to see where it happened)\n`,
    );
    return 1;
  }
}
