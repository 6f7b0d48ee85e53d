import { randomBytes } from 'node:crypto';
import { badData, describe, isPlainObject } from '../http-errors.js';
import { photoToGrey } from './image.js';
import {
  checkShape,
  checkValues,
  type Decoded,
  type InputSpec,
  MAX_VALUES,
  nestedIndex,
  product,
  readFlat,
  readNested,
  rowsFor,
} from './tensor.js';

/** The form a Seldon request's data came in; the response answers in the matching form. */
export type PayloadKind = 'tensor' | 'ndarray' | 'tftensor' | 'binData' | 'strData' | 'jsonData';

export interface SeldonRequest extends Decoded {
  kind: PayloadKind;
  meta: Record<string, unknown> | undefined;
}

const has = (o: object, key: string) => Object.hasOwn(o, key);

/** Decodes a `SeldonMessage` body into model rows. */
export async function decodeSeldonMessage(body: unknown, spec: InputSpec): Promise<SeldonRequest> {
  if (!isPlainObject(body)) {
    throw badData(`the request body must be a JSON object (a SeldonMessage), got ${describe(body)}`);
  }
  const meta = readMeta(body);
  const present = ['data', 'binData', 'strData', 'jsonData', 'customData'].filter((k) => has(body, k));
  if (present.length === 0) {
    throw badData(
      'the message holds no data: send one of data.tensor, data.ndarray, data.tftensor, binData, strData or jsonData',
    );
  }
  if (present.length > 1) throw badData(`the message holds ${present.join(' and ')}; send exactly one`);
  const field = present[0] as string;
  if (field === 'customData')
    throw badData('customData is not supported by this model: send data.tensor or data.ndarray');
  if (field === 'data') return { ...decodeDefaultData(body.data, spec), meta };
  if (field === 'binData')
    return { ...(await decodeImage(base64Bytes(body.binData, 'binData'), spec)), kind: 'binData', meta };
  if (field === 'strData') return { ...decodeStrData(body.strData, spec), kind: 'strData', meta };
  return { ...decodeJsonData(body.jsonData, spec, 'jsonData'), kind: 'jsonData', meta };
}

function readMeta(body: Record<string, unknown>): Record<string, unknown> | undefined {
  if (!has(body, 'meta') || body.meta === null) return undefined;
  const meta = body.meta;
  if (!isPlainObject(meta)) throw badData(`meta must be an object, got ${describe(meta)}`);
  if (has(meta, 'puid') && typeof meta.puid !== 'string')
    throw badData(`meta.puid must be a string, got ${describe(meta.puid)}`);
  if (has(meta, 'requestPath') && !isPlainObject(meta.requestPath)) {
    throw badData(
      `meta.requestPath must be an object of model names to versions, got ${describe(meta.requestPath)}`,
    );
  }
  return meta;
}

function decodeDefaultData(data: unknown, spec: InputSpec): Decoded & { kind: PayloadKind } {
  if (!isPlainObject(data))
    throw badData(`data must be an object holding tensor, ndarray or tftensor, got ${describe(data)}`);
  if (has(data, 'names') && !(Array.isArray(data.names) && data.names.every((n) => typeof n === 'string'))) {
    throw badData('data.names must be an array of strings');
  }
  const kinds = (['tensor', 'ndarray', 'tftensor'] as const).filter((k) => has(data, k));
  if (kinds.length !== 1) {
    throw badData(
      kinds.length === 0
        ? 'data holds no values: send data.tensor {shape, values}, data.ndarray or data.tftensor'
        : `data holds ${kinds.join(' and ')}; send exactly one`,
    );
  }
  const kind = kinds[0]!;
  if (kind === 'tensor') return { ...decodeTensorField(data.tensor, spec, 'data.tensor'), kind };
  if (kind === 'ndarray') return { ...decodeNdarray(data.ndarray, spec, 'data.ndarray'), kind };
  return { ...decodeTfTensor(data.tftensor, spec), kind };
}

