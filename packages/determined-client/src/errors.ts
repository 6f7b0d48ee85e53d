export type DeterminedErrorCode =
  | 'BAD_CONFIG'
  | 'BAD_OPTIONS'
  | 'BAD_REQUEST'
  | 'EXPERIMENT_NOT_FOUND'
  | 'TRIAL_NOT_FOUND'
  | 'CHECKPOINT_NOT_FOUND'
  | 'MODEL_NOT_FOUND'
  | 'MODEL_VERSION_NOT_FOUND'
  | 'MODEL_EXISTS'
  | 'NOT_FOUND'
  | 'LOGIN_FAILED'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'CONFLICT'
  | 'UNSUPPORTED'
  | 'MASTER_UNAVAILABLE'
  | 'MASTER_ERROR'
  | 'TRIAL_ENV'
  | 'CONTEXT_TOO_LARGE'
  | 'STORAGE';

/** An experiment, registry or master operation failed; `code` is stable, `hint` says what to do. */
export class DeterminedError extends Error {
  override readonly name: string = 'DeterminedError';
  constructor(
    readonly code: DeterminedErrorCode,
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(hint ? `${message}\n  ${hint}` : message, options);
  }
}

/** An experiment config that cannot be run; `path` names the field (e.g. `searcher.max_trials`). */
export class ConfigError extends DeterminedError {
  override readonly name = 'ConfigError';
  constructor(
    readonly path: string,
    readonly detail: string,
  ) {
    super('BAD_CONFIG', path ? `${path}: ${detail}` : detail);
  }
}

/** The experiment, trial, checkpoint, model or version does not exist. */
export class NotFoundError extends DeterminedError {
  override readonly name = 'NotFoundError';
}

/** Logging in to a Determined master failed. The message never carries the password or a token. */
export class AuthError extends DeterminedError {
  override readonly name = 'AuthError';
}
