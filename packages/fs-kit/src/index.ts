export { FsKitError, type FsKitErrorCode } from './errors.js';
export { replaceDir, writeDirAtomic } from './folder.js';
export { type ListOptions, listFileSizes, listFiles } from './list.js';
export { createRandom, deriveSeed, seededPermutation } from './random.js';
export { extractTar, readTarFiles, type TarSource } from './tar.js';
export { removeStaleTemps, tempPathFor, tempWriter } from './temp.js';
export {
  type FileContent,
  type FileSource,
  type PendingFile,
  syncDir,
  syncFile,
  writeFileAtomic,
  writeFileDurable,
  writeFilesAtomic,
} from './write.js';
