#!/usr/bin/env node
// Installs the workspace with a pinned pnpm fetched through npx, so a machine with only Node and npm works;
// with --build <filter>, also builds those packages. What the installer and the compilers print goes to a
// log file; the terminal gets one line per step (redrawn with progress on a terminal), or the log's tail
// when a step fails.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { delimiter, join, relative } from 'node:path';
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

const argv = process.argv.slice(2);
const buildAt = argv.indexOf('--build');
const buildFilter = buildAt >= 0 ? argv[buildAt + 1] : undefined;
if (buildAt >= 0 && !buildFilter) {
  console.error('usage: node scripts/setup.mjs [--build <turbo filter, e.g. @fmnist/cli...>]');
  process.exit(2);
}

const win = process.platform === 'win32';
const live = Boolean(process.stderr.isTTY) && !process.env.CI;
const logDir = join(root, '.fmnist', 'logs');
mkdirSync(logDir, { recursive: true });

function show(line, final = false) {
  if (live) process.stderr.write(`\r\x1b[2K${line}${final ? '\n' : ''}`);
  else if (final) process.stderr.write(`${line}\n`);
}

/**
 * Runs one step with its output in `<logDir>/<name>.log`; `progress` turns an output line into a short
 * status (or undefined to keep the last one). Resolves with the exit code.
 */
function step(name, title, command, args, progress) {
  const logFile = join(logDir, `${name}.log`);
  const log = createWriteStream(logFile);
  const started = performance.now();
  let status = '';
  show(`${title}…`);
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: win,
      // As under npm run: the workspace's own tools (turbo, the pinned pnpm) come first on PATH.
      env: {
        ...process.env,
        FORCE_COLOR: '0',
        NO_COLOR: '1',
        PATH: `${join(root, 'node_modules', '.bin')}${delimiter}${process.env.PATH ?? ''}`,
      },
    });
    let pending = '';
    const onData = (chunk) => {
      log.write(chunk);
      pending += chunk.toString('utf8');
      const lines = pending.split(/\r?\n/);
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const next = progress(line);
        if (next && next !== status) {
          status = next;
          show(`${title}… ${status}`);
        }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (e) => {
      log.write(`\n${e.stack ?? e}\n`);
      log.end(() => resolve({ code: 1, logFile, seconds: 0 }));
    });
    child.on('close', (code) => {
      log.end(() => resolve({ code: code ?? 1, logFile, seconds: (performance.now() - started) / 1000 }));
    });
  });
}

function done(title, r) {
  show(
    `✔ ${title} (${r.seconds.toFixed(1)} s; log: ${relative(process.cwd(), r.logFile) || r.logFile})`,
    true,
  );
}

function failed(title, r, advice) {
  show(`✖ ${title} failed; the end of ${relative(process.cwd(), r.logFile)}:`, true);
  const lines = readFileSync(r.logFile, 'utf8').trimEnd().split('\n');
  process.stderr.write(`${lines.slice(-40).join('\n')}\n\n${advice}\n`);
  process.exit(r.code || 1);
}

// pnpm is quick when nothing changed; CI gets the lockfile exactly as committed.
const installArgs = ['-y', PNPM, 'install', '--prefer-offline', '--reporter=append-only'];
if (process.env.CI) installArgs.push('--frozen-lockfile');
// A store for this install only (CI caches it in the checkout); never written to the global pnpm config.
if (process.env.PNPM_STORE_DIR) installArgs.push('--store-dir', process.env.PNPM_STORE_DIR);
const install = await step(
  'install',
  'installing dependencies',
  win ? 'npx.cmd' : 'npx',
  installArgs,
  (line) => {
    const p = /Progress: resolved (\d+), reused (\d+), downloaded (\d+), added (\d+)/.exec(line);
    if (p) return `${p[1]} resolved, ${p[3]} downloaded, ${p[4]} added`;
    // Native addons compile in their install scripts: say which one is taking the time.
    const script = /node_modules\/((?:@[^/]+\/)?[^/@]+)[^:]*: Running (?:install|postinstall) script/.exec(
      line,
    );
    if (script) return `building ${script[1]}`;
    return undefined;
  },
);
if (install.code !== 0)
  failed(
    'installing dependencies',
    install,
    `Installing dependencies failed (npx ${installArgs.join(' ')}).\nCheck access to the npm registry (proxy settings: npm config get proxy) and retry.`,
  );
done('dependencies installed', install);

if (buildFilter) {
  const turbo = join(root, 'node_modules', '.bin', win ? 'turbo.cmd' : 'turbo');
  // A package is built when its declarations are (tsup writes them last); turbo says how many there are.
  const finished = new Set();
  let total = '?';
  const build = await step(
    'build',
    `building ${buildFilter}`,
    turbo,
    ['run', 'build', `--filter=${buildFilter}`, '--output-logs=new-only'],
    (line) => {
      const count = /Running build in (\d+) packages/.exec(line);
      if (count) total = count[1];
      const task = /^(@fmnist\/[\w-]+):build: (.*)$/.exec(line);
      if (!task) return undefined;
      if (/DTS.*Build success/.test(task[2])) finished.add(task[1]);
      return `${finished.size} of ${total} packages (${task[1]})`;
    },
  );
  if (build.code !== 0)
    failed(`building ${buildFilter}`, build, 'The build failed: the compiler errors are above.');
  done(`built ${buildFilter}`, build);
}
