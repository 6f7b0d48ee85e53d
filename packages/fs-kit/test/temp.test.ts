import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeStaleTemps, tempPathFor, tempWriter } from '../src/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fs-kit-temp-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** The id of a process that has exited, so no process holds it for a while. */
function goneProcessId(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout);
}

describe('temporary files', () => {
  it('names a temporary beside its target, after the process writing it', () => {
    const temp = tempPathFor(join(dir, 'report.json'));
    expect(temp.startsWith(join(dir, '.report.json.'))).toBe(true);
    expect(tempWriter(basename(temp))).toBe(process.pid);
    expect(tempWriter('report.json')).toBeUndefined();
  });

  it("removes a crashed writer's leftovers and keeps writes under way and other files", async () => {
    const gone = goneProcessId();
    const leftover = `.report.json.${gone}-0123abcd.tmp`;
    const leftoverDir = `.model.${gone}-89abcdef.tmp`;
    const live = basename(tempPathFor(join(dir, 'state.json')));
    await writeFile(join(dir, leftover), 'half');
    await mkdir(join(dir, leftoverDir));
    await writeFile(join(dir, live), 'under way');
    await writeFile(join(dir, 'report.json'), 'whole');
    expect(await removeStaleTemps(dir)).toEqual([leftoverDir, leftover].sort());
    expect((await readdir(dir)).sort()).toEqual([live, 'report.json'].sort());
  });

  it('finds nothing to do in a folder that does not exist', async () => {
    expect(await removeStaleTemps(join(dir, 'absent'))).toEqual([]);
  });
});