export function decodeTensorField(tensor: unknown, spec: InputSpec, where: string): Decoded {
  if (!isPlainObject(tensor))
    throw badData(`${where} must be an object {shape, values}, got ${describe(tensor)}`);
  const shape = checkShape(tensor.shape, `${where}.shape`);
  const values = readFlat(tensor.values, product(shape), `${where}.values`);
  const rows = rowsFor(shape, spec, `${where}.shape`);
  checkValues(values, spec, (i) => `${where}.values[${i}]`);
  return { values, rows };
}

export function decodeNdarray(value: unknown, spec: InputSpec, where: string): Decoded {
  const { shape, values } = readNested(value, where);
  const rows = rowsFor(shape, spec, where);
  checkValues(values, spec, nestedIndex(where, shape));
  return { values, rows };
}

/** TensorFlow's dtypes this server reads: enum number, JSON field holding values, bytes per element. */
const TF_DTYPES: Record<string, { num: number; field: string; bytes: number; min?: number; max?: number }> = {
  DT_FLOAT: { num: 1, field: 'floatVal', bytes: 4 },
  DT_DOUBLE: { num: 2, field: 'doubleVal', bytes: 8 },
  DT_INT32: { num: 3, field: 'intVal', bytes: 4, min: -(2 ** 31), max: 2 ** 31 - 1 },
  DT_UINT8: { num: 4, field: 'intVal', bytes: 1, min: 0, max: 255 },
  DT_INT16: { num: 5, field: 'intVal', bytes: 2, min: -(2 ** 15), max: 2 ** 15 - 1 },
  DT_INT8: { num: 6, field: 'intVal', bytes: 1, min: -128, max: 127 },
  DT_INT64: {
    num: 9,
    field: 'int64Val',
    bytes: 8,
    min: Number.MIN_SAFE_INTEGER,
    max: Number.MAX_SAFE_INTEGER,
  },
};

/** Protobuf JSON accepts both the lowerCamel name and the original snake_case one. */
function field(o: Record<string, unknown>, camel: string): unknown {
  if (has(o, camel)) return o[camel];
  const snake = camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  return has(o, snake) ? o[snake] : undefined;
}

function decodeTfTensor(value: unknown, spec: InputSpec): Decoded {
  const where = 'data.tftensor';
  if (!isPlainObject(value)) throw badData(`${where} must be a TensorProto object, got ${describe(value)}`);
  const dtypeRaw = value.dtype;
  const dtypeName =
    typeof dtypeRaw === 'number'
      ? Object.keys(TF_DTYPES).find((k) => TF_DTYPES[k]!.num === dtypeRaw)
      : typeof dtypeRaw === 'string' && has(TF_DTYPES, dtypeRaw)
        ? dtypeRaw
        : undefined;
  if (!dtypeName) {
    throw badData(
      `${where}.dtype ${describe(dtypeRaw)} is not supported: use one of ${Object.keys(TF_DTYPES).join(', ')}`,
    );
  }
  const dtype = TF_DTYPES[dtypeName]!;
  const shapeProto = field(value, 'tensorShape');
  if (!isPlainObject(shapeProto) || !Array.isArray(shapeProto.dim)) {
    throw badData(`${where}.tensorShape.dim must list the dimensions, e.g. [{"size":"28"},{"size":"28"}]`);
  }
  const sizes = shapeProto.dim.map((d: unknown, i: number) => {
    const size = isPlainObject(d) ? d.size : undefined;
    const n = typeof size === 'string' && /^\d{1,9}$/.test(size) ? Number(size) : size;
    if (typeof n !== 'number' || !Number.isInteger(n)) {
      throw badData(`${where}.tensorShape.dim[${i}].size is ${describe(size)}; sizes are positive integers`);
    }
    return n;
  });
  const shape = checkShape(sizes, `${where}.tensorShape.dim`);
  const size = product(shape);
  const values = new Float32Array(size);
  const content = field(value, 'tensorContent');
  if (content !== undefined) {
    const bytes = base64Bytes(content, `${where}.tensorContent`);
    if (bytes.length !== size * dtype.bytes) {
      throw badData(
        `${where}.tensorContent holds ${bytes.length} bytes; ${shape.join('×')} ${dtypeName} needs ${size * dtype.bytes}`,
      );
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < size; i++) values[i] = readLittleEndian(view, i, dtypeName);
  } else {
    const list = field(value, dtype.field);
    const fieldName = `${where}.${dtype.field}`;
    if (!Array.isArray(list) || list.length === 0) {
      throw badData(`${where} with dtype ${dtypeName} needs its values in ${dtype.field} (or tensorContent)`);
    }
    if (list.length !== size && list.length !== 1) {
      throw badData(
        `${fieldName} holds ${list.length} values but the shape [${shape.join(',')}] needs ${size}`,
      );
    }
    for (let i = 0; i < list.length; i++) {
      const raw = list[i];
      // int64 travels as a decimal string in protobuf JSON.
      const v =
        dtypeName === 'DT_INT64' && typeof raw === 'string' && /^-?\d{1,16}$/.test(raw) ? Number(raw) : raw;
      if (typeof v !== 'number') throw badData(`${fieldName}[${i}] is ${describe(raw)}, not a number`);
      if (dtype.min !== undefined && (!Number.isInteger(v) || v < dtype.min || v > (dtype.max as number))) {
        throw badData(`${fieldName}[${i}] is ${v}, not a valid ${dtypeName} value`);
      }
      values[i] = v;
    }
    // A single value stands for the whole tensor (TensorProto's version-0 rule).
    if (list.length === 1 && size > 1) values.fill(values[0] as number);
  }
  const rows = rowsFor(shape, spec, `${where}.tensorShape`);
  checkValues(values, spec, (i) => `${where} value ${i}`);
  return { values, rows };
}

