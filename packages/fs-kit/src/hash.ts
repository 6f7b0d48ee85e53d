import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';

/** The digest of a file's content, read as a stream so a large file is never held in memory. */
export async function hashFile(
  file: string,
  algorithm: 'sha256' | 'sha512' | 'sha1' | 'md5',
  encoding: 'hex' | 'base64' = 'hex',
): Promise<string> {
  const hash = createHash(algorithm);
  await pipeline(createReadStream(file), hash);
  return hash.digest(encoding);
}
