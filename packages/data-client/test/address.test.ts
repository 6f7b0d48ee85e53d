import { describe, expect, it } from 'vitest';
import { parseAddress } from '../src/index.js';

describe('parseAddress', () => {
  it('reads repo, branch or commit, and a normalised path', () => {
    expect(parseAddress('fmnist-train-raw@master:/')).toEqual({
      repo: 'fmnist-train-raw',
      ref: 'master',
      path: '/',
    });
    expect(parseAddress('raw@master:images//a.gz')).toEqual({
      repo: 'raw',
      ref: 'master',
      path: '/images/a.gz',
    });
    expect(parseAddress(`raw@${'ab'.repeat(16)}`)).toEqual({ repo: 'raw', ref: 'ab'.repeat(16), path: '/' });
    expect(parseAddress('raw')).toEqual({ repo: 'raw', path: '/' });
  });

  it.each([
    ['', 'BAD_ADDRESS', /not a repo address/],
    ['my repo@master', 'BAD_ADDRESS', /repo name "my repo"/],
    ['raw@:/x', 'BAD_ADDRESS', /after "@" is empty/],
    ['raw@feature/x:/', 'BAD_ADDRESS', /branch name/],
    ['raw:/x', 'BAD_ADDRESS', /needs a branch or commit before it/],
    ['raw@master:/a/../../etc', 'BAD_PATH', /"\.\." is not allowed/],
  ])('rejects %j with %s', (input, code, message) => {
    expect(() => parseAddress(input)).toThrow(
      expect.objectContaining({ code, message: expect.stringMatching(message) }),
    );
  });

  it('says which part is missing when one is required', () => {
    expect(() => parseAddress('raw', { ref: true })).toThrow(/needs a branch or commit: raw@master/);
    expect(() => parseAddress('raw@master', { path: true })).toThrow(/needs a path: raw@master:\//);
  });
});
