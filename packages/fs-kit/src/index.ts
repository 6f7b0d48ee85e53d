export { FsKitError, type FsKitErrorCode } from './errors.js';
export { replaceDir, replacePlainDir, writeDirAtomic } from './folder.js';
export { hashFile } from './hash.js';
export { type ListOptions, listFileSizes, listFiles, pathExists } from './list.js';
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
