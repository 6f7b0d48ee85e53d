import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A file of an installed workspace app, found the way Node finds the package (the nearest
 * node_modules up from here), without loading it: the model server and the trial entrypoint run in
 * processes of their own, so the dashboard needs their paths only.
 */
export function installedFile(pkg: string, file: (manifest: { bin?: Record<string, string> }) => string) {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const root = join(dir, 'node_modules', ...pkg.split('/'));
    if (existsSync(join(root, 'package.json'))) {
      const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
      return join(root, file(manifest));
    }
    if (dirname(dir) === dir) throw new Error(`${pkg} is not installed beside the dashboard`);
  }
}

/** The serving app's bin (`--model-dir DIR --port N`), as local deployments run it. */
export function serveBin(): string {
  return installedFile('@fmnist/serve', (m) => m.bin?.['fmnist-serve'] ?? 'dist/bin.js');
}

/** The trial entrypoint of apps/train, as the embedded master runs it. */
export function trialEntrypoint(): string {
  return installedFile('@fmnist/train', (m) => m.bin?.['fmnist-trial'] ?? 'dist/main.js');
}
