import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashFile } from '../src/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fs-kit-hash-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('hashFile', () => {
  it('digests a file as hex or base64', async () => {
    const file = join(dir, 'a.txt');
    await writeFile(file, 'abc');
    expect(await hashFile(file, 'sha256')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(await hashFile(file, 'md5', 'base64')).toBe('kAFQmDzST7DWlj99KOF/cg==');
  });
});
