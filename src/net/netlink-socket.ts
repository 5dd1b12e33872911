// The one netlink transport: the addon's AF_NETLINK socket (NETLINK_ROUTE by default, or any
// other protocol such as NETLINK_GENERIC) carrying requests with sequence numbers, their
// replies (dump parts up to NLMSG_DONE, ACKs, NLMSG_ERROR as a typed rejection) and multicast
// events. Framing is netlink-codec.ts; payload meaning belongs to the kernel layer. An event-queue overflow (ENOBUFS) is an event, never a crash: the daemon
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
import { openSocket, type NativeRecvError, type NativeRecvMeta, type NativeSocket } from './native.js';
import { buildMessage, NLM_F, NLMSG, parseNlmsgerr, splitNetlinkMessages, type NetlinkMessage, type NetlinkWriter } from './netlink-codec.js';

export { NLM_F, NLMSG, NLMSG_HDRLEN } from './netlink-codec.js';
export type { NetlinkMessage } from './netlink-codec.js';

/** Netlink protocols (linux/netlink.h) we open. */
export const NETLINK_PROTO = { ROUTE: 0, NETFILTER: 12, GENERIC: 16 } as const;

/** Legacy rtnetlink multicast group bits for bind() (linux/rtnetlink.h). */
export const RTMGRP = {
  LINK: 0x1,
  IPV4_IFADDR: 0x10,
  IPV4_ROUTE: 0x40,
  IPV6_IFADDR: 0x100,
  IPV6_ROUTE: 0x400,
} as const;

/** Default receive buffer: large enough that an address storm on a busy host rarely overflows. */
export const DEFAULT_NETLINK_RCVBUF = 4 * 1024 * 1024;

export class NetlinkFramingError extends Error {
  readonly code = 'ERR_NETLINK_FRAMING';
}

/** The kernel answered a request with NLMSG_ERROR and a non-zero errno. */
export class NetlinkRequestError extends Error {
  readonly code = 'ENETLINK';
  constructor(
    readonly errno: number,
    readonly seq: number,
  ) {
    super(`netlink request seq ${seq} failed: errno ${errno}`);
  }
}

/** No complete answer within the timeout. */
export class NetlinkTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
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
  /** Netlink protocol; default NETLINK_ROUTE. */
  protocol?: number;
  /** Multicast group bitmask (RTMGRP_* for rtnetlink); 0 for a request-only socket. */
  groups?: number;
  recvBuffer?: number;
}

interface Pending {
  readonly messages: NetlinkMessage[];
  /** NLM_F_ACK was asked: only NLMSG_ERROR (errno 0 = ACK) ends the exchange. */
  readonly ack: boolean;
  resolve(m: NetlinkMessage[]): void;
  reject(e: Error): void;
  /** Its own timeout; undefined for a request of a batch (requestMany: one timer for all). */
  timer: NodeJS.Timeout | undefined;
}

export class NetlinkSocket {
  private messageHandler: ((m: NetlinkMessage) => void) | undefined;
  private overflowHandler: (() => void) | undefined;
  private errorHandler: ((e: { code: string; errno?: number }) => void) | undefined;
  private readonly pending = new Map<number, Pending>();
  private seq = Math.floor(Date.now() / 1000) & 0x7fffffff;
  private closed = false;
  /** Count of ENOBUFS reports since open. */
  overflows = 0;

  private constructor(private readonly sock: NativeSocket) {
    sock.start((data, meta) => this.receive(data, meta));
  }

