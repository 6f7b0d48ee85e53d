/** A mistake in how the command was called: shown with a usage hint, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'USAGE';
}

/** Errors from our packages carry a stable string `code`; anything else is unexpected. */
export function isKnownError(e: unknown): e is Error & { code: string; hint?: string } {
  return e instanceof Error && typeof (e as { code?: unknown }).code === 'string';
}
