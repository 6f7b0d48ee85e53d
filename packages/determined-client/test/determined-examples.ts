/**
 * The corpus in fixtures/determined-examples: Determined 0.38.1's example configs with their recorded
 * verdicts, and edits of two of them (variants.yaml) that probe one rule each.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse, stringify } from 'yaml';
import { assertRunnableByDetermined, ConfigError, parseExperimentConfig } from '../src/index.js';

export const CORPUS = join(import.meta.dirname, 'fixtures', 'determined-examples');

export type Verdict = 'accept' | 'refuse';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

/** Upstream paths (`examples/…`) of the example configs, sorted. */
export const exampleConfigs = (): string[] =>
  files(join(CORPUS, 'examples'))
    .map((p) => relative(CORPUS, p))
    .sort();

export const exampleText = (path: string): string => readFileSync(join(CORPUS, path), 'utf8');

/** verdicts.yaml: `accept`, or `{refuse: <top-level field at fault>}`. */
export const exampleVerdicts = (): Record<string, 'accept' | { refuse: string }> =>
  parse(readFileSync(join(CORPUS, 'verdicts.yaml'), 'utf8'));

export interface Variant {
  name: string;
  base: string;
  set?: Record<string, unknown>;
  unset?: string[];
  master: Verdict;
  schema: Verdict;
  fmnist?: Verdict;
  why?: string;
}

export const variants = (): Variant[] => parse(readFileSync(join(CORPUS, 'variants.yaml'), 'utf8'));

function setPath(o: Record<string, unknown>, path: string, value: unknown, remove = false): void {
  const keys = path.split('.');
  const last = keys.pop()!;
  let at = o;
  for (const k of keys) {
    if (typeof at[k] !== 'object' || at[k] === null) at[k] = {};
    at = at[k] as Record<string, unknown>;
  }
  if (remove) delete at[last];
  else at[last] = value;
}

/** The variant as YAML text, the form a master is sent; `extra` paths are set last. */
export function variantText(v: Variant, extra: Record<string, unknown> = {}): string {
  const o = parse(exampleText(v.base)) as Record<string, unknown>;
  for (const p of v.unset ?? []) setPath(o, p, undefined, true);
  for (const [p, value] of Object.entries({ ...v.set, ...extra })) setPath(o, p, value);
  return stringify(o);
}

/** fmnist's answer: the parser, then the 0.38 rules it checks before sending to a master. */
export function fmnistVerdict(text: string): 'accept' | { refuse: string } {
  try {
    assertRunnableByDetermined(parseExperimentConfig(text).config);
    return 'accept';
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return { refuse: e.path };
  }
}
