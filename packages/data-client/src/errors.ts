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

/** Where in the store a failure is: what a caller needs to say which command would fix it. */
export interface DataClientErrorPlace {
  repo?: string;
  /** The branch or commit id as it was asked for. */
  ref?: string;
  /** The path inside the commit (`/…`). */
  path?: string;
}

/** A data repository operation failed; `code` is stable, `hint` says what to do about it. */
export class DataClientError extends Error {
  override readonly name: string = 'DataClientError';
  readonly repo?: string;
  readonly ref?: string;
  readonly path?: string;
  constructor(
    readonly code: DataClientErrorCode,
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown; at?: DataClientErrorPlace },
  ) {
    super(
      hint ? `${message}\n  ${hint}` : message,
      options && 'cause' in options ? { cause: options.cause } : {},
    );
    this.repo = options?.at?.repo;
    this.ref = options?.at?.ref;
    this.path = options?.at?.path;
  }
}

/** An address (`repo@ref:/path`) or repo path that cannot be used. */
export class AddressError extends DataClientError {
  override readonly name = 'AddressError';
}
