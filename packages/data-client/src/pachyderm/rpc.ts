import * as grpc from '@grpc/grpc-js';
import { DataClientError, type DataClientErrorCode, type DataClientErrorPlace } from '../errors.js';
import type { ModifyFileRequest, StreamCalls, UnaryCalls } from './messages.js';
import { pfsPackageDefinition } from './proto.js';

export interface PfsRpcOptions {
  /** The gRPC target: `host:port` or `unix:///path`. */
  target: string;
  /** The address as the user gave it, for messages. */
  address: string;
  tls: boolean;
  /** PEM root certificates for TLS (a context's `server_cas`); the system's when absent. */
  rootCerts?: Buffer;
  /** Sent as `authn-token` metadata, as pachctl does. */
  token?: string;
  /** Deadline of each unary call. */
  timeoutMs: number;
  /** Deadline of each streamed call (listings, downloads, uploads) and of waiting for a commit to finish. */
  transferTimeoutMs: number;
}

/** What a failed call was doing, and which code a NOT_FOUND answer means for it. */
export interface CallContext {
  what: string;
  notFound?: DataClientErrorCode;
  /** The repo, ref and path the call was about, carried by its error. */
  at?: DataClientErrorPlace;
}

// pachd tells failures apart by gRPC status code (src/server/pfs/pfs.go: ErrRepoNotFound, ErrCommitNotFound,
// ErrFileNotFound… are NotFound; ErrRepoExists is AlreadyExists); which thing is missing follows from the
// call that was made, so no message text is parsed.
function failure(e: unknown, ctx: CallContext, opts: PfsRpcOptions, deadlineMs: number): DataClientError {
  const err = e as Partial<grpc.ServiceError>;
  const details = err.details || err.message || String(e);
  const code = err.code;
  const cause = { cause: e, at: ctx.at };
  switch (code) {
    case grpc.status.UNAVAILABLE:
      return new DataClientError(
        'BACKEND_UNAVAILABLE',
        `${ctx.what}: pachd at ${opts.address} is not reachable (${details})`,
        'Check --pachd / PACHD_ADDRESS (or the pachctl context) and that pachd runs (pachctl port-forward).',
        cause,
      );
    case grpc.status.DEADLINE_EXCEEDED:
      return new DataClientError(
        'BACKEND_UNAVAILABLE',
        `${ctx.what}: pachd at ${opts.address} did not answer within ${Math.round(deadlineMs / 1000)} s`,
        'pachd may be overloaded or stuck; check `pachctl inspect cluster` and its logs, then try again.',
        cause,
      );
    case grpc.status.UNAUTHENTICATED:
    case grpc.status.PERMISSION_DENIED:
      return new DataClientError(
        'ACCESS_DENIED',
        `${ctx.what}: pachd refused (${details})`,
        'Log in with `pachctl auth login`, or give a token in PACH_TOKEN.',
        cause,
      );
    case grpc.status.NOT_FOUND:
      return new DataClientError(
        ctx.notFound ?? 'BACKEND_ERROR',
        `${ctx.what}: ${details}`,
        undefined,
        cause,
      );
    case grpc.status.ALREADY_EXISTS:
      return new DataClientError('REPO_EXISTS', `${ctx.what}: ${details}`, undefined, cause);
    default:
      return new DataClientError('BACKEND_ERROR', `${ctx.what}: ${details}`, undefined, cause);
  }
}

type UnaryMethod = (
  req: unknown,
  meta: grpc.Metadata,
  opts: grpc.CallOptions,
  cb: (e: grpc.ServiceError | null, res: unknown) => void,
) => grpc.ClientUnaryCall;
type StreamMethod = (
  req: unknown,
  meta: grpc.Metadata,
  opts: grpc.CallOptions,
) => grpc.ClientReadableStream<unknown>;
type ClientStreamMethod = (
  meta: grpc.Metadata,
  opts: grpc.CallOptions,
  cb: (e: grpc.ServiceError | null, res: unknown) => void,
) => grpc.ClientWritableStream<unknown>;

