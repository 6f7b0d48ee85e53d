// Readers for config values: each checks one type and names the field at fault.
import { ConfigError } from '../errors.js';

export type Obj = Record<string, unknown>;

export function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === undefined) return 'nothing';
  return JSON.stringify(v) ?? String(v);
}

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

export function posInt(v: unknown, path: string, min = 1): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    const what = min === 0 ? 'a non-negative integer' : 'a positive integer';
    throw new ConfigError(path, `expected ${what}, got ${show(v)}`);
  }
  return v;
}

export function num(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new ConfigError(path, `expected a number, got ${show(v)}`);
  return v;
}

export function str(v: unknown, path: string): string {
  if (typeof v !== 'string') throw new ConfigError(path, `expected a string, got ${show(v)}`);
  return v;
}

export function bool(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') throw new ConfigError(path, `expected true or false, got ${show(v)}`);
  return v;
}

export function optional<T>(
  o: Obj,
  key: string,
  path: string,
  read: (v: unknown, p: string) => T,
): T | undefined {
  const v = o[key];
  return v === undefined || v === null ? undefined : read(v, join(path, key));
}

export function posIntAny(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v))
    throw new ConfigError(path, `expected an integer, got ${show(v)}`);
  return v;
}
