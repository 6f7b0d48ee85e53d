import { badData, describe, isPlainObject } from '../http-errors.js';
import {
  checkShape,
  checkValues,
  type Decoded,
  type InputSpec,
  nestedIndex,
  product,
  readFlat,
  readNested,
  rowsFor,
} from './tensor.js';

/** Numeric datatypes of the Open Inference Protocol and the integer range each allows. */
const V2_DATATYPES: Record<string, [number, number] | 'float'> = {
  FP16: 'float',
  FP32: 'float',
  FP64: 'float',
  UINT8: [0, 255],
  UINT16: [0, 65_535],
  UINT32: [0, 2 ** 32 - 1],
  UINT64: [0, Number.MAX_SAFE_INTEGER],
  INT8: [-128, 127],
  INT16: [-32_768, 32_767],
  INT32: [-(2 ** 31), 2 ** 31 - 1],
  INT64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

export interface V2Request extends Decoded {
  id: string | undefined;
}

/** Decodes an Open Inference Protocol `InferenceRequest` with one tensor input. */
export function decodeV2Request(body: unknown, spec: InputSpec): V2Request {
  if (!isPlainObject(body))
    throw badData(`the request body must be a JSON inference request object, got ${describe(body)}`);
  if (body.id !== undefined && typeof body.id !== 'string')
    throw badData(`id must be a string, got ${describe(body.id)}`);
  const inputs = body.inputs;
  if (!Array.isArray(inputs) || inputs.length !== 1) {
    throw badData(
      `inputs must be an array holding exactly one tensor {name, shape, datatype, data}, got ${Array.isArray(inputs) ? `${inputs.length} inputs` : describe(inputs)}`,
    );
  }
  const input = inputs[0];
  const where = 'inputs[0]';
  if (!isPlainObject(input)) throw badData(`${where} must be an object {name, shape, datatype, data}`);
  if (typeof input.name !== 'string' || input.name.length === 0)
    throw badData(`${where}.name must be a non-empty string`);
  const datatype = input.datatype;
  if (typeof datatype !== 'string' || !Object.hasOwn(V2_DATATYPES, datatype)) {
    throw badData(
      `${where}.datatype ${describe(datatype)} is not supported: use one of ${Object.keys(V2_DATATYPES).join(', ')}`,
    );
  }
  const shape = checkShape(input.shape, `${where}.shape`);
  const size = product(shape);
  const data = input.data;
  let values: Float32Array;
  let at: (i: number) => string;
  if (Array.isArray(data) && data.length > 0 && Array.isArray(data[0])) {
    const nested = readNested(data, `${where}.data`);
    if (nested.values.length !== size) {
      throw badData(
        `${where}.data holds ${nested.values.length} values but shape [${shape.join(',')}] needs ${size}`,
      );
    }
    values = nested.values;
    at = nestedIndex(`${where}.data`, nested.shape);
  } else {
    values = readFlat(data, size, `${where}.data`);
    at = (i) => `${where}.data[${i}]`;
  }
  const range = V2_DATATYPES[datatype]!;
  if (range !== 'float') {
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as number;
      if (!Number.isInteger(v) || v < range[0] || v > range[1])
        throw badData(`${at(i)} is ${v}, not a valid ${datatype} value`);
    }
  }
  const rows = rowsFor(shape, spec, `${where}.shape`);
  checkValues(values, spec, at);
  return { values, rows, id: body.id as string | undefined };
}
