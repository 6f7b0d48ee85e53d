// Reading a config's YAML so that fmnist and a Determined master see the same values.
import { parse, type SchemaOptions, type Tags } from 'yaml';
import { ConfigError } from '../errors.js';
import { show } from './values.js';

/**
 * The master reads a config as YAML 1.1 (ghodss/yaml over go-yaml v2, in JSONFromYaml,
 * master/pkg/schemas/util.go), where `yes`, `no`, `on`, `off`, `y`, `n` are booleans and `0777` is
 * octal. go-yaml leaves a timestamp a string when decoding into interface{}, so that tag is left out.
 */
const MASTER_YAML: SchemaOptions & { version: '1.1' } = {
  version: '1.1',
  customTags: (tags: Tags) =>
    tags.filter((t) => (typeof t === 'string' ? t : t.tag) !== 'tag:yaml.org,2002:timestamp'),
};

/**
 * Walks both readings together (map keys come in the same order in both) and names the first value
 * whose meaning depends on the YAML version. Keys are compared by position only: a key the master
 * would read as a boolean keeps its YAML 1.2 name here.
 */
function firstDisagreement(a: unknown, b: unknown, path: string): [string, unknown, unknown] | null {
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < a.length; i++) {
      const d = firstDisagreement(a[i], b[i], `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const av = Object.entries(a);
    const bv = Object.values(b);
    for (let i = 0; i < av.length; i++) {
      const [k, v] = av[i]!;
      const d = firstDisagreement(v, bv[i], path ? `${path}.${k}` : k);
      if (d) return d;
    }
    return null;
  }
  return Object.is(a, b) ? null : [path, a, b];
}

/**
 * Parses a config as YAML 1.2 and refuses a value a Determined master would read differently, so
 * that the embedded master and a cluster never run one config two ways.
 */
export function parseConfigYaml(text: string): unknown {
  let doc: unknown;
  let asMaster: unknown;
  try {
    doc = parse(text);
    asMaster = parse(text, MASTER_YAML);
  } catch (e) {
    throw new ConfigError('', `not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  const d = firstDisagreement(doc, asMaster, '');
  if (d) {
    const [path, here, there] = d;
    throw new ConfigError(
      path,
      `${show(here)} is read as ${show(there)} by a Determined master (YAML 1.1); write ${show(there)}, or quote it to keep the string`,
    );
  }
  return doc;
}
