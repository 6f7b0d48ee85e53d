import { DeployError } from '../errors.js';

interface ApiExceptionLike {
  code: number;
  body: unknown;
}

function isApiException(e: unknown): e is ApiExceptionLike & Error {
  return e instanceof Error && typeof (e as { code?: unknown }).code === 'number' && 'body' in (e as object);
}

/** The `message` of a Kubernetes Status body, whether it arrived parsed or as text. */
export function statusMessage(body: unknown): string | undefined {
  let b = body;
  if (typeof body === 'string') {
    try {
      b = JSON.parse(body);
    } catch {
      return body.trim() || undefined;
    }
  }
  if (b && typeof b === 'object' && typeof (b as { message?: unknown }).message === 'string') {
    return (b as { message: string }).message;
  }
  return undefined;
}

export function httpStatus(e: unknown): number | undefined {
  return isApiException(e) ? e.code : undefined;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
]);

function networkCode(e: unknown): string | undefined {
  for (let c: unknown = e, i = 0; c && i < 5; c = (c as { cause?: unknown }).cause, i++) {
    const code = (c as { code?: unknown }).code;
    if (
      typeof code === 'string' &&
      (NETWORK_CODES.has(code) || (c as { type?: unknown }).type === 'system')
    ) {
      return code;
    }
    if ((c as { type?: unknown }).type === 'request-timeout') return 'ETIMEDOUT';
  }
  return undefined;
}

/**
 * Turns what @kubernetes/client-node throws into a DeployError a user can act on.
 * `what` says what was being done, e.g. `apply SeldonDeployment "fmnist" in namespace "default"`.
 */
export function toDeployError(e: unknown, what: string, server: string): DeployError {
  if (e instanceof DeployError) return e;
  const net = networkCode(e);
  if (net) {
    return new DeployError(
      'API_UNREACHABLE',
      `cannot reach the Kubernetes API server at ${server} (${net}) to ${what}: ` +
        'check that the cluster is running and that your kubeconfig points at it (kubectl cluster-info)',
    );
  }
  const status = httpStatus(e);
  if (status !== undefined) {
    const detail = statusMessage((e as ApiExceptionLike).body);
    const suffix = detail ? `: ${detail}` : '';
    if (status === 401) {
      return new DeployError(
        'UNAUTHORIZED',
        `the Kubernetes API server rejected your credentials while trying to ${what}${suffix}. ` +
          'Log in again or refresh the token in your kubeconfig.',
      );
    }
    if (status === 403) {
      return new DeployError(
        'FORBIDDEN',
        `not allowed to ${what}${suffix}. Ask a cluster admin for a Role in that namespace granting get, list, ` +
          'create, patch and delete on seldondeployments.machinelearning.seldon.io (a first apply creates), and ' +
          'get and list on deployments.apps, pods and events (to follow the rollout).',
      );
    }
    if (status === 409) {
      return new DeployError('CONFLICT', `conflict while trying to ${what}${suffix}. Try again.`);
    }
    return new DeployError('API_ERROR', `the Kubernetes API answered ${status} to ${what}${suffix}`);
  }
  const message = e instanceof Error ? e.message : String(e);
  return new DeployError('API_ERROR', `could not ${what}: ${message}`);
}
