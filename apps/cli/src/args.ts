import { UsageError } from './errors.js';

/** A commander parser for a flag that takes a whole number above zero. */
export function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0)
      throw new UsageError(`${name} must be a positive whole number, got "${value}"`);
    return n;
  };
}

/** A commander parser for an argument that names an experiment or trial by its id. */
export const idArgument = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`${name} must be a whole number from 1, got "${v}"`);
  return n;
};
