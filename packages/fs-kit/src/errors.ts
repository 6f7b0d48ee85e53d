export type FsKitErrorCode = 'TAR_UNSAFE_ENTRY' | 'TAR_UNREADABLE' | 'NOT_A_FOLDER';

/** A file operation refused or failed; `code` is stable, the message names the path and what to do. */
export class FsKitError extends Error {
  override readonly name = 'FsKitError';
  constructor(
    readonly code: FsKitErrorCode,
    message: string,
    readonly hint?: string,
  ) {
    super(hint ? `${message}\n  ${hint}` : message);
  }
}
