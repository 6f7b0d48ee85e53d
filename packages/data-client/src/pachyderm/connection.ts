import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DataClientError } from '../errors.js';

/** A pachd address as pachctl parses it (src/internal/grpcutil/addr.go, ParsePachdAddress). */
export interface PachdAddress {
  /** `grpc://host:port`, `grpcs://host:port` or `unix:///path`, as pachctl prints it (Qualified). */
  qualified: string;
  /** What @grpc/grpc-js dials. */
  target: string;
  tls: boolean;
}

const DEFAULT_PORT = 30650;

function badAddress(value: string, why: string): DataClientError {
  return new DataClientError(
    'BAD_OPTIONS',
    `"${value}" is not a pachd address: ${why}`,
    'Use host:port, grpc://host:port, grpcs://host:port (TLS) or unix:///path/to/socket, e.g. grpc://localhost:30650.',
  );
}

/**
 * Parses `host[:port]`, `grpc://…`, `grpcs://…` (TLS), `http://…`, `https://…` (TLS) or `unix://…`, as
 * pachctl does: no scheme means grpc, the port defaults to 30650, and paths, credentials, queries and
 * fragments are refused.
 */
export function parsePachdAddress(input: string): PachdAddress {
  const value = input.trim();
  if (!value) throw badAddress(input, 'it is empty');
  const withScheme = value.includes('://') ? value : `grpc://${value}`;
  let u: URL;
  try {
    u = new URL(withScheme);
  } catch {
    throw badAddress(input, 'it does not parse as host:port or a URL');
  }
  const scheme = u.protocol.slice(0, -1);
  if (scheme === 'unix') return { qualified: withScheme, target: withScheme, tls: false };
  if (!['grpc', 'grpcs', 'http', 'https'].includes(scheme))
    throw badAddress(input, `unknown scheme "${scheme}"`);
  // WHATWG URLs report "/" for an empty path of a special scheme (http, https); Go's url.Parse reports "".
  if (u.pathname !== '' && u.pathname !== '/') throw badAddress(input, 'it should not include a path');
  if (u.pathname === '/' && /^[a-z]+:\/\/[^/]+\/$/i.test(withScheme))
    throw badAddress(input, 'it should not include a path');
  if (u.username || u.password) throw badAddress(input, 'it should not include login credentials');
  if (u.search) throw badAddress(input, 'it should not include a query string');
  if (u.hash) throw badAddress(input, 'it should not include a fragment');
  if (!u.hostname) throw badAddress(input, 'it has no host');
  // WHATWG URLs drop a scheme's default port (https://h:443 → ""); Go's url.Port keeps what was written.
  const written = /^[a-z]+:\/\/(?:\[[^\]]*\]|[^/:?#]*)(?::(\d*))?/i.exec(withScheme)?.[1];
  const port = written ? Number(written) : DEFAULT_PORT;
  if (port > 65535) throw badAddress(input, `port ${written} is out of range`);
  const tls = scheme === 'grpcs' || scheme === 'https';
  const host = u.hostname;
  return { qualified: `${tls ? 'grpcs' : 'grpc'}://${host}:${port}`, target: `${host}:${port}`, tls };
}

/** Where and how to reach pachd, with what the answer was made from. */
export interface PachdConnection {
  address: PachdAddress;
  token?: string;
  /** PEM root certificates from the context's `server_cas`. */
  rootCerts?: Buffer;
  /** The project of the context (pachctl's default: `default`). */
  project: string;
  /** e.g. `PACHD_ADDRESS` or `context "prod" of /home/me/.pachyderm/config.json`. */
  source: string;
}

interface PachctlContext {
  pachd_address?: string;
  session_token?: string;
  server_cas?: string;
  project?: string;
}

/** pachctl's config file: PACH_CONFIG, else /pachctl/config.json when present, else ~/.pachyderm/config.json. */
export function pachctlConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PACH_CONFIG !== undefined) return env.PACH_CONFIG;
  if (existsSync('/pachctl/config.json')) return '/pachctl/config.json';
  return join(env.HOME || homedir(), '.pachyderm', 'config.json');
}

function badConfig(message: string, hint: string): DataClientError {
  return new DataClientError('BAD_CONFIG', message, hint);
}

/**
 * The active context of pachctl's config (src/internal/config/config.go, ActiveContext): PACH_CONTEXT
 * when set (it must exist), else `v2.active_context`. Undefined when there is no config file or no
 * active context.
 */
export function activePachctlContext(
  env: NodeJS.ProcessEnv = process.env,
): { name: string; path: string; context: PachctlContext } | undefined {
  const path = pachctlConfigPath(env);
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      if (env.PACH_CONTEXT) {
        throw badConfig(
          `PACH_CONTEXT is "${env.PACH_CONTEXT}" but there is no pachctl config at ${path}`,
          'Create the context with `pachctl config import-kube` or `pachctl connect`, or unset PACH_CONTEXT.',
        );
      }
      return undefined;
    }
    throw e;
  }
  if (raw.trim() === '') return undefined;
  let config: { v2?: { active_context?: string; contexts?: Record<string, PachctlContext> } };
  try {
    config = JSON.parse(raw);
  } catch (e) {
    throw badConfig(
      `could not parse the pachctl config at ${path}: ${(e as Error).message}`,
      'Fix the JSON, or point PACH_CONFIG at another file.',
    );
  }
  const contexts = config.v2?.contexts ?? {};
  const fromEnv = env.PACH_CONTEXT;
  const name = fromEnv ?? config.v2?.active_context ?? '';
  if (!name) return undefined;
  const context = contexts[name];
  if (!context) {
    throw badConfig(
      fromEnv
        ? `PACH_CONTEXT refers to a context ("${name}") that does not exist in ${path}`
        : `the active context of ${path} is "${name}", but no context of that name is configured`,
      `Known contexts: ${Object.keys(contexts).join(', ') || 'none'}. Choose one with \`pachctl config set active-context <context>\`.`,
    );
  }
  return { name, path, context };
}

/**
 * Resolves the connection the way pachctl does (src/internal/client/client.go, getUserMachineAddrAndOpts):
 * an explicit address, else PACHD_ADDRESS, else the active context's `pachd_address` (with its
 * `server_cas`, which needs grpcs://). The token is the explicit one, else PACH_TOKEN (what pachd gives
 * pipeline workers), else the context's `session_token`.
 */
export function resolvePachdConnection(
  opts: { address?: string; token?: string; project?: string },
  env: NodeJS.ProcessEnv = process.env,
): PachdConnection | undefined {
  const active = activePachctlContext(env);
  const ctx = active?.context;
  const token = opts.token || env.PACH_TOKEN || ctx?.session_token || undefined;
  const project = opts.project || ctx?.project || 'default';
  const given = opts.address ? 'the given address' : env.PACHD_ADDRESS ? 'PACHD_ADDRESS' : undefined;
  const explicit = opts.address || env.PACHD_ADDRESS;
  if (explicit) return { address: parsePachdAddress(explicit), token, project, source: given as string };
  if (!active || !ctx?.pachd_address) return undefined;
  const source = `context "${active.name}" of ${active.path}`;
  const address = parsePachdAddress(ctx.pachd_address);
  let rootCerts: Buffer | undefined;
  if (ctx.server_cas) {
    if (!address.tls) {
      throw badConfig(
        `${source}: server_cas is set, so pachd_address must be grpcs://… (it is ${ctx.pachd_address})`,
        'Set pachd_address to grpcs://host:port, or remove server_cas.',
      );
    }
    rootCerts = Buffer.from(ctx.server_cas, 'base64');
  }
  return { address, token, rootCerts, project, source };
}
