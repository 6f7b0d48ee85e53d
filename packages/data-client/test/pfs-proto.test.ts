import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';

// pachd's own protos (pachyderm/pachyderm v2.11.6, src/pfs/pfs.proto and its imports), when the shared
// specs sit beside the checkout; see ../shared/specs/SOURCES.md.
const specs = resolve(import.meta.dirname, '..', '..', '..', '..', 'shared', 'specs', 'pachyderm');
const protobufjsDir = dirname(createRequire(import.meta.url).resolve('protobufjs/package.json'));

function load(file: string, includeDir?: string): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    if (target === file) return includeDir ? join(includeDir, file) : file;
    const bundled = join(protobufjsDir, target);
    if (target.startsWith('google/protobuf/') && existsSync(bundled)) return bundled;
    return includeDir ? join(includeDir, target) : target;
  };
  root.loadSync(file, { keepCase: true });
  root.resolveAll();
  return root;
}

function typesOf(ns: protobuf.NamespaceBase, out: (protobuf.Type | protobuf.Enum | protobuf.Service)[] = []) {
  for (const child of ns.nestedArray) {
    if (child instanceof protobuf.Type || child instanceof protobuf.Enum || child instanceof protobuf.Service)
      out.push(child);
    if (child instanceof protobuf.Namespace || child instanceof protobuf.Type) typesOf(child, out);
  }
  return out;
}

/** Every difference between the messages, enums and methods of `ours` and the same names upstream. */
function differences(ours: protobuf.Root, upstream: protobuf.Root): string[] {
  const out: string[] = [];
  const typeName = (f: protobuf.Field) => (f.resolvedType ? f.resolvedType.fullName : f.type);
  for (const t of typesOf(ours).filter((x) => x.fullName.startsWith('.pfs_v2.'))) {
    const up = upstream.lookup(t.fullName);
    if (!up) {
      out.push(`${t.fullName} is not upstream`);
      continue;
    }
    if (t instanceof protobuf.Type && up instanceof protobuf.Type) {
      for (const f of t.fieldsArray) {
        const u = up.fields[f.name];
        if (!u) out.push(`${t.fullName}.${f.name} is not upstream`);
        else if (
          u.id !== f.id ||
          typeName(u) !== typeName(f) ||
          u.repeated !== f.repeated ||
          u.map !== f.map
        ) {
          out.push(
            `${t.fullName}.${f.name}: ours ${f.repeated ? 'repeated ' : ''}${typeName(f)} = ${f.id}, upstream ${u.repeated ? 'repeated ' : ''}${typeName(u)} = ${u.id}`,
          );
        }
      }
    } else if (t instanceof protobuf.Enum && up instanceof protobuf.Enum) {
      for (const [name, n] of Object.entries(t.values))
        if (up.values[name] !== n) out.push(`${t.fullName}.${name} = ${n}, upstream ${up.values[name]}`);
    } else if (t instanceof protobuf.Service && up instanceof protobuf.Service) {
      for (const m of t.methodsArray) {
        const u = up.methods[m.name];
        const shape = (x: protobuf.Method) =>
          `${x.requestStream ? 'stream ' : ''}${x.resolvedRequestType?.fullName} → ${x.responseStream ? 'stream ' : ''}${x.resolvedResponseType?.fullName}`;
        if (!u) out.push(`rpc ${m.name} is not upstream`);
        else if (shape(m) !== shape(u)) out.push(`rpc ${m.name}: ours ${shape(m)}, upstream ${shape(u)}`);
      }
    } else out.push(`${t.fullName} is a different kind of thing upstream`);
  }
  return out;
}

const copies = [
  ['the client', resolve(import.meta.dirname, '..', 'src', 'pachyderm', 'pfs.proto')],
  ['the in-test pachd', resolve(import.meta.dirname, 'fake-pachd', 'pfs.proto')],
] as const;

describe.skipIf(!existsSync(join(specs, 'pfs', 'pfs.proto')))(
  'pfs.proto copies against pachd v2.11.6 (../shared/specs/pachyderm)',
  () => {
    const upstream = existsSync(join(specs, 'pfs', 'pfs.proto'))
      ? load('pfs/pfs.proto', specs)
      : new protobuf.Root();

    it.each(copies)('%s: every message, field, enum value and method matches upstream', (_who, file) => {
      expect(differences(load(file), upstream)).toEqual([]);
    });

    it('catches a wrong field number', () => {
      const wrong = readFileSync(copies[0][1], 'utf8').replace(
        'string created_by = 16;',
        'string created_by = 15;',
      );
      const root = new protobuf.Root();
      root.resolvePath = (_o, target) => join(protobufjsDir, target);
      protobuf.parse(wrong, root, { keepCase: true });
      for (const f of [
        'google/protobuf/empty.proto',
        'google/protobuf/timestamp.proto',
        'google/protobuf/wrappers.proto',
      ]) {
        root.addJSON(protobuf.common.get(f)?.nested ?? {});
      }
      root.resolveAll();
      expect(differences(root, upstream)).toEqual([
        '.pfs_v2.CommitInfo.created_by: ours string = 15, upstream string = 16',
      ]);
    });
  },
);
