#!/usr/bin/env node
// Installs the workspace with a pinned pnpm fetched through npx, so a machine with only Node and npm works.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const PNPM = 'pnpm@10.34.9';
const root = fileURLToPath(new URL('..', import.meta.url));
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  console.error(
    `fmnist needs Node.js >= 20.19 (this is ${process.versions.node}). Install a newer Node.js and retry.`,
  );
  process.exit(1);
}

// pnpm is quick when nothing changed; CI gets the lockfile exactly as committed.
const args = ['-y', PNPM, 'install', '--prefer-offline', '--reporter=append-only'];
if (process.env.CI) args.push('--frozen-lockfile');
// A store for this install only (CI caches it in the checkout); never written to the global pnpm config.
if (process.env.PNPM_STORE_DIR) args.push('--store-dir', process.env.PNPM_STORE_DIR);
const win = process.platform === 'win32';
const r = spawnSync(win ? 'npx.cmd' : 'npx', args, {
  cwd: root,
  stdio: ['ignore', 2, 'inherit'],
  shell: win,
});
if (r.status !== 0) {
  console.error(`\nInstalling dependencies failed (npx ${args.join(' ')}).`);
  console.error('Check access to the npm registry (proxy settings: npm config get proxy) and retry.');
  process.exit(r.status ?? 1);
}
