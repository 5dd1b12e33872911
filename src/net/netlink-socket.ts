// Typed wrapper of the addon's NETLINK_ROUTE socket: link and address change events plus dump
// requests. It only frames messages (nlmsghdr, RFC 3549 2.3.2); attribute parsing belongs to
// the kernel layer. An event-queue overflow (ENOBUFS) is an event, never a crash: the daemon
// answers it by re-reading interface state with a dump.
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                          Length (u32, host order)             |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |            Type (u16)         |           Flags (u16)         |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                      Sequence Number (u32)                    |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                      Process ID / port (u32)                  |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |  payload, padded to 4 bytes ...
import { openNetlink, type NativeRecvError, type NativeRecvMeta, type NativeSocket } from './native.js';

/** Legacy rtnetlink multicast group bits for bind() (linux/rtnetlink.h). */
export const RTMGRP = {
  LINK: 0x1,
  IPV4_IFADDR: 0x10,
  IPV4_ROUTE: 0x40,
  IPV6_IFADDR: 0x100,
  IPV6_ROUTE: 0x400,
} as const;

export const NLMSG = { NOOP: 1, ERROR: 2, DONE: 3, OVERRUN: 4 } as const;
export const NLM_F = { REQUEST: 0x1, MULTI: 0x2, ACK: 0x4, DUMP: 0x300 } as const;
export const NLMSG_HDRLEN = 16;

/** Default receive buffer: large enough that an address storm on a busy host rarely overflows. */
export const DEFAULT_NETLINK_RCVBUF = 4 * 1024 * 1024;

export interface NetlinkMessage {
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  readonly pid: number;
  /** The whole message, header included (length = header length field). */
  readonly bytes: Uint8Array;
}

export class NetlinkFramingError extends Error {
  readonly code = 'ERR_NETLINK_FRAMING';
}

const align4 = (n: number): number => (n + 3) & ~3;

/** Splits one netlink datagram into its messages (host byte order, as the kernel writes). */
export function splitNetlinkMessages(buf: Uint8Array): NetlinkMessage[] {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: NetlinkMessage[] = [];
  let off = 0;
  while (off + NLMSG_HDRLEN <= buf.byteLength) {
    const len = dv.getUint32(off, true);
    if (len < NLMSG_HDRLEN || off + len > buf.byteLength) {
      throw new NetlinkFramingError(`bad netlink message length ${len} at offset ${off} of ${buf.byteLength}`);
    }
    out.push({
      type: dv.getUint16(off + 4, true),
      flags: dv.getUint16(off + 6, true),
      seq: dv.getUint32(off + 8, true),
      pid: dv.getUint32(off + 12, true),
      bytes: buf.subarray(off, off + len),
    });
    off += align4(len);
  }
  return out;
}

/** Writes the header fields of a request the caller laid out (length is set from the buffer). */
export function writeNetlinkHeader(buf: Uint8Array, type: number, flags: number, seq: number): Uint8Array {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  dv.setUint32(0, buf.byteLength, true);
  dv.setUint16(4, type, true);
  dv.setUint16(6, flags, true);
  dv.setUint32(8, seq, true);
  dv.setUint32(12, 0, true);
  return buf;
}

export interface NetlinkSocketOptions {
  /** RTMGRP_* bitmask of event groups; 0 for a request-only socket. */
  groups?: number;
  recvBuffer?: number;
}

interface PendingDump {
  readonly messages: NetlinkMessage[];
  resolve(m: NetlinkMessage[]): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

export class NetlinkSocket {
  private messageHandler: ((m: NetlinkMessage) => void) | undefined;
  private overflowHandler: (() => void) | undefined;
  private errorHandler: ((e: { code: string; errno?: number }) => void) | undefined;
  private readonly pending = new Map<number, PendingDump>();
  private seq = Math.floor(Date.now() / 1000) & 0x7fffffff;
  private closed = false;
  /** Count of ENOBUFS reports since open. */
  overflows = 0;

  private constructor(private readonly sock: NativeSocket) {
    sock.start((data, meta) => this.receive(data, meta));
  }

