import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { fetchDataset, printDatasetSummary } from './data.js';

/** The main job behind `npm start`. */
export function registerStart(program: Command, ctx: () => CliContext): void {
  program
    .command('start')
    .description('Run the main job: fetch and verify the dataset')
    .action(async () => {
      const c = ctx();
      printDatasetSummary(c, await fetchDataset(c));
    });
}
