// The netlink codec: the writer's back-filled lengths (messages and nested attributes), its
// growth, and the reader's typed errors. The writer's rtnetlink output is also read by the
// `netlink` package's independent decoder in test/unit/kernel/rtnl-encode.test.ts.
import { describe, expect, it } from 'vitest';
import {
  buildMessage,
  NLA_F_NESTED,
  NLM_F,
  NLMSG,
  NetlinkWriter,
  parseAttributes,
  parseNlmsgerr,
  splitNetlinkMessages,
} from '../../../src/net/netlink-codec.js';

describe('NetlinkWriter', () => {
  it('fills in message and nested attribute lengths, pads to 4 and reads back', () => {
    const msg = buildMessage(0x10, NLM_F.REQUEST | NLM_F.ACK, 77, (w) => {
      w.bytes(Uint8Array.of(3, 1, 0, 0)); // a genlmsghdr
      w.str(2, 'abc'); // 4 + 4 bytes
      w.beginNested(7);
      w.beginNested(1);
      w.u32(2, 0xdeadbeef);
      w.u8(3, 9); // 5 bytes, padded to 8
      w.endNested();
      w.u16(4, 513);
      w.endNested();
    });
    expect(msg.length % 4).toBe(0);
    expect(msg.readUInt32LE(0)).toBe(msg.length);
    expect(msg.readUInt16LE(4)).toBe(0x10);
    expect(msg.readUInt16LE(6)).toBe(NLM_F.REQUEST | NLM_F.ACK);
    expect(msg.readUInt32LE(8)).toBe(77);
    // Hand-computed layout: 16 header + 4 genl + 8 str + nest(4 + inner(4 + 8 + 8) + 8) = 60.
    expect(msg.length).toBe(60);
    const [m] = splitNetlinkMessages(msg).messages;
    const top = parseAttributes(m.payload.subarray(4));
    if (!top.ok) throw new Error(top.error.message);
    expect(top.value.get(2)!.toString()).toBe('abc\0');
    const outer = top.value.get(7)!;
    expect(outer.length).toBe(28);
    // The NESTED flag is on the wire and masked off by the reader.
    expect(m.payload.readUInt16LE(4 + 8 + 2)).toBe(7 | NLA_F_NESTED);
    const o = parseAttributes(outer);
    if (!o.ok) throw new Error(o.error.message);
    expect(o.value.get(4)!.readUInt16LE(0)).toBe(513);
    const inner = parseAttributes(o.value.get(1)!);
    if (!inner.ok) throw new Error(inner.error.message);
    expect(inner.value.get(2)!.readUInt32LE(0)).toBe(0xdeadbeef);
    expect([...inner.value.get(3)!]).toEqual([9]);
  });

  it('grows past its initial size and writes several messages back to back', () => {
    const w = new NetlinkWriter(16);
    const big = Buffer.alloc(3000, 0xab);
    for (let seq = 1; seq <= 3; seq++) {
      w.beginMessage(20, 0, seq).attr(1, big).endMessage();
    }
    const out = w.finish();
    const { messages, error } = splitNetlinkMessages(out);
    expect(error).toBeUndefined();
    expect(messages.map((m) => m.seq)).toEqual([1, 2, 3]);
    for (const m of messages) {
      const a = parseAttributes(m.payload);
      if (!a.ok) throw new Error(a.error.message);
      expect(a.value.get(1)!.equals(big)).toBe(true);
    }
  });

  it('refuses unbalanced use and attributes too long for a u16 length', () => {
    const w = new NetlinkWriter();
    expect(() => w.endNested()).toThrow(/no nested attribute open/);
    expect(() => w.endMessage()).toThrow(/no message open/);
    w.beginMessage(1, 0, 1).beginNested(1);
    expect(() => w.endMessage()).toThrow(/still open/);
    expect(() => w.finish()).toThrow(/unclosed/);
    expect(() => new NetlinkWriter().attr(1, Buffer.alloc(0xffff))).toThrow(RangeError);
  });
});

describe('netlink reader', () => {
  it('returns typed errors with offsets instead of throwing', () => {
    const one = buildMessage(NLMSG.DONE, NLM_F.MULTI, 5, (w) => w.bytes(Buffer.alloc(4)));
    const truncated = splitNetlinkMessages(Buffer.concat([one, Buffer.alloc(8)]));
    expect(truncated.messages).toHaveLength(1);
    expect(truncated.error).toMatchObject({ kind: 'parseError', code: 'truncated-header', offset: one.length });

    const lying = Buffer.from(one);
    lying.writeUInt32LE(200, 0);
    const bad = splitNetlinkMessages(lying);
    expect(bad.messages).toHaveLength(0);
    expect(bad.error).toMatchObject({ code: 'bad-length', offset: 0, msgType: NLMSG.DONE });

    const attr = Buffer.from([8, 0, 1, 0, 1, 2, 3, 4, 9, 0, 2, 0, 1]);
    const r = parseAttributes(attr);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatchObject({ code: 'bad-attribute', offset: 8 });
  });

  it('reads nlmsgerr: errno 0 is an ACK, a negative errno becomes positive, a short body is an error', () => {
    const body = (n: number) => {
      const b = Buffer.alloc(20);
      b.writeInt32LE(n, 0);
      return b;
    };
    expect(parseNlmsgerr(body(0))).toEqual({ ok: true, value: { errno: 0 } });
    expect(parseNlmsgerr(body(-17))).toEqual({ ok: true, value: { errno: 17 } });
    expect(parseNlmsgerr(Buffer.alloc(2))).toMatchObject({ ok: false, error: { code: 'truncated-payload' } });
  });
});
