import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@fmnist/fs-kit';

/** What each finished stage left for the next run, so a re-run reuses it and a failed run resumes. */
export interface PipelineState {
  data?: { train: string; test: string };
  experiment?: { id: number; data: { train: string; test: string }; config: string };
  registered?: { model: string; version: number; checkpoint: string };
  test?: { version: number; passed: boolean; reportDir: string; accuracy: number };
}

export const stateFile = (home: string) => join(home, 'pipeline.json');

/** The state of the last run, or none when there was none (or its file is unreadable). */
export async function readState(home: string): Promise<PipelineState> {
  try {
    return JSON.parse(await readFile(stateFile(home), 'utf8')) as PipelineState;
  } catch {
    return {};
  }
}

export async function saveState(home: string, state: PipelineState): Promise<void> {
  await writeFileAtomic(stateFile(home), `${JSON.stringify(state, null, 2)}\n`);
}