  static open(opts: NetlinkSocketOptions = {}): NetlinkSocket {
    return new NetlinkSocket(
      openSocket('netlink', { protocol: opts.protocol ?? NETLINK_PROTO.ROUTE, groups: opts.groups ?? 0, recvBuffer: opts.recvBuffer ?? DEFAULT_NETLINK_RCVBUF }),
    );
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

  /** Sends a message the caller built (header included) without waiting for anything. */
  send(msg: Uint8Array): void {
    this.sock.send(msg);
  }

  /**
   * Builds and sends one request (NLM_F_REQUEST added, a fresh sequence number) and resolves with
   * its reply messages, ACK and NLMSG_DONE left out. A dump (NLM_F_DUMP) ends at NLMSG_DONE; any
   * other request is sent with NLM_F_ACK and ends at the kernel's ACK. NLMSG_ERROR with a
   * non-zero errno rejects with NetlinkRequestError.
   */
  request(type: number, flags: number, body: (w: NetlinkWriter) => void, timeoutMs = 5000): Promise<NetlinkMessage[]> {
    const isDump = (flags & NLM_F.DUMP) === NLM_F.DUMP;
    const seq = this.nextSeq();
    const msg = buildMessage(type, flags | NLM_F.REQUEST | (isDump ? 0 : NLM_F.ACK), seq, body);
    return this.exchange(msg, seq, !isDump, timeoutMs);
  }

  /**
   * Several requests of one message type sent in ONE datagram: the kernel runs them in order
   * inside that one sendmsg() and queues their answers in the same order. Only the last asks for
   * an ACK (NLM_F_ACK); the others are answered only when they fail (NLMSG_ERROR always comes
   * back) or when they return data. So a batch of N changes that all succeed costs one system
   * call, one timer and one reply datagram instead of N of each; the last ACK, queued after every
   * earlier answer, says the others succeeded. Resolves, in the order of `bodies`, with each
   * one's reply messages ([] for a change that succeeded) or the Error it ended with (its
   * NetlinkRequestError, the error its body threw while being encoded, a timeout); never rejects.
   * The caller keeps a batch small enough for the send buffer and for the answers of the ones
   * that fail to fit the receive buffer (a few hundred requests).
   */
  requestMany(type: number, bodies: readonly ((w: NetlinkWriter) => void)[], timeoutMs = 5000): Promise<(NetlinkMessage[] | Error)[]> {
    const results = new Array<NetlinkMessage[] | Error>(bodies.length);
    if (this.closed) return Promise.resolve(results.fill(Object.assign(new Error('netlink socket closed'), { code: 'ERR_SOCKET_CLOSED' })));
    const parts: Buffer[] = [];
    const seqs: number[] = [];
    const index: number[] = [];
    bodies.forEach((body, i) => {
      const seq = this.nextSeq();
      try {
        parts.push(buildMessage(type, NLM_F.REQUEST, seq, body));
        seqs.push(seq);
        index.push(i);
      } catch (e) {
        results[i] = e instanceof Error ? e : new Error(String(e));
      }
    });
    if (parts.length === 0) return Promise.resolve(results);
    // The barrier: the last request asks for its ACK (the flags are bytes 6-7 of its header).
    const last = parts[parts.length - 1];
    last.writeUInt16LE(last.readUInt16LE(6) | NLM_F.ACK, 6);
    return new Promise((resolve) => {
      let left = parts.length;
      const settle = (i: number, r: NetlinkMessage[] | Error): void => {
        results[i] = r;
        if (--left === 0) {
          clearTimeout(timer);
          resolve(results);
        }
      };
      const timer = setTimeout(() => {
        seqs.forEach((seq, k) => {
          if (!this.pending.has(seq)) return;
          this.pending.delete(seq);
          settle(index[k], new NetlinkTimeoutError(`netlink request seq ${seq} timed out after ${timeoutMs} ms`));
        });
      }, timeoutMs);
      const end = seqs.length - 1;
      seqs.forEach((seq, k) => {
        const done = (r: NetlinkMessage[] | Error): void => {
          settle(index[k], r);
          if (k !== end) return;
          // Everything sent before the barrier has been answered by now, or succeeded silently.
          for (let j = 0; j < end; j++) {
            const p = this.pending.get(seqs[j]);
            if (!p) continue;
            this.pending.delete(seqs[j]);
            settle(index[j], p.messages);
          }
        };
        this.pending.set(seq, { messages: [], ack: k === end, resolve: done, reject: done, timer: undefined });
      });
      try {
        this.sock.send(parts.length === 1 ? parts[0] : Buffer.concat(parts));
      } catch (e) {
        for (const [k, seq] of seqs.entries()) {
          this.pending.delete(seq);
          settle(index[k], e as Error);
        }
      }
    });
  }

  /**
   * Sends a request the caller framed (its seq in the header) and resolves with every reply up
   * to NLMSG_DONE (excluded), or with the single reply of a non-multipart answer.
   */
  dump(msg: Uint8Array, timeoutMs = 5000): Promise<NetlinkMessage[]> {
    const dv = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
    return this.exchange(msg, dv.getUint32(8, true), (dv.getUint16(6, true) & NLM_F.ACK) !== 0 && (dv.getUint16(6, true) & NLM_F.DUMP) !== NLM_F.DUMP, timeoutMs);
  }

  /**
   * Sends messages the caller framed (a batch: nfnetlink's BEGIN, commands, END) and resolves at
   * the ACK (or rejects at the error) carrying `seq`, the one message that asked for an ACK.
   */
  batch(msg: Uint8Array, seq: number, timeoutMs = 5000): Promise<NetlinkMessage[]> {
    return this.exchange(msg, seq, true, timeoutMs);
  }

  private exchange(msg: Uint8Array, seq: number, ack: boolean, timeoutMs: number): Promise<NetlinkMessage[]> {
    if (this.closed) return Promise.reject(Object.assign(new Error('netlink socket closed'), { code: 'ERR_SOCKET_CLOSED' }));
    if (this.pending.has(seq)) return Promise.reject(new Error(`netlink seq ${seq} already pending`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        reject(new NetlinkTimeoutError(`netlink request seq ${seq} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(seq, { messages: [], ack, resolve, reject, timer });
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
      if (p.timer) clearTimeout(p.timer);
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
    const split = splitNetlinkMessages(data);
    for (const msg of split.messages) this.dispatch(msg, m.groups !== 0);
    if (split.error) this.errorHandler?.({ code: new NetlinkFramingError(split.error.message).code });
  }

  private dispatch(msg: NetlinkMessage, multicast: boolean): void {
    const p = this.pending.get(msg.seq);
    if (p === undefined || multicast) {
      this.messageHandler?.(msg);
      return;
    }
    if (msg.type === NLMSG.DONE) {
      this.finish(msg.seq, p);
      p.resolve(p.messages);
    } else if (msg.type === NLMSG.ERROR) {
      const r = parseNlmsgerr(msg.payload);
      const errno = r.ok ? r.value.errno : 0;
      this.finish(msg.seq, p);
      if (!r.ok) p.reject(new NetlinkFramingError(r.error.message));
      else if (errno === 0) p.resolve(p.messages);
      else p.reject(new NetlinkRequestError(errno, msg.seq));
    } else {
      p.messages.push(msg);
      // A single-part reply (no NLM_F_MULTI) to a request without ACK ends the exchange by itself.
      if (!p.ack && (msg.flags & NLM_F.MULTI) === 0) {
        this.finish(msg.seq, p);
        p.resolve(p.messages);
      }
    }
  }

  private finish(seq: number, p: Pending): void {
    if (p.timer) clearTimeout(p.timer);
    this.pending.delete(seq);
  }
}
