export type DataClientErrorCode =
  | 'BAD_ADDRESS'
  | 'BAD_PATH'
  | 'BAD_OPTIONS'
  | 'BAD_CONFIG'
  | 'REPO_NOT_FOUND'
  | 'REPO_EXISTS'
  | 'PROJECT_NOT_FOUND'
  | 'BRANCH_NOT_FOUND'
  | 'COMMIT_NOT_FOUND'
  | 'COMMIT_OPEN'
  | 'FILE_NOT_FOUND'
  | 'NOT_A_FILE'
  | 'SOURCE_NOT_FOUND'
  | 'SOURCE_CHANGED'
  | 'STORE_CORRUPT'
  | 'ACCESS_DENIED'
  | 'BACKEND_UNAVAILABLE'
  | 'BACKEND_ERROR';

/** A data repository operation failed; `code` is stable, `hint` says what to do about it. */
export class DataClientError extends Error {
  override readonly name: string = 'DataClientError';
  constructor(
    readonly code: DataClientErrorCode,
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(hint ? `${message}\n  ${hint}` : message, options);
  }
}

/** An address (`repo@ref:/path`) or repo path that cannot be used. */
export class AddressError extends DataClientError {
  override readonly name = 'AddressError';
}
