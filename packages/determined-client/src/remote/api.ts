import { readFileSync } from 'node:fs';
import { Agent, type Dispatcher, request } from 'undici';
import { AuthError, DeterminedError, type DeterminedErrorCode, NotFoundError } from '../errors.js';

export type Json = Record<string, unknown>;

export interface RemoteDeterminedClientOptions {
  /** The master's address: `host:port` or `http(s)://host:port` (DET_MASTER). */
  master: string;
  /** Default `determined` (Determined's default user). */
  user?: string;
  password?: string;
  /** A user session token to use instead of logging in (sent as `Authorization: Bearer`). */
  token?: string;
  /**
   * An allocation session token (a trial's DET_SESSION_TOKEN). Determined checks it from
   * `x-allocation-token`, not `Authorization` (master/internal/grpcutil/auth.go).
   */
  allocationToken?: string;
  /** A PEM file of the CA that signed the master's certificate, or `noverify` (DET_MASTER_CERT_FILE). */
  certFile?: string;
}

/** `host:port` → `http://host:port`, without a trailing slash. */
export function masterUrl(master: string): string {
  const m = master.trim().replace(/\/+$/, '');
  if (!m) throw new DeterminedError('BAD_OPTIONS', 'the Determined master address is empty (set DET_MASTER)');
  const url = /^https?:\/\//.test(m) ? m : `http://${m}`;
  try {
    new URL(url);
  } catch {
    throw new DeterminedError('BAD_OPTIONS', `not a master address: ${JSON.stringify(master)}`);
  }
  return url;
}

const CODE_BY_STATUS: Record<number, DeterminedErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  409: 'CONFLICT',
};

