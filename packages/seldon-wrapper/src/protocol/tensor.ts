import { badData, describe } from '../http-errors.js';

/** Rank above which an array is refused (a Fashion-MNIST batch is rank 4). */
export const MAX_RANK = 8;
/** Values above which a request is refused, whatever its encoding. */
export const MAX_VALUES = 16_000_000;

/** What the server knows about the model's input. */
export interface InputSpec {
  inputShape: number[];
  rowSize: number;
  range: [number, number] | undefined;
}

/** A request's input once decoded: `rows` rows of `spec.rowSize` numbers. */
export interface Decoded {
  values: Float32Array;
  rows: number;
}

const fmt = (shape: readonly number[]) => `[${shape.join(',')}]`;
const squeeze = (shape: readonly number[]) => shape.filter((d) => d !== 1);
const same = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((d, i) => d === b[i]);
export const product = (shape: readonly number[]) => shape.reduce((p, d) => p * d, 1);

/**
 * How many rows a tensor of `shape` holds. One row may come as the row shape itself, with or without
 * unit dimensions ([28,28], [1,28,28], [28,28,1]) or flat ([784], [1,784]); N rows as [N, ...row shape]
 * or [N, 784].
 */
export function rowsFor(shape: readonly number[], spec: InputSpec, where: string): number {
  const row = spec.inputShape;
  if (same(squeeze(shape), squeeze(row))) return 1;
  if (shape.length === 1 && shape[0] === spec.rowSize) return 1;
  if (shape.length >= 2) {
    const rest = shape.slice(1);
    if (same(squeeze(rest), squeeze(row)) || (rest.length === 1 && rest[0] === spec.rowSize)) {
      return shape[0] as number;
    }
  }
  throw badData(
    `${where} has shape ${fmt(shape)}, but this model takes rows of shape ${fmt(row)}: ` +
      `send shape ${fmt(row)} for one row or [N,${row.join(',')}] for N rows`,
  );
}

/** Checks a shape sent by a client: positive integers, a sane rank and size. */
export function checkShape(shape: unknown, where: string): number[] {
  if (!Array.isArray(shape) || shape.length === 0) {
    throw badData(`${where} must be a non-empty array of dimension sizes, got ${describe(shape)}`);
  }
  if (shape.length > MAX_RANK)
    throw badData(`${where} has ${shape.length} dimensions; at most ${MAX_RANK} are allowed`);
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 1) {
      throw badData(`${where}[${i}] is ${describe(d)}; dimension sizes are positive integers`);
    }
  }
  const size = product(shape as number[]);
  if (size > MAX_VALUES)
    throw badData(
      `${where} ${fmt(shape as number[])} describes ${size} values; at most ${MAX_VALUES} are allowed`,
    );
  return shape as number[];
}

/** Reads a nested numeric array (Seldon's `ndarray`, V2 nested data), checking it is rectangular. */
export function readNested(value: unknown, where: string): { shape: number[]; values: Float32Array } {
  const shape: number[] = [];
  let cur = value;
  while (Array.isArray(cur)) {
    if (shape.length >= MAX_RANK) throw badData(`${where} is nested deeper than ${MAX_RANK} levels`);
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0];
  }
  if (shape.length === 0) throw badData(`${where} must be an array of numbers, got ${describe(value)}`);
  const size = product(shape);
  if (size === 0) throw badData(`${where} is empty`);
  if (size > MAX_VALUES) throw badData(`${where} holds ${size} values; at most ${MAX_VALUES} are allowed`);
  const out = new Float32Array(size);
  const index: number[] = [];
  const at = (depth: number) =>
    `${where}${index
      .slice(0, depth)
      .map((i) => `[${i}]`)
      .join('')}`;
  let k = 0;
  // Recursion is bounded by MAX_RANK, checked above.
  const visit = (node: unknown, depth: number): void => {
    if (depth === shape.length) {
      if (typeof node !== 'number') throw badData(`${at(depth)} is ${describe(node)}, not a number`);
      out[k++] = node;
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[depth]) {
      throw badData(
        `${at(depth)} should be an array of ${shape[depth]} items like ${where}${'[0]'.repeat(depth)}, ` +
          `but is ${Array.isArray(node) ? `an array of ${node.length}` : describe(node)}: the array is ragged`,
      );
    }
    for (let i = 0; i < node.length; i++) {
      index[depth] = i;
      visit(node[i], depth + 1);
    }
    index.length = depth;
  };
  visit(value, 0);
  return { shape, values: out };
}

/** Reads a flat list of numbers of a known length (Seldon `tensor.values`, V2 flat `data`). */
export function readFlat(value: unknown, size: number, where: string): Float32Array {
  if (!Array.isArray(value)) throw badData(`${where} must be an array of numbers, got ${describe(value)}`);
  if (value.length !== size) {
    throw badData(`${where} holds ${value.length} values but the shape needs ${size}`);
  }
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const v = value[i];
    if (typeof v !== 'number') throw badData(`${where}[${i}] is ${describe(v)}, not a number`);
    out[i] = v;
  }
  return out;
}

/** Every value finite (after narrowing to 32-bit floats) and inside the model's declared range. */
export function checkValues(values: Float32Array, spec: InputSpec, where: (i: number) => string): void {
  const [min, max] = spec.range ?? [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY];
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (Number.isNaN(v)) throw badData(`${where(i)} is NaN; send finite numbers`);
    if (!Number.isFinite(v))
      throw badData(`${where(i)} is infinite or too large for a 32-bit float; send finite numbers`);
    if (v < min || v > max) {
      throw badData(`${where(i)} is ${v}, outside this model's input range [${min}, ${max}]`);
    }
  }
}

/** `where(i)` for a flat index into an array of `shape`, as nested indices: `data.ndarray[0][3][5]`. */
export function nestedIndex(where: string, shape: readonly number[]): (i: number) => string {
  return (i) => {
    const idx: number[] = [];
    for (let d = shape.length - 1; d >= 0; d--) {
      const n = shape[d] as number;
      idx.unshift(i % n);
      i = Math.floor(i / n);
    }
    return `${where}${idx.map((j) => `[${j}]`).join('')}`;
  };
}

/** Decodes a tensor given as shape + values, checks values and counts its rows. */
export function decodeTensor(
  shape: number[],
  values: Float32Array,
  spec: InputSpec,
  where: string,
  valuesAt: (i: number) => string,
): Decoded {
  const rows = rowsFor(shape, spec, where);
  checkValues(values, spec, valuesAt);
  return { values, rows };
}
