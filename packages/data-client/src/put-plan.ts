import { basename } from 'node:path';
import { normalizeRepoPath, parsePutTarget } from './address.js';
import type { PutSource } from './types.js';

/** A local path given to `put file -f`, and whether it is a directory. */
export interface LocalSource {
  path: string;
  isDir: boolean;
}

/**
 * Where `pachctl put file [-r] REPO@BRANCH[:PATH] -f SRC…` puts each source (src/server/pfs/cmds/cmds.go,
 * putFile): with no path, each source at `/<its base name>` (a directory's files under it); with a path
 * and one source, the source at that path (a file into it when the path ends in `/`, a directory's
 * files under the path itself); with a path and several sources, each at `PATH/<base name>`. Returns a
 * put at the repo root whose sources carry those paths.
 */
export function pachctlPutPlan(
  address: string,
  locals: LocalSource[],
): { address: string; sources: PutSource[] } {
  const target = parsePutTarget(address);
  const colon = address.indexOf(':');
  const rawPath = colon < 0 ? '' : address.slice(colon + 1).trim();
  const root = `${target.repo}@${target.ref}:/`;
  const rel = (p: string) => normalizeRepoPath(p).slice(1);
  const sources = locals.map((l): PutSource => {
    const name = basename(l.path.replace(/[\\/]+$/, ''));
    let dest: string;
    if (rawPath === '') dest = name;
    else if (locals.length > 1) dest = `${rel(rawPath)}/${name}`;
    else if (!l.isDir && rawPath.endsWith('/')) dest = `${rel(rawPath)}/${name}`;
    else dest = rel(rawPath);
    dest = rel(dest);
    return l.isDir ? (dest ? { dir: l.path, name: dest } : { dir: l.path }) : { file: l.path, name: dest };
  });
  return { address: root, sources };
}
