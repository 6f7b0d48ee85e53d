import { DataClientError } from '@fmnist/data-client';
import { DeterminedError, NotFoundError } from '@fmnist/determined-client';
import { describe, expect, it } from 'vitest';
import { commandHint } from '../src/hints.js';

const dataError = (code: DataClientError['code'], at: { repo?: string; ref?: string; path?: string }) =>
  new DataClientError(code, 'what went wrong', 'what to do', { at });

describe('the command a failed call is fixed with', () => {
  it('creates a repo that is missing', () => {
    expect(commandHint(dataError('REPO_NOT_FOUND', { repo: 'raw' }))).toBe(
      'Run: fmnist repo create raw (or fmnist repo list to see the repos there are)',
    );
  });

  it('starts a branch that has no commits, or lists the branches there are', () => {
    expect(commandHint(dataError('BRANCH_NOT_FOUND', { repo: 'raw', ref: 'dev' }))).toBe(
      "Run: fmnist put file -r raw@dev:/ -f DIR to start the branch, or fmnist list commit raw to see the repo's branches",
    );
  });

  it('lists the commits of a repo that lacks the one asked for', () => {
    const id = 'f'.repeat(32);
    expect(commandHint(dataError('COMMIT_NOT_FOUND', { repo: 'raw', ref: id }))).toBe(
      'Run: fmnist list commit raw',
    );
  });

  it("lists the commit's root when a file is missing, and the directory given as a file", () => {
    expect(commandHint(dataError('FILE_NOT_FOUND', { repo: 'raw', ref: 'master', path: '/x.bin' }))).toBe(
      'Run: fmnist list file raw@master:/',
    );
    expect(commandHint(dataError('NOT_A_FILE', { repo: 'raw', ref: 'master', path: '/images' }))).toBe(
      'Run: fmnist list file raw@master:/images',
    );
  });

  it('lists the experiments or models when the one asked for is not there', () => {
    expect(commandHint(new NotFoundError('EXPERIMENT_NOT_FOUND', 'experiment 7 not found'))).toBe(
      'Run: fmnist experiment list',
    );
    expect(commandHint(new NotFoundError('MODEL_NOT_FOUND', 'model "x" not found'))).toBe(
      'Run: fmnist model list',
    );
  });

  it('names no command when the error does not say where, or has no command that fixes it', () => {
    expect(commandHint(dataError('REPO_NOT_FOUND', {}))).toBeUndefined();
    expect(commandHint(dataError('FILE_NOT_FOUND', { path: '/x' }))).toBeUndefined();
    expect(commandHint(dataError('REPO_EXISTS', { repo: 'raw' }))).toBeUndefined();
    expect(commandHint(new DeterminedError('UNSUPPORTED', 'no'))).toBeUndefined();
    expect(
      commandHint(Object.assign(new Error('x'), { code: 'REPO_NOT_FOUND', repo: 'raw' })),
    ).toBeUndefined();
  });
});
