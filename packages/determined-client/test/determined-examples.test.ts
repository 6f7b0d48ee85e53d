/**
 * Determined's own example configs (examples/ at v0.38.1, in fixtures/determined-examples) and edits
 * of them get the same accept / refuse answer from fmnist as from Determined: the recorded verdicts
 * always, and the expconf JSON schemas themselves when ../shared/specs is there. A real master is
 * asked the same in real-master.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  exampleConfigs,
  exampleText,
  exampleVerdicts,
  fmnistVerdict,
  variants,
  variantText,
} from './determined-examples.js';
import { expconfSchemasPresent, sanityValidator } from './expconf-schema.js';

const configs = exampleConfigs();
const verdicts = exampleVerdicts();
const schemas = expconfSchemasPresent();
if (!schemas) console.log('skipping the expconf schema comparisons: ../shared/specs is not there');

describe("Determined 0.38.1's example configs", () => {
  it('are all here, each with a recorded verdict', () => {
    expect(configs.length).toBe(43);
    expect(Object.keys(verdicts).sort()).toEqual(configs);
  });

  for (const path of configs) {
    it(`fmnist answers as Determined does: ${path}`, () => {
      const got = fmnistVerdict(exampleText(path));
      const want = verdicts[path]!;
      expect(got === 'accept' ? got : { refuse: got.refuse.split('.')[0] }).toEqual(want);
    });
  }

  it.skipIf(!schemas)('the expconf JSON schemas give the recorded verdicts', () => {
    const sane = sanityValidator();
    const answers = configs.map((p) => [
      p,
      sane(parse(exampleText(p), { version: '1.1' })).ok ? 'accept' : 'refuse',
    ]);
    expect(answers).toEqual(configs.map((p) => [p, verdicts[p] === 'accept' ? 'accept' : 'refuse']));
  });
});

describe('edits of the examples, one rule each', () => {
  for (const v of variants()) {
    it(`${v.name}: the master would ${v.master}${v.fmnist ? `, fmnist ${v.fmnist}s (${v.why})` : ''}`, () => {
      const got = fmnistVerdict(variantText(v));
      expect(got === 'accept' ? 'accept' : 'refuse').toBe(v.fmnist ?? v.master);
    });
  }

  it('fmnist never lets through what the master refuses', () => {
    for (const v of variants()) if (v.master === 'refuse') expect(v.fmnist ?? 'refuse').toBe('refuse');
  });

  it.skipIf(!schemas)('the expconf schemas give the recorded sanity verdicts', () => {
    const sane = sanityValidator();
    const answers = variants().map((v) => [
      v.name,
      sane(parse(variantText(v), { version: '1.1' })).ok ? 'accept' : 'refuse',
    ]);
    expect(answers).toEqual(variants().map((v) => [v.name, v.schema]));
  });
});