  static open(opts: NetlinkSocketOptions = {}): NetlinkSocket {
    return new NetlinkSocket(openNetlink({ groups: opts.groups ?? 0, recvBuffer: opts.recvBuffer ?? DEFAULT_NETLINK_RCVBUF }));
  }

  /** Event messages (and replies nobody waits for), in kernel order. */
  onMessage(handler: (m: NetlinkMessage) => void): void {
    this.messageHandler = handler;
  }

  /** The kernel dropped events (ENOBUFS): re-read the state you track. */
  onOverflow(handler: () => void): void {
    this.overflowHandler = handler;
  }

  onError(handler: (e: { code: string; errno?: number }) => void): void {
    this.errorHandler = handler;
  }

  nextSeq(): number {
    this.seq = (this.seq + 1) >>> 0 || 1;
    return this.seq;
  }

  /** Sends a request the caller built (header included). */
  request(msg: Uint8Array): void {
    this.sock.send(msg);
  }

  /**
   * Sends a dump request (NLM_F_DUMP set by the caller, its seq in the header) and resolves
   * with every reply message up to NLMSG_DONE, excluding DONE. An NLMSG_ERROR reply with a
   * non-zero code rejects with that errno.
   */
  dump(msg: Uint8Array, timeoutMs = 5000): Promise<NetlinkMessage[]> {
    const seq = new DataView(msg.buffer, msg.byteOffset, msg.byteLength).getUint32(8, true);
    if (this.pending.has(seq)) return Promise.reject(new Error(`netlink seq ${seq} already pending`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        reject(Object.assign(new Error(`netlink dump seq ${seq} timed out`), { code: 'ETIMEDOUT' }));
      }, timeoutMs);
      this.pending.set(seq, { messages: [], resolve, reject, timer });
      try {
        this.sock.send(msg);
      } catch (e) {
        clearTimeout(timer);
        this.pending.delete(seq);
        reject(e as Error);
      }
    });
  }

  recvBuffer(): number {
    return this.sock.getRecvBuffer();
  }

  /** The port id the kernel assigned to this socket. */
  localPort(): number {
    return this.sock.localPort();
  }

  unref(): void {
    this.sock.unref();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sock.close();
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(Object.assign(new Error('netlink socket closed'), { code: 'ERR_SOCKET_CLOSED' }));
    }
    this.pending.clear();
  }

  private receive(data: Buffer | null, meta: NativeRecvMeta | NativeRecvError): void {
    if (data === null) {
      const e = meta as NativeRecvError;
      if (e.overflow) {
        this.overflows++;
        this.overflowHandler?.();
      } else {
        this.errorHandler?.({ code: e.code, errno: e.errno });
      }
      return;
    }
    const m = meta as NativeRecvMeta;
    // Only the kernel (port 0) may speak to us: user processes can unicast to our port.
    if (m.pid !== 0) return;
    let messages: NetlinkMessage[];
    try {
      messages = splitNetlinkMessages(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    } catch (e) {
      this.errorHandler?.({ code: (e as NetlinkFramingError).code });
      return;
    }
    for (const msg of messages) {
      const p = this.pending.get(msg.seq);
      if (p === undefined || m.groups !== 0) {
        this.messageHandler?.(msg);
        continue;
      }
      if (msg.type === NLMSG.DONE) {
        this.finish(msg.seq, p);
        p.resolve(p.messages);
      } else if (msg.type === NLMSG.ERROR) {
        const dv = new DataView(msg.bytes.buffer, msg.bytes.byteOffset, msg.bytes.byteLength);
        const errno = msg.bytes.byteLength >= 20 ? -dv.getInt32(16, true) : 0;
        this.finish(msg.seq, p);
        if (errno === 0) p.resolve(p.messages);
        else p.reject(Object.assign(new Error(`netlink request seq ${msg.seq} failed: errno ${errno}`), { errno, code: 'ENETLINK' }));
      } else {
        p.messages.push(msg);
        // A single-part reply (no NLM_F_MULTI) ends the exchange by itself.
        if ((msg.flags & NLM_F.MULTI) === 0) {
          this.finish(msg.seq, p);
          p.resolve(p.messages);
        }
      }
    }
  }

  private finish(seq: number, p: PendingDump): void {
    clearTimeout(p.timer);
    this.pending.delete(seq);
  }
}
