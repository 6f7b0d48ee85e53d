import { ConfigError } from '../errors.js';
import type { Length } from '../types.js';
import { isObj, join, posInt, show } from './values.js';

const LENGTH_UNITS = ['batches', 'records', 'epochs'] as const;

/** A Length (`{batches|records|epochs: N}`) or, where `unitless` is allowed, a bare integer. */
export function parseLength(
  v: unknown,
  path: string,
  opts: { unitless?: boolean; allowZero?: boolean } = {},
): Length {
  if (typeof v === 'number' && opts.unitless) return { unit: 'batches', length: posInt(v, path, 0) };
  if (!isObj(v)) throw new ConfigError(path, `expected a length like {epochs: 5}, got ${show(v)}`);
  const keys = Object.keys(v);
  const [key] = keys;
  if (keys.length !== 1 || !key || !(LENGTH_UNITS as readonly string[]).includes(key)) {
    throw new ConfigError(
      path,
      'a length object must have one attribute named "batches", "records", or "epochs"',
    );
  }
  return { unit: key, length: posInt(v[key], join(path, key), opts.allowZero ? 0 : 1) };
}
