// The one netlink codec: message framing (nlmsghdr), attributes (rtattr/nlattr, nested), the
// NLMSG_ERROR body, for every netlink family we speak (rtnetlink now, generic netlink for IPVS
// next). Pure: no sockets. Integers are in host order, little-endian on our targets.
//
//   message:   nlmsg_len u32 | type u16 | flags u16 | seq u32 | pid u32 | payload, padded to 4
//   attribute: nla_len u16 | nla_type u16 | data, padded to 4 (nla_len excludes the padding)
//   nested:    an attribute whose data is itself a run of attributes (NLA_F_NESTED in the type)
//
// The writer reserves a length field, lets the caller append, and fills the length in at the
// end, so nesting is just a stack of open offsets. The reader never throws on kernel input: it
// returns a Result whose error says what was wrong and where.

export const NLMSG = { NOOP: 1, ERROR: 2, DONE: 3, OVERRUN: 4 } as const;
export const NLM_F = {
  REQUEST: 0x1,
  MULTI: 0x2,
  ACK: 0x4,
  ECHO: 0x8,
  ROOT: 0x100,
  MATCH: 0x200,
  DUMP: 0x300,
  REPLACE: 0x100,
  EXCL: 0x200,
  CREATE: 0x400,
  APPEND: 0x800,
} as const;
export const NLMSG_HDRLEN = 16;
export const NLA_HDRLEN = 4;
export const NLA_F_NESTED = 0x8000;
export const NLA_F_NET_BYTEORDER = 0x4000;
const NLA_TYPE_MASK = 0x3fff;

export const align4 = (n: number): number => (n + 3) & ~3;

export type NetlinkParseErrorCode =
  | 'truncated-header' // fewer than 16 bytes left for a netlink header
  | 'bad-length' // nlmsg_len smaller than the header or past the end of the buffer
  | 'bad-attribute' // an attribute whose length is impossible
  | 'truncated-payload'; // a payload shorter than its fixed part (e.g. nlmsgerr)

export interface NetlinkParseError {
  readonly kind: 'parseError';
  readonly code: NetlinkParseErrorCode;
  readonly message: string;
  /** Byte offset inside the buffer that was being read. */
  readonly offset: number;
  /** nlmsg_type when the header could be read. */
  readonly msgType?: number;
}

export type NlResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: NetlinkParseError };

export const nlParseError = (code: NetlinkParseErrorCode, message: string, offset = 0, msgType?: number): NetlinkParseError => ({
  kind: 'parseError',
  code,
  message,
  offset,
  ...(msgType !== undefined ? { msgType } : {}),
});

/** One message cut out of a datagram. `payload` views the bytes after the header. */
export interface NetlinkMessage {
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  readonly pid: number;
  readonly payload: Buffer;
  /** The whole message, header included. */
  readonly bytes: Buffer;
  /** Offset of the header inside the datagram. */
  readonly offset: number;
}

const asBuffer = (b: Uint8Array): Buffer => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/**
 * Splits a datagram into messages. Stops at the first unusable header and returns its error
 * beside the messages before it: once a length is wrong, nothing after it can be trusted.
 */
export function splitNetlinkMessages(buf: Uint8Array): { messages: NetlinkMessage[]; error?: NetlinkParseError } {
  const b = asBuffer(buf);
  const messages: NetlinkMessage[] = [];
  let off = 0;
  while (off < b.length) {
    if (b.length - off < NLMSG_HDRLEN) {
      return { messages, error: nlParseError('truncated-header', `${b.length - off} bytes left, header needs 16`, off) };
    }
    const len = b.readUInt32LE(off);
    const type = b.readUInt16LE(off + 4);
    if (len < NLMSG_HDRLEN || off + len > b.length) {
      return { messages, error: nlParseError('bad-length', `nlmsg_len ${len} at offset ${off}, buffer ${b.length}`, off, type) };
    }
    messages.push({
      type,
      flags: b.readUInt16LE(off + 6),
      seq: b.readUInt32LE(off + 8),
      pid: b.readUInt32LE(off + 12),
      payload: b.subarray(off + NLMSG_HDRLEN, off + len),
      bytes: b.subarray(off, off + len),
      offset: off,
    });
    off += align4(len);
  }
  return { messages };
}

/**
 * Attributes as type -> data (the last of a type wins; the NESTED and NET_BYTEORDER bits are
 * masked off the type). Trailing bytes shorter than an attribute header are padding.
 */
export function parseAttributes(buf: Uint8Array): NlResult<Map<number, Buffer>> {
  const b = asBuffer(buf);
  const attrs = new Map<number, Buffer>();
  let off = 0;
  while (off + NLA_HDRLEN <= b.length) {
    const len = b.readUInt16LE(off);
    const type = b.readUInt16LE(off + 2) & NLA_TYPE_MASK;
    if (len < NLA_HDRLEN || off + len > b.length) {
      return { ok: false, error: nlParseError('bad-attribute', `attribute length ${len} at offset ${off} of ${b.length}`, off) };
    }
    attrs.set(type, b.subarray(off + NLA_HDRLEN, off + len));
    off += align4(len);
  }
  return { ok: true, value: attrs };
}

