// The tar stream a master answers `GET /checkpoints/{uuid}` with.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/**
 * One ustar entry: header and padded data. `type` is the tar type flag ('0' file, '2' symbolic link);
 * the master writes each object of the checkpoint's storage under its key relative to the checkpoint
 * (master/internal/core_checkpoint.go getCheckpoint, master/pkg/checkpoints/s3/s3checkpoints.go,
 * master/pkg/checkpoints/archive/tar_archive_writer.go at v0.38.1).
 */
export function tarEntry(path: string, data: Buffer, mtime: number, type = '0', linkpath = ''): Buffer[] {
  const h = Buffer.alloc(512);
  h.write(path, 0, 100);
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124);
  h.write(`${Math.floor(mtime).toString(8).padStart(11, '0')}\0`, 136);
  h.write('        ', 148);
  h.write(type, 156);
  h.write(linkpath, 157, 100);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return [h, data, Buffer.alloc((512 - (data.length % 512)) % 512)];
}

/** The two zero blocks that end an archive. */
export const TAR_END = Buffer.alloc(1024);

/** A ustar archive of a directory (what GET /checkpoints/{uuid} serves). */
export function tarDirectory(dir: string): Buffer {
  const blocks: Buffer[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else
        blocks.push(...tarEntry(relative(dir, p).split(sep).join('/'), readFileSync(p), st.mtimeMs / 1000));
    }
  };
  walk(dir);
  blocks.push(TAR_END);
  return Buffer.concat(blocks);
}
