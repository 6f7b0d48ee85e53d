import { DataClientError, type DataClientErrorCode } from '@fmnist/data-client';
import { DeterminedError, type DeterminedErrorCode } from '@fmnist/determined-client';

// Packages say what is wrong and where; only the CLI knows its own verbs, so the command that fixes an
// error is named here, from the error's code and the repo, ref and path it carries (never its message).

type Fix<E> = (e: E) => string | undefined;

const dataFixes: Partial<Record<DataClientErrorCode, Fix<DataClientError>>> = {
  REPO_NOT_FOUND: ({ repo }) =>
    repo && `Run: fmnist repo create ${repo} (or fmnist repo list to see the repos there are)`,
  BRANCH_NOT_FOUND: ({ repo, ref }) =>
    repo &&
    ref &&
    `Run: fmnist put file -r ${repo}@${ref}:/ -f DIR to start the branch, or fmnist list commit ${repo} to see the repo's branches`,
  COMMIT_NOT_FOUND: ({ repo }) => repo && `Run: fmnist list commit ${repo}`,
  FILE_NOT_FOUND: ({ repo, ref }) => repo && ref && `Run: fmnist list file ${repo}@${ref}:/`,
  NOT_A_FILE: ({ repo, ref, path }) => repo && ref && path && `Run: fmnist list file ${repo}@${ref}:${path}`,
};

const masterFixes: Partial<Record<DeterminedErrorCode, Fix<DeterminedError>>> = {
  EXPERIMENT_NOT_FOUND: () => 'Run: fmnist experiment list',
  MODEL_NOT_FOUND: () => 'Run: fmnist model list',
};

/** The fmnist command that fixes `e`, as a line to print under it; undefined when there is none to name. */
export function commandHint(e: unknown): string | undefined {
  if (e instanceof DataClientError) return dataFixes[e.code]?.(e) || undefined;
  if (e instanceof DeterminedError) return masterFixes[e.code]?.(e) || undefined;
  return undefined;
}
