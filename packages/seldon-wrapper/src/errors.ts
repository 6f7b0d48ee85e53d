/** A problem with the wrapper's options or with a model call, with a stable `code`. */
export class SeldonWrapperError extends Error {
  override readonly name = 'SeldonWrapperError';
  constructor(
    readonly code:
      | 'BAD_OPTIONS'
      | 'DRAINING'
      | 'OVERLOADED'
      | 'TOO_MANY_ROWS'
      | 'CANCELLED'
      | 'MODEL_UNAVAILABLE'
      | 'MODEL_TIMEOUT'
      | 'MODEL_FAILED'
      | 'BAD_MODEL_OUTPUT',
    message: string,
  ) {
    super(message);
  }
}
