// The model definition (context directory) sent with an experiment, as Determined's CLI builds it
// (harness/determined/common/context.py, detignore.py, constants.py at v0.38.1).
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import ignore from 'ignore';
import { DeterminedError } from '../errors.js';
import type { Json } from './api.js';

/** constants.MAX_CONTEXT_SIZE: 96 MiB of base64-encoded files less 1 MiB of envelope. */
export const MAX_CONTEXT_BYTES = ((128 * 1024 * 1024) / 8) * 6 - 1024 * 1024;

/** constants.DEFAULT_DETIGNORE, plus what an fmnist checkout holds that a trial never needs. */
const DEFAULT_IGNORES = [
  '__pycache__/',
  '*.py[co]',
  '*$py.class',
  'terraform',
  'terraform_data',
  'terraform.tfstate*',
  'terraform.tfvars*',
  '.terraform*',
  '.git/',
  '.vscode/',
  '.idea/',
  '.mypy_cache/',
  '/shared_fs',
];
/** Never sent, whatever .detignore says: installed packages, the fmnist home, build output, pnpm's store. */
export const NEVER_SENT = ['node_modules/', '.fmnist/', 'dist/', '.pnpm-store/', '.turbo/'];

const fmt = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

/**
 * The files of a context directory as `v1File`s (tar type flags: '5' directory, '0' file), skipping
 * what `.detignore` (gitignore syntax), Determined's defaults and NEVER_SENT exclude. Throws
 * CONTEXT_TOO_LARGE before reading past the master's limit, naming the largest entries.
 */
export async function readContext(dir: string, limit = MAX_CONTEXT_BYTES): Promise<Json[]> {
  const root = resolve(dir);
  const rules = ignore().add(DEFAULT_IGNORES).add(NEVER_SENT);
  try {
    rules.add(await readFile(join(root, '.detignore'), 'utf8'));
  } catch {}
  const files: Json[] = [];
  const sizes: { path: string; size: number }[] = [];
  let total = 0;
  async function walk(d: string) {
    for (const e of (await readdir(d, { withFileTypes: true })).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const p = join(d, e.name);
      const rel = relative(root, p).split(sep).join('/');
      if (rel === '.detignore') continue;
      if (rules.ignores(e.isDirectory() ? `${rel}/` : rel)) continue;
      const st = await lstat(p);
      const common = {
        path: rel,
        mtime: String(Math.floor(st.mtimeMs / 1000)),
        mode: st.mode & 0o777,
        uid: 0,
        gid: 0,
      };
      if (e.isDirectory()) {
        files.push({ ...common, type: 53, content: '' });
        await walk(p);
      } else if (e.isFile()) {
        total += st.size;
        sizes.push({ path: rel, size: st.size });
        if (total > limit) {
          const top = sizes.sort((a, b) => b.size - a.size).slice(0, 3);
          throw new DeterminedError(
            'CONTEXT_TOO_LARGE',
            `the context directory ${root} holds more than ${fmt(limit)}, the most a Determined master accepts (largest: ${top
              .map((x) => `${x.path} ${fmt(x.size)}`)
              .join(', ')})`,
            'List what the trial does not need in a .detignore file there, or pass a smaller context directory.',
          );
        }
        files.push({ ...common, type: 48, content: (await readFile(p)).toString('base64') });
      }
    }
  }
  await walk(root);
  return files;
}
