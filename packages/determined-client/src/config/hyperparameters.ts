import { ConfigError } from '../errors.js';
import type { Hyperparameter } from '../types.js';
import { isObj, join, num, optional, posInt, posIntAny, show } from './values.js';

/** One hyperparameter: a `type:` object, a nested mapping of hyperparameters, or a constant. */
export function parseHyperparameter(v: unknown, path: string): Hyperparameter {
  if (!isObj(v)) return { type: 'const', val: v ?? null };
  if (!('type' in v)) {
    const fields: Record<string, Hyperparameter> = {};
    for (const [k, sub] of Object.entries(v)) fields[k] = parseHyperparameter(sub, join(path, k));
    return { type: 'nested', fields };
  }
  const type = v.type;
  const allow = (keys: string[]) => {
    for (const k of Object.keys(v)) {
      if (!keys.includes(k))
        throw new ConfigError(join(path, k), `unknown field for a ${show(type)} hyperparameter`);
    }
  };
  switch (type) {
    case 'const':
      allow(['type', 'val']);
      if (!('val' in v)) throw new ConfigError(join(path, 'val'), 'required for a const hyperparameter');
      return { type: 'const', val: v.val ?? null };
    case 'categorical': {
      allow(['type', 'vals']);
      const vals = v.vals;
      if (!Array.isArray(vals) || vals.length === 0) {
        throw new ConfigError(join(path, 'vals'), `expected a non-empty list, got ${show(vals)}`);
      }
      return { type: 'categorical', vals };
    }
    case 'int':
    case 'double':
    case 'log': {
      allow(
        type === 'log'
          ? ['type', 'minval', 'maxval', 'base', 'count']
          : ['type', 'minval', 'maxval', 'count'],
      );
      const read = type === 'int' ? (x: unknown, p: string) => posIntAny(x, p) : num;
      if (v.minval === undefined)
        throw new ConfigError(join(path, 'minval'), `required for a ${type} hyperparameter`);
      if (v.maxval === undefined)
        throw new ConfigError(join(path, 'maxval'), `required for a ${type} hyperparameter`);
      const minval = read(v.minval, join(path, 'minval'));
      const maxval = read(v.maxval, join(path, 'maxval'));
      if (!(minval < maxval)) {
        throw new ConfigError(path, `minval (${minval}) must be less than maxval (${maxval})`);
      }
      const count = optional(v, 'count', path, (x, p) => posInt(x, p)) ?? null;
      if (type === 'log') {
        if (v.base === undefined)
          throw new ConfigError(join(path, 'base'), 'required for a log hyperparameter');
        const base = num(v.base, join(path, 'base'));
        if (!(base > 0)) throw new ConfigError(join(path, 'base'), `expected a number > 0, got ${base}`);
        return { type, minval, maxval, base, count };
      }
      return { type, minval, maxval, count };
    }
    default:
      throw new ConfigError(
        join(path, 'type'),
        `if a hyperparameter object's "type" is set, it must be one of "int", "double", "log", "const", or "categorical"; got ${show(type)}`,
      );
  }
}

/** The values a grid search takes for one hyperparameter (Determined's grid rules). */
export function gridAxis(hp: Hyperparameter, path: string): unknown[] {
  const needCount = (count: number | null) => {
    if (count === null)
      throw new ConfigError(join(path, 'count'), 'grid search is in use but count was not provided');
    return count;
  };
  switch (hp.type) {
    case 'const':
      return [hp.val];
    case 'categorical':
      return hp.vals;
    case 'int': {
      const count = Math.min(needCount(hp.count), hp.maxval - hp.minval + 1);
      if (count === 1) return [Math.floor((hp.minval + hp.maxval) / 2)];
      const out = new Set<number>();
      for (let i = 0; i < count; i++)
        out.add(hp.minval + Math.round((i * (hp.maxval - hp.minval)) / (count - 1)));
      return [...out];
    }
    case 'double':
    case 'log': {
      const count = needCount(hp.count);
      const xs =
        count === 1
          ? [(hp.minval + hp.maxval) / 2]
          : Array.from({ length: count }, (_, i) => hp.minval + (i * (hp.maxval - hp.minval)) / (count - 1));
      return hp.type === 'log' ? xs.map((x) => hp.base ** x) : xs;
    }
    case 'nested':
      throw new Error('nested hyperparameters are flattened before taking grid axes');
  }
}

/** Leaf hyperparameters with their dotted paths, in config order. */
export function flattenHyperparameters(hps: Record<string, Hyperparameter>, prefix: string[] = []) {
  const out: { path: string[]; hp: Hyperparameter }[] = [];
  for (const [k, hp] of Object.entries(hps)) {
    if (hp.type === 'nested') out.push(...flattenHyperparameters(hp.fields, [...prefix, k]));
    else out.push({ path: [...prefix, k], hp });
  }
  return out;
}

export function gridSize(hps: Record<string, Hyperparameter>): number {
  let n = 1;
  for (const { path, hp } of flattenHyperparameters(hps))
    n *= gridAxis(hp, `hyperparameters.${path.join('.')}`).length;
  return n;
}
