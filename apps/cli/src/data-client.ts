import { createDataClient, type DataClient } from '@fmnist/data-client';
import type { Command } from 'commander';
import type { CliContext } from './context.js';

/** The global flag that moves data commands from the local store to a Pachyderm cluster. */
export function addPachdOption(program: Command): void {
  program.option(
    '--pachd <address>',
    'use the Pachyderm cluster at this pachd address (env PACHD_ADDRESS; PACH_CONFIG / PACH_CONTEXT choose a pachctl context) instead of the local store',
  );
}

/** The data client for this invocation: Pachyderm with --pachd or PACHD_ADDRESS, else the store under the home. */
export function openDataClient(program: Command, c: CliContext): DataClient {
  return createDataClient({ home: c.home, pachdAddress: program.opts<{ pachd?: string }>().pachd });
}

/** Runs a data command with a client that is closed when it ends. */
export function dataCommand(program: Command, ctx: () => CliContext) {
  return async <T>(fn: (client: DataClient, c: CliContext) => Promise<T>): Promise<T> => {
    const c = ctx();
    const client = openDataClient(program, c);
    try {
      return await fn(client, c);
    } finally {
      await client.close();
    }
  };
}

/** The verb group (`list`, `get`, …) shared by the commands for files and commits, made on first use. */
export function verbGroup(program: Command, verb: string, description: string): Command {
  return (
    program.commands.find((cmd) => cmd.name() === verb) ?? program.command(verb).description(description)
  );
}
