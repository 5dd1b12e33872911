// A connected unix datagram client over the addon (Node has no AF_UNIX SOCK_DGRAM): what syslog
// (/dev/log) and sd_notify (NOTIFY_SOCKET) need. Sends are synchronous and non-blocking: a line
// is either handed to the receiver now or refused with an errno code (EAGAIN when its queue is
// full), never queued in our process. '@name' is a Linux abstract socket.
import { constants } from 'node:os';
import { loadNative } from './native.js';

// The first name of each number (EAGAIN, not its alias EWOULDBLOCK).
const NAMES: Record<number, string> = {};
for (const [k, v] of Object.entries(constants.errno)) NAMES[v] ??= k;

function errnoName(neg: number): string {
  return NAMES[-neg] ?? `errno ${-neg}`;
}

export class UnixDgramError extends Error {
  constructor(
    readonly code: string,
    readonly path: string,
    readonly syscall: 'connect' | 'send',
  ) {
    super(`${syscall} ${path}: ${code}`);
  }
}

export class UnixDgramClient {
  private constructor(
    readonly path: string,
    private fd: number,
    private readonly native: Required<Pick<ReturnType<typeof loadNative>, 'unixDgramSend' | 'unixDgramClose'>>,
  ) {}

  /** Connects to `path`; throws UnixDgramError (code ENOENT, ECONNREFUSED, ...) when it cannot. */
  static connect(path: string): UnixDgramClient {
    const n = loadNative();
    if (!n.unixDgramOpen || !n.unixDgramSend || !n.unixDgramClose) throw new UnixDgramError('ENOSYS (rebuild the native addon)', path, 'connect');
    const fd = n.unixDgramOpen(path);
    if (fd < 0) throw new UnixDgramError(errnoName(fd), path, 'connect');
    return new UnixDgramClient(path, fd, { unixDgramSend: n.unixDgramSend.bind(n), unixDgramClose: n.unixDgramClose.bind(n) });
  }

  /** Sends one datagram; returns undefined when sent, else the errno name (the socket stays usable). */
  send(data: Buffer | string): string | undefined {
    if (this.fd < 0) return 'EBADF';
    const r = this.native.unixDgramSend(this.fd, typeof data === 'string' ? Buffer.from(data) : data);
    return r === 0 ? undefined : errnoName(r);
  }

  close(): void {
    if (this.fd < 0) return;
    this.native.unixDgramClose(this.fd);
    this.fd = -1;
  }
}
