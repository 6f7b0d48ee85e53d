import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';

function field(buf: Buffer, start: number, len: number): string {
  const raw = buf.subarray(start, start + len);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? len : end).toString('utf8');
}

function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < data.length) {
    const space = data.indexOf(0x20, i);
    if (space < 0) break;
    const len = Number(data.subarray(i, space).toString());
    if (!len) break;
    const rec = data.subarray(space + 1, i + len - 1).toString('utf8');
    const eq = rec.indexOf('=');
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    i += len;
  }
  return out;
}

/** A path inside the archive that stays inside `dest`; throws on absolute or `..` paths. */
function safePath(dest: string, name: string): string {
  const n = normalize(name);
  if (isAbsolute(n) || n === '..' || n.startsWith(`..${sep}`))
    throw new Error(`unsafe path in archive: ${name}`);
  return join(dest, n);
}

/** Extracts a tar archive (ustar, with pax and GNU long names) into `dest`; returns the file paths. */
export async function extractTar(tar: Buffer, dest: string): Promise<string[]> {
  const files: string[] = [];
  let offset = 0;
  let longName: string | null = null;
  let pax: Record<string, string> = {};
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const size = Number.parseInt(field(header, 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(header[156] || 48);
    const prefix = field(header, 345, 155);
    let name = field(header, 0, 100);
    if (prefix) name = `${prefix}/${name}`;
    const data = tar.subarray(offset + 512, offset + 512 + size);
    offset += 512 + Math.ceil(size / 512) * 512;
    if (type === 'x') {
      pax = parsePax(data);
      continue;
    }
    if (type === 'g') continue;
    if (type === 'L') {
      longName = field(data, 0, data.length);
      continue;
    }
    name = pax.path ?? longName ?? name;
    pax = {};
    longName = null;
    if (!name || name === './') continue;
    const target = safePath(dest, name);
    if (type === '5') await mkdir(target, { recursive: true });
    else if (type === '0' || type === '\0' || type === '7') {
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, data);
      files.push(normalize(name).split(sep).join('/'));
    }
  }
  return files;
}
