/**
 * Determined's own example configs (examples/ at v0.38.1, in fixtures/determined-examples) get the
 * same accept / refuse answer from fmnist as from Determined: the recorded verdicts always, and the
 * expconf JSON schemas themselves when ../shared/specs is there.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { assertRunnableByDetermined, ConfigError, parseExperimentConfig } from '../src/index.js';
import { expconfSchemasPresent, sanityValidator } from './expconf-schema.js';

const corpus = join(import.meta.dirname, 'fixtures', 'determined-examples');
type Verdict = 'accept' | { refuse: string };
const verdicts = parse(readFileSync(join(corpus, 'verdicts.yaml'), 'utf8')) as Record<string, Verdict>;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}
const configs = files(join(corpus, 'examples'))
  .map((p) => relative(corpus, p))
  .sort();

/** fmnist's answer: the parser, then the 0.38 rules it checks before sending to a master. */
function fmnistVerdict(text: string): Verdict {
  try {
    assertRunnableByDetermined(parseExperimentConfig(text).config);
    return 'accept';
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return { refuse: e.path.split('.')[0] ?? '' };
  }
}

describe("Determined 0.38.1's example configs", () => {
  it('are all here, each with a recorded verdict', () => {
    expect(configs.length).toBe(43);
    expect(Object.keys(verdicts).sort()).toEqual(configs);
  });

  for (const path of configs) {
    it(`fmnist answers as Determined does: ${path}`, () => {
      expect(fmnistVerdict(readFileSync(join(corpus, path), 'utf8'))).toEqual(verdicts[path]);
    });
  }

  const schemas = expconfSchemasPresent();
  if (!schemas) console.log('skipping the expconf schema comparison: ../shared/specs is not there');
  it.skipIf(!schemas)('the expconf JSON schemas give the recorded verdicts', () => {
    const sane = sanityValidator();
    const answers = Object.fromEntries(
      configs.map((path) => {
        const { ok } = sane(parse(readFileSync(join(corpus, path), 'utf8')));
        return [path, ok];
      }),
    );
    expect(answers).toEqual(Object.fromEntries(configs.map((p) => [p, verdicts[p] === 'accept'])));
  });
});