/** pfs_v2.API calls, each with a deadline, failing with DataClientError. */
export interface PfsRpc {
  unary<K extends keyof UnaryCalls>(
    method: K,
    req: UnaryCalls[K][0],
    ctx: CallContext,
    timeoutMs?: number,
  ): Promise<UnaryCalls[K][1]>;
  stream<K extends keyof StreamCalls>(
    method: K,
    req: StreamCalls[K][0],
    ctx: CallContext,
  ): AsyncIterable<StreamCalls[K][1]>;
  collect<K extends keyof StreamCalls>(
    method: K,
    req: StreamCalls[K][0],
    ctx: CallContext,
  ): Promise<StreamCalls[K][1][]>;
  /** One ModifyFile stream: `send` writes the messages (awaiting flow control); the call ends when it returns. */
  modifyFile(
    send: (write: (m: ModifyFileRequest) => Promise<void>) => Promise<void>,
    ctx: CallContext,
    timeoutMs: number,
  ): Promise<void>;
  close(): void;
}

export function createPfsRpc(opts: PfsRpcOptions): PfsRpc {
  const loaded = grpc.loadPackageDefinition(pfsPackageDefinition()) as unknown as {
    pfs_v2: { API: grpc.ServiceClientConstructor };
  };
  const credentials = opts.tls
    ? grpc.credentials.createSsl(opts.rootCerts ?? null)
    : grpc.credentials.createInsecure();
  const api = new loaded.pfs_v2.API(opts.target, credentials, {
    'grpc.max_receive_message_length': 64 << 20,
  }) as unknown as grpc.Client & Record<string, unknown>;
  const meta = () => {
    const m = new grpc.Metadata();
    if (opts.token) m.set('authn-token', opts.token);
    return m;
  };
  const method = <T>(name: string) => (api[name] as T & { bind: (t: unknown) => T }).bind(api);

  const rpc: PfsRpc = {
    unary(name, req, ctx, timeoutMs = opts.timeoutMs) {
      return new Promise((resolve, reject) => {
        method<UnaryMethod>(name)(req, meta(), { deadline: Date.now() + timeoutMs }, (e, res) =>
          e ? reject(failure(e, ctx, opts, timeoutMs)) : resolve(res as never),
        );
      });
    },

    stream(name, req, ctx) {
      const timeoutMs = opts.transferTimeoutMs;
      return {
        async *[Symbol.asyncIterator]() {
          const call = method<StreamMethod>(name)(req, meta(), { deadline: Date.now() + timeoutMs });
          try {
            for await (const m of call) yield m as never;
          } catch (e) {
            throw failure(e, ctx, opts, timeoutMs);
          } finally {
            call.cancel();
          }
        },
      };
    },

    async collect(name, req, ctx) {
      const out = [];
      for await (const m of rpc.stream(name, req, ctx)) out.push(m);
      return out;
    },

    modifyFile(send, ctx, timeoutMs) {
      return new Promise((resolve, reject) => {
        let sourceError: unknown;
        let ended: Error | undefined;
        const waiting = new Set<(e?: Error) => void>();
        const call = method<ClientStreamMethod>('ModifyFile')(
          meta(),
          { deadline: Date.now() + timeoutMs },
          (e) => {
            ended = e ?? new Error('ModifyFile ended');
            for (const wake of waiting) wake(ended);
            if (sourceError !== undefined) reject(sourceError);
            else if (e) reject(failure(e, ctx, opts, timeoutMs));
            else resolve();
          },
        );
        // Resolves once the message is handed to the transport (flow control), fails once the call is over.
        const write = (m: ModifyFileRequest) =>
          new Promise<void>((ok, fail) => {
            if (ended) return fail(ended);
            if (call.write(m)) return ok();
            const wake = (e?: Error) => {
              waiting.delete(wake);
              call.off('drain', onDrain);
              if (e) fail(e);
              else ok();
            };
            const onDrain = () => wake();
            waiting.add(wake);
            call.once('drain', onDrain);
          });
        send(write).then(
          () => call.end(),
          (e) => {
            // The source failed: cancelling the stream makes pachd drop what it received (no commit).
            if (e !== ended) sourceError = e;
            call.cancel();
          },
        );
      });
    },

    close() {
      api.close();
    },
  };
  return rpc;
}
