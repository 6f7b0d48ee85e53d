/** A problem with an IDX file: its path and what is wrong, with a stable `code`. */
export class IdxError extends Error {
  override readonly name = 'IdxError';
  constructor(
    readonly code:
      | 'IDX_BAD_MAGIC'
      | 'IDX_UNKNOWN_TYPE'
      | 'IDX_SIZE_MISMATCH'
      | 'IDX_TRUNCATED'
      | 'IDX_BAD_GZIP'
      | 'IDX_COUNT_MISMATCH'
      | 'IDX_BAD_SHAPE',
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
  }
}

/** A dataset could not be fetched or verified; `hint` says what the user can do. */
export class DatasetError extends Error {
  override readonly name = 'DatasetError';
  constructor(
    readonly code: 'DATASET_UNAVAILABLE' | 'DATASET_CORRUPT' | 'DATASET_BAD_SOURCE',
    message: string,
    readonly hint?: string,
  ) {
    super(hint ? `${message}\n  ${hint}` : message);
  }
}

/** A model, its files or its inputs are not what they should be. */
export class ModelError extends Error {
  override readonly name = 'ModelError';
  constructor(
    readonly code:
      | 'BAD_BACKEND'
      | 'BAD_HYPERPARAMETER'
      | 'BAD_INPUT'
      | 'MODEL_NOT_FOUND'
      | 'MODEL_CORRUPT'
      | 'METADATA_MISMATCH',
    message: string,
  ) {
    super(message);
  }
}
