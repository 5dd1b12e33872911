// `keepalived-ts status [--json]` and `keepalived-ts reload`: one request to a running daemon over
// its control socket (docs/control-socket.md), one answer printed. The socket is --control-socket,
// else the one beside the pid file (-p, default /run/keepalived.pid), as the daemon chose it.
//
// Exit codes: 0 done (status printed; reload applied or unchanged), 1 reload rejected,
// 2 no daemon answers or the answer is not understood.
import { createConnection } from 'node:net';
import { defaultControlSocket, DEFAULT_PID_FILE, type ControlResponse } from '../core/control-protocol.js';
import { formatStatusText, type StatusDocument } from '../core/control-status.js';
import type { CliOptions, ControlCommandName } from './argv.js';

export const EXIT_REJECTED = 1;
export const EXIT_NO_DAEMON = 2;

export interface ClientIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

/** Sends one request line and resolves with the first answer line (parsed). */
export function request(path: string, req: object, timeoutMs: number): Promise<ControlResponse> {
  return new Promise((resolve, reject) => {
    const s = createConnection({ path });
    let buf = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no answer within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    const done = (f: () => void) => {
      clearTimeout(timer);
      s.destroy();
      f();
    };
    s.once('connect', () => s.write(JSON.stringify(req) + '\n'));
    s.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      const line = buf.slice(0, nl);
      done(() => {
        try {
          resolve(JSON.parse(line) as ControlResponse);
        } catch {
          reject(new Error('the answer is not JSON'));
        }
      });
    });
    s.once('error', (e: NodeJS.ErrnoException) => done(() => reject(e)));
    s.once('end', () => done(() => reject(new Error('the daemon closed the connection without an answer'))));
  });
}

export function socketFor(o: Pick<CliOptions, 'controlSocket' | 'pidFile'>): string {
  return o.controlSocket ?? defaultControlSocket(o.pidFile ?? DEFAULT_PID_FILE);
}

export async function runControlCommand(cmd: ControlCommandName, o: CliOptions, io: ClientIo): Promise<number> {
  const path = socketFor(o);
  if (o.operands.length > 1) {
    io.stderr(`keepalived-ts: ${cmd} takes no argument (got: ${o.operands.slice(1).join(' ')})\n`);
    return EXIT_NO_DAEMON;
  }
  let r: ControlResponse;
  try {
    // A reload parses the whole configuration first: give it time.
    r = await request(path, { cmd }, cmd === 'reload' ? 300_000 : 10_000);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' || code === 'ECONNREFUSED'
        ? `no daemon listens there (${code}); is keepalived-ts running, and started with this -p/--control-socket?`
        : code === 'EACCES'
          ? 'permission denied (the socket is root-only: run as root)'
          : (code ?? (e as Error).message);
    io.stderr(`keepalived-ts: cannot reach the daemon on ${path}: ${why}\n`);
    return EXIT_NO_DAEMON;
  }
  if (!r.ok) {
    io.stderr(`keepalived-ts: the daemon refused the ${cmd} request: ${r.error.code}: ${r.error.message}\n`);
    return EXIT_NO_DAEMON;
  }
  switch (r.cmd) {
    case 'status':
      io.stdout(o.json ? JSON.stringify(r.status, null, 2) + '\n' : formatStatusText(r.status as StatusDocument));
      return 0;
    case 'reload': {
      const { outcome, diagnostics, changes } = r.reload;
      const lines = [`reload ${outcome}`, ...changes.map((c) => `  change: ${c}`), ...diagnostics.map((d) => `  ${d}`)];
      (outcome === 'rejected' ? io.stderr : io.stdout)(lines.join('\n') + '\n');
      return outcome === 'rejected' ? EXIT_REJECTED : 0;
    }
    default:
      io.stderr(`keepalived-ts: unexpected answer to ${cmd}\n`);
      return EXIT_NO_DAEMON;
  }
}