function readLittleEndian(view: DataView, i: number, dtype: string): number {
  switch (dtype) {
    case 'DT_FLOAT':
      return view.getFloat32(i * 4, true);
    case 'DT_DOUBLE':
      return view.getFloat64(i * 8, true);
    case 'DT_INT32':
      return view.getInt32(i * 4, true);
    case 'DT_UINT8':
      return view.getUint8(i);
    case 'DT_INT16':
      return view.getInt16(i * 2, true);
    case 'DT_INT8':
      return view.getInt8(i);
    default:
      return Number(view.getBigInt64(i * 8, true));
  }
}

/** Base64 (standard or URL-safe, optionally a `data:` URL) to bytes, refusing anything else. */
export function base64Bytes(value: unknown, where: string): Uint8Array {
  if (typeof value !== 'string') throw badData(`${where} must be a base64 string, got ${describe(value)}`);
  const text = value.replace(/^data:[\w/+.-]+;base64,/, '').replace(/\s+/g, '');
  if (text.length === 0 || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(text) || text.length % 4 === 1) {
    throw badData(`${where} is not valid base64`);
  }
  return Buffer.from(text, text.includes('-') || text.includes('_') ? 'base64url' : 'base64');
}

/** A photo becomes one row: the model's row shape must be an image (height × width, unit dims aside). */
export async function decodeImage(bytes: Uint8Array, spec: InputSpec): Promise<Decoded> {
  const dims = spec.inputShape.filter((d) => d !== 1);
  if (dims.length !== 2) {
    throw badData(
      `this model's input shape [${spec.inputShape.join(',')}] is not an image: send data.tensor instead of binData`,
    );
  }
  const [height, width] = dims as [number, number];
  const grey = await photoToGrey(bytes, height, width);
  const [min, max] = spec.range ?? [0, 255];
  const values = new Float32Array(grey.length);
  for (let i = 0; i < grey.length; i++) values[i] = min + ((grey[i] as number) / 255) * (max - min);
  return { values, rows: 1 };
}

