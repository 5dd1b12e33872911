// The control socket's protocol (docs/adr/0021-control-socket-protocol.md, docs/control-socket.md):
// one JSON object per line each way over a unix stream socket. A request names a command; the
// answer carries `ok` and either the command's result or an error with a stable code. Pure: the
// parsing and the shapes; control-server.ts does the I/O.
import { dirname, basename, join } from 'node:path';

export const PROTOCOL_VERSION = 1;

/** Longest request line accepted (bytes, newline excluded); a longer one is refused and the connection closed. */
export const MAX_REQUEST_BYTES = 4096;

export type ControlCommand = 'status' | 'reload' | 'ping';

export interface ControlRequest {
  readonly cmd: ControlCommand;
  /** Echoed in the answer, so a client may pipeline requests. */
  readonly id?: string | number;
}

/** The outcome of a reload as the daemon's reload() reports it (src/core/reload.ts). */
export interface ReloadResult {
  readonly outcome: 'applied' | 'rejected' | 'unchanged';
  readonly diagnostics: readonly string[];
  readonly changes: readonly string[];
}

export type ErrorCode = 'bad-json' | 'bad-request' | 'unknown-command' | 'too-long' | 'busy' | 'internal';

export type ControlResponse =
  | { readonly ok: true; readonly v: number; readonly id?: string | number; readonly cmd: 'status'; readonly status: unknown }
  | { readonly ok: true; readonly v: number; readonly id?: string | number; readonly cmd: 'reload'; readonly reload: ReloadResult }
  | { readonly ok: true; readonly v: number; readonly id?: string | number; readonly cmd: 'ping'; readonly pid: number }
  | { readonly ok: false; readonly v: number; readonly id?: string | number; readonly error: { readonly code: ErrorCode; readonly message: string } };

const COMMANDS: ReadonlySet<string> = new Set<ControlCommand>(['status', 'reload', 'ping']);

export type ParsedRequest = { readonly ok: true; readonly request: ControlRequest } | { readonly ok: false; readonly code: ErrorCode; readonly message: string; readonly id?: string | number };

/** One request line (without its newline) -> a request, or why it is refused. */
export function parseRequest(line: string): ParsedRequest {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return { ok: false, code: 'bad-json', message: 'request is not JSON: send one JSON object per line, e.g. {"cmd":"status"}' };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { ok: false, code: 'bad-request', message: 'request must be a JSON object with a "cmd" field' };
  const o = v as Record<string, unknown>;
  const id = typeof o.id === 'string' || typeof o.id === 'number' ? o.id : undefined;
  const idPart = id !== undefined ? { id } : {};
  if (o.id !== undefined && id === undefined) return { ok: false, code: 'bad-request', message: '"id" must be a string or a number' };
  if (typeof o.cmd !== 'string') return { ok: false, code: 'bad-request', message: 'request has no "cmd" string', ...idPart };
  if (!COMMANDS.has(o.cmd)) return { ok: false, code: 'unknown-command', message: `unknown command "${o.cmd.slice(0, 40)}" (known: ${[...COMMANDS].join(', ')})`, ...idPart };
  return { ok: true, request: { cmd: o.cmd as ControlCommand, ...idPart } };
}

export function errorResponse(code: ErrorCode, message: string, id?: string | number): ControlResponse {
  return { ok: false, v: PROTOCOL_VERSION, ...(id !== undefined ? { id } : {}), error: { code, message } };
}

/**
 * The control socket a daemon with pid file `pidFile` listens on, beside it: the pid file's name
 * without `.pid`, then `-ts.ctl` (/run/keepalived.pid -> /run/keepalived-ts.ctl). Two daemons
 * already need two pid files, so they get two sockets.
 */
export function defaultControlSocket(pidFile: string): string {
  const name = basename(pidFile).replace(/\.pid$/, '');
  return join(dirname(pidFile), `${name}-ts.ctl`);
}

/** The pid file keepalived (and we) use without -p. */
export const DEFAULT_PID_FILE = '/run/keepalived.pid';
