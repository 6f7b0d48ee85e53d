/** A pipeline stage could not finish; the message says which and what to look at. */
export class PipelineError extends Error {
  override readonly name = 'PipelineError';
  constructor(
    readonly code: 'EXPERIMENT_FAILED' | 'NO_CHECKPOINT',
    message: string,
  ) {
    super(message);
  }
}
