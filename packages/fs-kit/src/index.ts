export { FsKitError, type FsKitErrorCode } from './errors.js';
export { replaceDir } from './folder.js';
export { listFileSizes, listFiles } from './list.js';
export { createRandom, deriveSeed, seededPermutation } from './random.js';
export { extractTar, readTarFiles, type TarSource } from './tar.js';
export { removeStaleTemps, tempPathFor, tempWriter } from './temp.js';
export { type FileContent, type PendingFile, syncDir, writeFileAtomic, writeFilesAtomic } from './write.js';
