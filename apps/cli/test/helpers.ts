import { vi } from 'vitest';
import { main } from '../src/main.js';

/** Runs the CLI in-process and returns its exit code and what it wrote; `home` becomes --home. */
export async function runCli(home: string | undefined, ...argv: string[]) {
  let stderr = '';
  let stdout = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const exitCode = process.exitCode;
  try {
    const code = await main(home ? ['--home', home, ...argv] : argv);
    return { code, stderr, stdout };
  } finally {
    process.exitCode = exitCode;
    vi.restoreAllMocks();
  }
}
