import { resolve } from 'node:path';

/** What every command needs to know about where it runs. */
export interface CliContext {
  /** The fmnist home: data, experiments, models (`--home`, FMNIST_HOME, or ./.fmnist). */
  home: string;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream | NodeJS.WritableStream;
  /** True when stderr is a terminal, so progress may redraw one line. */
  interactive: boolean;
}

export function createContext(home?: string): CliContext {
  return {
    home: resolve(home ?? process.env.FMNIST_HOME ?? '.fmnist'),
    stdout: process.stdout,
    stderr: process.stderr,
    interactive: Boolean(process.stderr.isTTY) && !process.env.CI,
  };
}

export function print(ctx: CliContext, line = ''): void {
  ctx.stdout.write(`${line}\n`);
}

export function note(ctx: CliContext, line: string): void {
  ctx.stderr.write(`${line}\n`);
}
