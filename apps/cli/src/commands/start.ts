import type { Command } from 'commander';
import { type CliContext, print } from '../context.js';
import { fetchDataset, printDatasetSummary } from './data.js';
import { openDataClient, putDataset } from './pfs.js';

/** The main job behind `npm start`. */
export function registerStart(program: Command, ctx: () => CliContext): void {
  program
    .command('start')
    .description('Run the main job: fetch and verify the dataset, then version it in data repos')
    .action(async () => {
      const c = ctx();
      const ds = await fetchDataset(c);
      printDatasetSummary(c, ds);
      const client = openDataClient(program, c);
      try {
        for (const r of await putDataset(c, client, ds)) {
          print(c, `  ${r.repo}@${r.commit}${r.created ? ' (new commit)' : ' (unchanged)'}`);
        }
      } finally {
        await client.close();
      }
    });
}
