/** Why a deployment step failed; `code` is stable, the message says what happened and what to do. */
export type DeployErrorCode =
  | 'INVALID_NAME'
  | 'INVALID_OPTION'
  | 'MODEL_DIR_MISSING'
  | 'NO_KUBECONFIG'
  | 'API_UNREACHABLE'
  | 'CRD_MISSING'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'CONFLICT'
  | 'API_ERROR'
  | 'NOT_FOUND'
  | 'NO_PREVIOUS_VERSION'
  | 'DEPLOY_FAILED'
  | 'TIMEOUT'
  | 'TERMINATING'
  | 'PORT_IN_USE'
  | 'HEALTH_CHECK_FAILED'
  | 'BUSY'
  | 'OUT_EXISTS';

export class DeployError extends Error {
  override readonly name = 'DeployError';
  constructor(
    readonly code: DeployErrorCode,
    message: string,
    /** Extra lines a user needs to act on: Kubernetes events, the tail of a server log. */
    readonly details: string[] = [],
  ) {
    super(details.length > 0 ? `${message}\n${details.map((d) => `  ${d}`).join('\n')}` : message);
  }
}
