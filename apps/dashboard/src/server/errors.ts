/** What can go wrong in the dashboard itself (engine errors keep their own codes and are passed through). */
export type DashboardErrorCode =
  | 'BAD_REQUEST'
  | 'NOT_FOUND'
  | 'FORBIDDEN'
  | 'UNAUTHORIZED'
  | 'TOKEN_REQUIRED'
  | 'TARGET_UNREACHABLE'
  | 'NOT_BUILT';

const STATUS: Record<DashboardErrorCode, number> = {
  BAD_REQUEST: 400,
  NOT_FOUND: 404,
  FORBIDDEN: 403,
  UNAUTHORIZED: 401,
  TOKEN_REQUIRED: 400,
  TARGET_UNREACHABLE: 502,
  NOT_BUILT: 500,
};

export class DashboardError extends Error {
  override readonly name = 'DashboardError';
  readonly status: number;
  constructor(
    readonly code: DashboardErrorCode,
    message: string,
    readonly hint?: string,
  ) {
    super(hint ? `${message} (${hint})` : message);
    this.status = STATUS[code];
  }
}
