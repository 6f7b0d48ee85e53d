import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type AnySchemaObject, type ValidateFunction } from 'ajv';

/**
 * Determined's expconf JSON schemas (../shared/specs/determined-expconf-v0, v0.38.1) checked the way
 * the master's sanity check does (`schemas.SaneBytes`, called by `ParseAnyExperimentConfigYAML` in
 * master/pkg/schemas/expconf/parse.go): plain draft-07 plus Determined's extension keywords, each
 * written here from its upstream definition in master/pkg/schemas/extensions/*.go. The sanity check
 * leaves out `eventuallyRequired` and `eventually` (those run in the completeness phase, after
 * cluster defaults are merged; eventually_required.go, eventually.go).
 */
export const EXPCONF_SCHEMAS = join(
  import.meta.dirname,
  '../../../../shared/specs/determined-expconf-v0/schemas',
);

export function expconfSchemasPresent(): boolean {
  return existsSync(join(EXPCONF_SCHEMAS, 'experiment.json'));
}

const EXPERIMENT = 'http://determined.ai/schemas/expconf/v0/experiment.json';

export function sanityValidator(): (config: unknown) => { ok: boolean; errors: string[] } {
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  for (const f of readdirSync(EXPCONF_SCHEMAS).filter((n) => n.endsWith('.json'))) {
    ajv.addSchema(JSON.parse(readFileSync(join(EXPCONF_SCHEMAS, f), 'utf8')) as AnySchemaObject);
  }
  const byRef = (ref: string): ValidateFunction => {
    const v = ajv.getSchema(ref);
    if (!v) throw new Error(`no schema ${ref}`);
    return v;
  };

  // optional_ref.go: like $ref, but null passes.
  ajv.addKeyword({
    keyword: 'optionalRef',
    validate: (ref: string, data: unknown) => data === null || byRef(ref)(data) === true,
  });
  // checks.go: every subschema must match; the key is the message.
  ajv.addKeyword({
    keyword: 'checks',
    compile: (checks: Record<string, AnySchemaObject>) => {
      const compiled = Object.values(checks).map((s) => ajv.compile(s));
      return (data: unknown) => compiled.every((v) => v(data) === true);
    },
  });
  // union.go: exactly one item must match.
  ajv.addKeyword({
    keyword: 'union',
    compile: (union: { items: AnySchemaObject[] }) => {
      const compiled = union.items.map(({ unionKey: _, ...s }) => ajv.compile(s));
      return (data: unknown) => compiled.filter((v) => v(data) === true).length === 1;
    },
  });
  // compare_properties.go: a<b, a<=b on numbers, a_is_subdir_of_b on paths; a missing or
  // wrongly typed property is not this keyword's error (the Go code recovers from the panic).
  ajv.addKeyword({
    keyword: 'compareProperties',
    validate: (cmp: { type: string; a: string; b: string }, data: unknown) => {
      const at = (path: string) =>
        path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | null)?.[k], data);
      const a = at(cmp.a);
      const b = at(cmp.b);
      if (cmp.type === 'a<b' || cmp.type === 'a<=b') {
        if (typeof a !== 'number' || typeof b !== 'number') return true;
        return cmp.type === 'a<b' ? a < b : a <= b;
      }
      if (cmp.type === 'a_is_subdir_of_b') {
        if (typeof a !== 'string' || typeof b !== 'string') return true;
        const clean = (p: string) => p.replace(/\/+$/, '');
        return a.startsWith('/') ? clean(a).startsWith(clean(b)) : !clean(a).startsWith('..');
      }
      return true;
    },
  });
  // disallow_properties.go: any listed key present fails.
  ajv.addKeyword({
    keyword: 'disallowProperties',
    validate: (props: Record<string, string>, data: unknown) =>
      typeof data !== 'object' || data === null || Object.keys(props).every((k) => !(k in data)),
  });
  // Completeness-phase keywords, and union's annotations: nothing to check in the sanity phase.
  for (const keyword of ['eventuallyRequired', 'eventually', 'unionKey', 'defaultMessage']) {
    ajv.addKeyword({ keyword });
  }

  const validate = byRef(EXPERIMENT);
  return (config) => {
    const ok = validate(config) === true;
    return {
      ok,
      errors: ok ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`),
    };
  };
}
