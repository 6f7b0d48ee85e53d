// The four dataset files, their checksums, and the interface every source of them implements.
import { join } from 'node:path';

/** The four files of Fashion-MNIST, by role. */
export const FASHION_MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte.gz',
  trainLabels: 'train-labels-idx1-ubyte.gz',
  testImages: 't10k-images-idx3-ubyte.gz',
  testLabels: 't10k-labels-idx1-ubyte.gz',
} as const;

export type DatasetFileRole = keyof typeof FASHION_MNIST_FILES;
export const ROLES = Object.keys(FASHION_MNIST_FILES) as DatasetFileRole[];

/** Published MD5 sums of the official files. */
export const OFFICIAL_MD5: Record<DatasetFileRole, string> = {
  trainImages: '8d4fb7e6c68d591d4c3dfef9ec88bf0d',
  trainLabels: '25c81989df183df01b3e8a0aad5dffbe',
  testImages: 'bef4ecab320f06d8554ea6380940ec79',
  testLabels: 'bb300cfdad3c16e7a12a480ee83cd310',
};

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

export function filesIn(dir: string): Record<DatasetFileRole, string> {
  return Object.fromEntries(ROLES.map((r) => [r, join(dir, FASHION_MNIST_FILES[r])])) as Record<
    DatasetFileRole,
    string
  >;
}