/**
 * The body of an NLMSG_ERROR message (struct nlmsgerr): `errno` is positive (the kernel sends it
 * negated); 0 is an ACK. `seq` is the sequence number of the request it answers.
 */
export function parseNlmsgerr(payload: Uint8Array): NlResult<{ errno: number }> {
  const b = asBuffer(payload);
  if (b.length < 4) return { ok: false, error: nlParseError('truncated-payload', `nlmsgerr of ${b.length} bytes, needs 4`, 0, NLMSG.ERROR) };
  return { ok: true, value: { errno: -b.readInt32LE(0) || 0 } };
}

/**
 * A growable writer for one or more netlink messages. beginMessage/endMessage and
 * beginNested/endNested reserve length fields and fill them in when the part is closed.
 */
export class NetlinkWriter {
  private buf: Buffer;
  private len = 0;
  private readonly open: number[] = [];
  private messageStart = -1;

  constructor(initial = 256) {
    this.buf = Buffer.alloc(Math.max(16, initial));
  }

  private reserve(n: number): number {
    const at = this.len;
    const need = at + n;
    if (need > this.buf.length) {
      let size = this.buf.length * 2;
      while (size < need) size *= 2;
      const next = Buffer.alloc(size);
      this.buf.copy(next, 0, 0, this.len);
      this.buf = next;
    }
    this.len = need;
    return at;
  }

  private pad(): void {
    const p = align4(this.len) - this.len;
    if (p > 0) this.buf.fill(0, this.reserve(p), this.len);
  }

  /** Starts a message; pid is 0 (the kernel fills in our port). */
  beginMessage(type: number, flags: number, seq: number): this {
    if (this.messageStart >= 0) throw new Error('netlink writer: message already open');
    this.pad();
    const at = this.reserve(NLMSG_HDRLEN);
    this.buf.writeUInt32LE(0, at);
    this.buf.writeUInt16LE(type, at + 4);
    this.buf.writeUInt16LE(flags, at + 6);
    this.buf.writeUInt32LE(seq >>> 0, at + 8);
    this.buf.writeUInt32LE(0, at + 12);
    this.messageStart = at;
    return this;
  }

  endMessage(): this {
    if (this.messageStart < 0) throw new Error('netlink writer: no message open');
    if (this.open.length > 0) throw new Error('netlink writer: nested attribute still open');
    this.buf.writeUInt32LE(this.len - this.messageStart, this.messageStart);
    this.messageStart = -1;
    this.pad();
    return this;
  }

  /** Raw bytes (a fixed header such as ifaddrmsg), padded to 4 afterwards. */
  bytes(data: Uint8Array): this {
    const at = this.reserve(data.length);
    this.buf.set(data, at);
    this.pad();
    return this;
  }

  /** Zero bytes; returns their offset so the caller can fill a fixed header in place. */
  zeros(n: number): number {
    const at = this.reserve(n);
    this.buf.fill(0, at, at + n);
    this.pad();
    return at;
  }

  /** Direct access for filling fields reserved with zeros(). */
  get view(): Buffer {
    return this.buf;
  }

  attr(type: number, data: Uint8Array): this {
    const total = NLA_HDRLEN + data.length;
    if (total > 0xffff) throw new RangeError(`netlink attribute ${type} of ${data.length} bytes does not fit a u16 length`);
    const at = this.reserve(total);
    this.buf.writeUInt16LE(total, at);
    this.buf.writeUInt16LE(type, at + 2);
    this.buf.set(data, at + NLA_HDRLEN);
    this.pad();
    return this;
  }

  u8(type: number, v: number): this {
    return this.attr(type, Uint8Array.of(v & 0xff));
  }

  u16(type: number, v: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(v & 0xffff, 0);
    return this.attr(type, b);
  }

  u32(type: number, v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0, 0);
    return this.attr(type, b);
  }

  /** A NUL-terminated string attribute. */
  str(type: number, s: string): this {
    return this.attr(type, Buffer.concat([Buffer.from(s, 'utf8'), Buffer.of(0)]));
  }

  beginNested(type: number): this {
    const at = this.reserve(NLA_HDRLEN);
    this.buf.writeUInt16LE(0, at);
    this.buf.writeUInt16LE(type | NLA_F_NESTED, at + 2);
    this.open.push(at);
    return this;
  }

  endNested(): this {
    const at = this.open.pop();
    if (at === undefined) throw new Error('netlink writer: no nested attribute open');
    const total = this.len - at;
    if (total > 0xffff) throw new RangeError(`nested netlink attribute of ${total} bytes does not fit a u16 length`);
    this.buf.writeUInt16LE(total, at);
    this.pad();
    return this;
  }

  get length(): number {
    return this.len;
  }

  /** The bytes written so far (a copy). Throws while a message or nest is still open. */
  finish(): Buffer {
    if (this.messageStart >= 0 || this.open.length > 0) throw new Error('netlink writer: unclosed message or nested attribute');
    return Buffer.from(this.buf.subarray(0, this.len));
  }
}

/** One request message: header, a fixed payload and attributes written by `body`. */
export function buildMessage(type: number, flags: number, seq: number, body: (w: NetlinkWriter) => void): Buffer {
  const w = new NetlinkWriter();
  w.beginMessage(type, flags, seq);
  body(w);
  w.endMessage();
  return w.finish();
}
