/**
 * The gate could not run (bad options, a test set that does not add up, a model that misbehaves), or it
 * ran and a gated version is below the threshold (`GATE_FAILED`).
 */
export class GateError extends Error {
  override readonly name = 'GateError';
  constructor(
    readonly code:
      | 'BAD_OPTION'
      | 'BAD_TEST_SET'
      | 'NO_VERSIONS'
      | 'MODEL_LOAD_FAILED'
      | 'BAD_PREDICTIONS'
      | 'REPORT_WRITE_FAILED'
      | 'GATE_FAILED',
    message: string,
    readonly hint?: string,
  ) {
    super(hint ? `${message}\n  ${hint}` : message);
  }
}