/** `strData`: JSON (as `jsonData`) or plain numbers separated by commas or white space, row after row. */
function decodeStrData(value: unknown, spec: InputSpec): Decoded {
  if (typeof value !== 'string') throw badData(`strData must be a string, got ${describe(value)}`);
  const text = value.trim();
  if (text.startsWith('[') || text.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw badData('strData starts like JSON but is not valid JSON');
    }
    return decodeJsonData(parsed, spec, 'strData');
  }
  const tokens = text.length === 0 ? [] : text.split(/[\s,;]+/);
  if (tokens.length === 0 || tokens.length % spec.rowSize !== 0) {
    throw badData(
      `strData holds ${tokens.length} numbers; send a multiple of ${spec.rowSize} (one row is ${spec.rowSize})`,
    );
  }
  if (tokens.length > MAX_VALUES) throw badData(`strData holds more than ${MAX_VALUES} numbers`);
  const values = new Float32Array(tokens.length);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as string;
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t))
      throw badData(`strData number ${i} is ${describe(t)}, not a number`);
    values[i] = Number(t);
  }
  checkValues(values, spec, (i) => `strData number ${i}`);
  return { values, rows: tokens.length / spec.rowSize };
}

/** `jsonData`: a nested array, or `{"instances": [...]}`, `{"ndarray": [...]}` or `{"tensor": {shape, values}}`. */
function decodeJsonData(value: unknown, spec: InputSpec, where: string): Decoded {
  if (Array.isArray(value)) return decodeNdarray(value, spec, where);
  if (isPlainObject(value)) {
    if (has(value, 'instances')) return decodeNdarray(value.instances, spec, `${where}.instances`);
    if (has(value, 'ndarray')) return decodeNdarray(value.ndarray, spec, `${where}.ndarray`);
    if (has(value, 'tensor')) return decodeTensorField(value.tensor, spec, `${where}.tensor`);
  }
  throw badData(
    `${where} must be a nested array of numbers or an object with "instances", "ndarray" or "tensor", got ${describe(value)}`,
  );
}

/** Seldon's puid: 26 random base-32 characters. */
export function newPuid(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  return Array.from(randomBytes(26), (b) => alphabet[b & 31]).join('');
}

/** The request's meta passed through, with its puid (made if absent) and this model in requestPath. */
export function responseMeta(meta: Record<string, unknown> | undefined, name: string, version: string) {
  const out: Record<string, unknown> = { ...meta };
  out.puid = typeof out.puid === 'string' && out.puid.length > 0 ? out.puid : newPuid();
  const path: Record<string, unknown> = isPlainObject(out.requestPath) ? { ...out.requestPath } : {};
  path[name] = version;
  out.requestPath = path;
  return out;
}

/** The response message, in the form matching the request: tensor→tensor, ndarray→ndarray, tftensor→tftensor,
 * binData and strData → data.ndarray, jsonData → jsonData `{names, predictions}`. */
export function encodeSeldonResponse(
  kind: PayloadKind,
  values: Float32Array,
  rows: number,
  width: number,
  names: string[],
  meta: Record<string, unknown>,
) {
  const matrix = () => {
    const out: number[][] = [];
    for (let r = 0; r < rows; r++) out.push(Array.from(values.subarray(r * width, (r + 1) * width)));
    return out;
  };
  switch (kind) {
    case 'tensor':
      return { meta, data: { names, tensor: { shape: [rows, width], values: Array.from(values) } } };
    case 'tftensor':
      return {
        meta,
        data: {
          names,
          tftensor: {
            dtype: 'DT_FLOAT',
            tensorShape: { dim: [{ size: String(rows) }, { size: String(width) }] },
            floatVal: Array.from(values),
          },
        },
      };
    case 'jsonData':
      return { meta, jsonData: { names, predictions: matrix() } };
    default:
      return { meta, data: { names, ndarray: matrix() } };
  }
}

/** A model's answer (health status, feedback) as a Seldon message: text → strData, array → ndarray, else jsonData. */
export function healthLike(value: unknown, fallback: Record<string, unknown>): Record<string, unknown> {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'string') return { strData: value };
  if (Array.isArray(value)) return { data: { names: [], ndarray: value } };
  return { jsonData: value };
}
