import { type ApiError, CSRF_HEADER, type Session } from '../shared/api.js';

/** An API answer that was an error: the message says which engine failed and why. */
export class ApiFailure extends Error {
  override readonly name = 'ApiFailure';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly engine?: string,
  ) {
    super(message);
  }
}

async function answer<T>(res: Response): Promise<T> {
  const body = (await res.json().catch(() => undefined)) as T | ApiError | undefined;
  if (!res.ok || body === undefined) {
    const e = (body as ApiError | undefined)?.error;
    throw new ApiFailure(
      res.status,
      e?.code ?? 'HTTP',
      e?.message ?? `the dashboard answered ${res.status}`,
      e?.engine,
    );
  }
  return body as T;
}

export async function get<T>(path: string): Promise<T> {
  return answer<T>(await fetch(path, { headers: { accept: 'application/json' } }));
}

let session: Promise<Session> | undefined;
export function getSession(): Promise<Session> {
  session ??= get<Session>('/api/session');
  return session;
}

/** A state-changing request: a POST with the CSRF token of this page's session. */
export async function post<T>(path: string, body: unknown): Promise<T> {
  const { csrf } = await getSession();
  return answer<T>(
    await fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', [CSRF_HEADER]: csrf },
      body: JSON.stringify(body ?? {}),
    }),
  );
}
