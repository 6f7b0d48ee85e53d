import { describe, expect, it } from 'vitest';
import { pachctlPutPlan } from '../src/index.js';

const file = (path: string) => ({ path, isDir: false });
const dir = (path: string) => ({ path, isDir: true });

describe('put file paths, as pachctl put file places them', () => {
  it.each([
    ['repo@b:/x', [file('data/a.txt')], [{ file: 'data/a.txt', name: 'x' }]],
    ['repo@b:/x/', [file('data/a.txt')], [{ file: 'data/a.txt', name: 'x/a.txt' }]],
    ['repo@b:/', [file('a.txt')], [{ file: 'a.txt', name: 'a.txt' }]],
    ['repo@b', [file('data/a.txt')], [{ file: 'data/a.txt', name: 'a.txt' }]],
    ['repo@b', [dir('./images/')], [{ dir: './images/', name: 'images' }]],
    ['repo@b:/', [dir('images')], [{ dir: 'images' }]],
    ['repo@b:/train', [dir('images')], [{ dir: 'images', name: 'train' }]],
    [
      'repo@b:/in',
      [file('a.txt'), dir('imgs')],
      [
        { file: 'a.txt', name: 'in/a.txt' },
        { dir: 'imgs', name: 'in/imgs' },
      ],
    ],
  ])('put file %s -f %j', (address, locals, sources) => {
    expect(pachctlPutPlan(address, locals)).toEqual({ address: `repo@b:/`, sources });
  });
});
