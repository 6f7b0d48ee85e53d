import { DashboardError } from '../errors.js';

export function wholeNumber(value: string | string[] | undefined, what: string): number {
  const n = Number(value);
  if (typeof value !== 'string' || !Number.isInteger(n) || n < 1)
    throw new DashboardError('BAD_REQUEST', `${what} must be a whole number from 1, got "${value}"`);
  return n;
}

export function text(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '')
    throw new DashboardError('BAD_REQUEST', `${what} is missing`);
  return value;
}