/** The TLS settings Determined's CLI takes from DET_MASTER_CERT_FILE: a CA bundle, or `noverify`. */
function tlsDispatcher(certFile: string | undefined): Dispatcher | undefined {
  if (!certFile) return undefined;
  if (certFile === 'noverify') return new Agent({ connect: { rejectUnauthorized: false } });
  let ca: Buffer;
  try {
    ca = readFileSync(certFile);
  } catch (e) {
    throw new DeterminedError(
      'BAD_OPTIONS',
      `cannot read the master's CA certificate ${certFile}: ${(e as Error).message}`,
      'Set DET_MASTER_CERT_FILE to a PEM file (or "noverify").',
    );
  }
  return new Agent({ connect: { ca } });
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
interface CallOptions {
  body?: unknown;
  accept?: string;
  notFound?: DeterminedErrorCode;
  /** Undici's timeout for the headers (ms); long polls raise it. */
  headersTimeout?: number;
  signal?: AbortSignal;
}

/** One authenticated connection to a master's REST API. */
export class Api {
  private token: string | undefined;
  private login: Promise<string> | undefined;
  private readonly dispatcher: Dispatcher | undefined;
  readonly base: string;

  constructor(private readonly opts: RemoteDeterminedClientOptions) {
    this.base = masterUrl(opts.master);
    this.token = opts.token;
    this.dispatcher = tlsDispatcher(opts.certFile ?? process.env.DET_MASTER_CERT_FILE);
  }

  private unreachable(e: unknown): DeterminedError {
    const why = (e as { code?: string; message?: string }).code ?? (e as Error).message;
    return new DeterminedError(
      'MASTER_UNAVAILABLE',
      `cannot reach the Determined master at ${this.base} (${why})`,
      'Check DET_MASTER (and DET_MASTER_CERT_FILE for TLS).',
      { cause: e },
    );
  }

  private async authHeaders(): Promise<Record<string, string>> {
    if (this.opts.allocationToken) {
      return { 'grpc-metadata-x-allocation-token': `Bearer ${this.opts.allocationToken}` };
    }
    return { authorization: `Bearer ${await this.authenticate()}` };
  }

  private async authenticate(): Promise<string> {
    if (this.token) return this.token;
    this.login ??= (async () => {
      const user = this.opts.user ?? 'determined';
      let res: Dispatcher.ResponseData;
      try {
        res = await request(`${this.base}/api/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: user, password: this.opts.password ?? '' }),
          dispatcher: this.dispatcher,
        });
      } catch (e) {
        this.login = undefined;
        throw this.unreachable(e);
      }
      const text = await res.body.text();
      if (res.statusCode !== 200) {
        this.login = undefined;
        // Only the status: the request carried the password.
        throw new AuthError(
          'LOGIN_FAILED',
          `login to ${this.base} as ${JSON.stringify(user)} failed (HTTP ${res.statusCode})`,
          'Check DET_USER and DET_PASS.',
        );
      }
      const token = (JSON.parse(text) as { token?: string }).token;
      if (!token) throw new AuthError('LOGIN_FAILED', `login to ${this.base} returned no token`);
      this.token = token;
      return token;
    })();
    return this.login;
  }

  async raw(method: Method, path: string, opts: CallOptions = {}) {
    const headers: Record<string, string> = {
      ...(await this.authHeaders()),
      accept: opts.accept ?? 'application/json',
    };
    let body: string | undefined;
    if (opts.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.body);
    }
    let res: Dispatcher.ResponseData;
    try {
      res = await request(`${this.base}${path}`, {
        method,
        headers,
        body,
        dispatcher: this.dispatcher,
        signal: opts.signal,
        ...(opts.headersTimeout ? { headersTimeout: opts.headersTimeout } : {}),
      });
    } catch (e) {
      throw this.unreachable(e);
    }
    if (res.statusCode >= 400) {
      const text = await res.body.text();
      let reason = text.slice(0, 500);
      try {
        const e = (JSON.parse(text) as { error?: { error?: string; reason?: string }; message?: string })
          .error;
        reason = e?.error || e?.reason || (JSON.parse(text) as { message?: string }).message || reason;
      } catch {}
      const what = `${method} ${path.split('?')[0]}: ${reason || `HTTP ${res.statusCode}`}`;
      if (res.statusCode === 404) throw new NotFoundError(opts.notFound ?? 'NOT_FOUND', what);
      if (res.statusCode === 401)
        throw new AuthError('UNAUTHENTICATED', what, 'Log in again (check DET_USER/DET_PASS).');
      throw new DeterminedError(CODE_BY_STATUS[res.statusCode] ?? 'MASTER_ERROR', what);
    }
    return res;
  }

  async json<T = Json>(method: Method, path: string, opts: CallOptions = {}): Promise<T> {
    const res = await this.raw(method, path, opts);
    const text = await res.body.text();
    return (text ? JSON.parse(text) : {}) as T;
  }

  /** A server-streaming call: newline-delimited `{"result": ...}` objects. */
  async stream<T = Json>(path: string, notFound?: DeterminedErrorCode): Promise<T[]> {
    const res = await this.raw('GET', path, { notFound });
    const text = await res.body.text();
    const out: T[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      const msg = JSON.parse(line) as { result?: T; error?: { error?: string } };
      if (msg.error)
        throw new DeterminedError('MASTER_ERROR', `GET ${path}: ${msg.error.error ?? 'stream error'}`);
      if (msg.result) out.push(msg.result);
    }
    return out;
  }

  /** Every item of a paginated list (`offset`/`limit`, `pagination.total`). */
  async listAll(path: string, key: string, notFound?: DeterminedErrorCode): Promise<Json[]> {
    const out: Json[] = [];
    const sepChar = path.includes('?') ? '&' : '?';
    for (let offset = 0; ; ) {
      const page = await this.json<Json>('GET', `${path}${sepChar}offset=${offset}&limit=500`, { notFound });
      const items = (page[key] as Json[]) ?? [];
      out.push(...items);
      const pagination = (page.pagination ?? {}) as Json;
      const total = Number(pagination.total ?? out.length);
      offset += items.length;
      if (items.length === 0 || out.length >= total) return out;
    }
  }
}
