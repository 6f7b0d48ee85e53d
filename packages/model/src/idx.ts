import { readFile } from 'node:fs/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import { writeFileAtomic } from '@fmnist/fs-kit';
import { IdxError } from './errors.js';

/** IDX element types by their type code (the third byte of the magic number). */
export const IDX_TYPES = {
  8: 'uint8',
  9: 'int8',
  11: 'int16',
  12: 'int32',
  13: 'float32',
  14: 'float64',
} as const;

export type IdxDType = (typeof IDX_TYPES)[keyof typeof IDX_TYPES];

export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/** An IDX tensor: element type, dimensions (outermost first) and the values in row-major order. */
export interface IdxArray {
  dtype: IdxDType;
  shape: number[];
  data: IdxData;
}

const CODES: Record<IdxDType, number> = {
  uint8: 0x08,
  int8: 0x09,
  int16: 0x0b,
  int32: 0x0c,
  float32: 0x0d,
  float64: 0x0e,
};

const ARRAYS = {
  uint8: Uint8Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
} as const;

const GZIP_MAGIC = [0x1f, 0x8b] as const;

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1];
}

/** Reads an IDX file, gzipped or raw (told apart by content, not by name). */
export async function readIdx(file: string): Promise<IdxArray> {
  return parseIdx(await readFile(file), file);
}

/**
 * Parses IDX bytes. Single-byte types are returned as views on the decompressed buffer; wider types
 * are byte-swapped in place and viewed, or copied once when the payload is not aligned for the type.
 */
export function parseIdx(bytes: Uint8Array, file = '<buffer>'): IdxArray {
  let raw = bytes;
  if (isGzip(bytes)) {
    try {
      raw = gunzipSync(bytes);
    } catch (e) {
      const why = (e as Error).message;
      const code = /unexpected end/i.test(why) ? 'IDX_TRUNCATED' : 'IDX_BAD_GZIP';
      throw new IdxError(
        code,
        file,
        `cannot decompress gzip data (${why}); the file is damaged, fetch it again`,
      );
    }
  }
  if (raw.length < 4 || raw[0] !== 0 || raw[1] !== 0) {
    const seen = Array.from(raw.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new IdxError(
      'IDX_BAD_MAGIC',
      file,
      `not an IDX file: magic number starts with "${seen}", expected "00 00"`,
    );
  }
  const typeCode = raw[2] as number;
  const dtype = IDX_TYPES[typeCode as keyof typeof IDX_TYPES];
  if (!dtype) {
    throw new IdxError(
      'IDX_UNKNOWN_TYPE',
      file,
      `unknown element type code 0x${typeCode.toString(16).padStart(2, '0')}; known: 0x08 uint8, 0x09 int8, 0x0b int16, 0x0c int32, 0x0d float32, 0x0e float64`,
    );
  }
  const ndims = raw[3] as number;
  const header = 4 + 4 * ndims;
  if (raw.length < header) {
    throw new IdxError(
      'IDX_TRUNCATED',
      file,
      `header declares ${ndims} dimensions but the file ends at byte ${raw.length}`,
    );
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const shape: number[] = [];
  for (let i = 0; i < ndims; i++) shape.push(view.getUint32(4 + 4 * i, false));
  const Ctor = ARRAYS[dtype];
  const count = shape.reduce((a, b) => a * b, 1);
  const payload = raw.length - header;
  if (payload !== count * Ctor.BYTES_PER_ELEMENT) {
    throw new IdxError(
      'IDX_SIZE_MISMATCH',
      file,
      `dimensions [${shape.join(', ')}] need ${count * Ctor.BYTES_PER_ELEMENT} bytes of ${dtype} data but the file holds ${payload}`,
    );
  }
  const buffer = raw.buffer as ArrayBuffer;
  const start = raw.byteOffset + header;
  let data: IdxData;
  if (Ctor.BYTES_PER_ELEMENT === 1) {
    data = new Ctor(buffer, start, count);
  } else {
    // A decompressed buffer is ours to swap in place; a caller's bytes are copied once (aligned) first.
    const owned = raw !== bytes;
    const target = owned
      ? Buffer.from(buffer, start, payload)
      : Buffer.from(new Uint8Array(raw.subarray(header)).buffer);
    if (Ctor.BYTES_PER_ELEMENT === 2) target.swap16();
    else if (Ctor.BYTES_PER_ELEMENT === 4) target.swap32();
    else target.swap64();
    const tb = target.buffer as ArrayBuffer;
    data =
      target.byteOffset % Ctor.BYTES_PER_ELEMENT === 0
        ? new Ctor(tb, target.byteOffset, count)
        : new Ctor(tb.slice(target.byteOffset, target.byteOffset + payload));
  }
  return { dtype, shape, data };
}

/** Encodes an IDX tensor (big-endian, as the format requires). */
export function encodeIdx(array: IdxArray, options: { gzip?: boolean } = {}): Buffer {
  const { dtype, shape, data } = array;
  const code = CODES[dtype];
  if (code === undefined) throw new TypeError(`unknown IDX dtype "${dtype}"`);
  if (shape.length > 255) throw new TypeError(`IDX holds at most 255 dimensions, got ${shape.length}`);
  const count = shape.reduce((a, b) => a * b, 1);
  if (!(data instanceof ARRAYS[dtype])) {
    throw new TypeError(`IDX dtype "${dtype}" needs a ${ARRAYS[dtype].name}, got a ${data.constructor.name}`);
  }
  if (count !== data.length) {
    throw new TypeError(`shape [${shape.join(', ')}] holds ${count} values but data has ${data.length}`);
  }
  const header = 4 + 4 * shape.length;
  const out = Buffer.allocUnsafe(header + data.byteLength);
  out.writeUInt32BE((code << 8) | shape.length, 0);
  for (const [i, d] of shape.entries()) out.writeUInt32BE(d, 4 + 4 * i);
  const body = out.subarray(header);
  body.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  if (data.BYTES_PER_ELEMENT === 2) body.swap16();
  else if (data.BYTES_PER_ELEMENT === 4) body.swap32();
  else if (data.BYTES_PER_ELEMENT === 8) body.swap64();
  return options.gzip ? gzipSync(out) : out;
}

/** Writes an IDX file atomically (temporary file, fsync, rename, folder fsync). */
export async function writeIdx(
  file: string,
  array: IdxArray,
  options: { gzip?: boolean } = {},
): Promise<void> {
  await writeFileAtomic(file, encodeIdx(array, options));
}
