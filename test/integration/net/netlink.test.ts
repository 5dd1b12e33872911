// Real kernel: the addon's NETLINK_ROUTE event socket inside a lab namespace reports link and
// address changes, survives an ENOBUFS overflow (reported as an event), and answers dumps.
import { describe, expect } from 'vitest';
import type { Lab } from '../../../src/lab/lab.js';
import { sharedNetns } from '../../helpers/netns-fixture.js';
import { itWhen, isRoot } from '../../helpers/require.js';
import { nativeUnavailable } from '../../../src/net/native.js';
import { NetlinkRequestError, NetlinkSocket, NLM_F, writeNetlinkHeader, type NetlinkMessage } from '../../../src/net/netlink-socket.js';
import { startAgent } from './helpers.js';

const hasAddon = () => nativeUnavailable();
const RTM_NEWLINK = 16;
const RTM_NEWADDR = 20;
const RTM_GETLINK = 18;
const IFF_UP = 0x1;

interface Attr {
  type: number;
  data: Buffer;
}
function attrs(b: Buffer, off: number): Attr[] {
  const out: Attr[] = [];
  while (off + 4 <= b.length) {
    const len = b.readUInt16LE(off);
    if (len < 4) break;
    out.push({ type: b.readUInt16LE(off + 2) & 0x3fff, data: b.subarray(off + 4, off + len) });
    off += (len + 3) & ~3;
  }
  return out;
}
/** Minimal test-side decode of RTM_NEWLINK (ifinfomsg + IFLA_IFNAME). */
function link(b: Buffer): { index: number; up: boolean; name: string } {
  const name = attrs(b, 32).find((a) => a.type === 3)?.data.toString('utf8').replace(/\0.*$/, '') ?? '';
  return { index: b.readInt32LE(20), up: (b.readUInt32LE(24) & IFF_UP) !== 0, name };
}
/** Minimal test-side decode of RTM_NEWADDR (ifaddrmsg + IFA_LOCAL / IFA_ADDRESS). */
function addr(b: Buffer): { family: number; index: number; address: string } {
  const family = b[16];
  const a = attrs(b, 24).find((x) => x.type === 2) ?? attrs(b, 24).find((x) => x.type === 1);
  const address = a ? (family === 2 ? [...a.data].join('.') : a.data.toString('hex')) : '';
  return { family, index: b.readUInt32LE(20), address };
}
const msgOf = (o: Record<string, unknown>) => o.msg as { type: number; hex: string } | undefined;

describe('native netlink event socket (netns)', () => {
  let lab: Lab;
  sharedNetns('ntnl', { a: '192.0.2.1/24' }, (f) => (lab = f.lab));

  itWhen(isRoot, hasAddon)('reports a link going up and down and an address being added', async () => {
    const ag = startAgent(lab, 'a', { op: 'netlink' });
    await ag.next((o) => o.ready === true);
    lab.exec('a', ['ip', 'link', 'add', 'ktd0', 'type', 'veth', 'peer', 'name', 'ktd0p']);
    lab.exec('a', ['ip', 'link', 'set', 'ktd0', 'up']);
    const isLink = (up: boolean) => (o: Record<string, unknown>) => {
      const m = msgOf(o);
      if (m?.type !== RTM_NEWLINK) return false;
      const l = link(Buffer.from(m.hex, 'hex'));
      return l.name === 'ktd0' && l.up === up;
    };
    const upMsg = await ag.next(isLink(true));
    lab.exec('a', ['ip', 'link', 'set', 'ktd0', 'down']);
    await ag.next(isLink(false));
    lab.exec('a', ['ip', 'addr', 'add', '198.51.100.7/32', 'dev', 'ktd0']);
    const a = await ag.next((o) => {
      const m = msgOf(o);
      return m?.type === RTM_NEWADDR && addr(Buffer.from(m.hex, 'hex')).address === '198.51.100.7';
    });
    const ifindex = link(Buffer.from(msgOf(upMsg)!.hex, 'hex')).index;
    expect(addr(Buffer.from(msgOf(a)!.hex, 'hex'))).toEqual({ family: 2, index: ifindex, address: '198.51.100.7' });
    expect(ag.json().some((o) => o.overflow)).toBe(false);
    ag.child.stdin?.write('close\n');
    await ag.exited(); // close() released the loop: the agent exits on its own
    expect(ag.child.exitCode).toBe(0);
    lab.exec('a', ['ip', 'link', 'del', 'ktd0']);
  });

  itWhen(isRoot, hasAddon)('an overflowing event queue (ENOBUFS) is an event, and events keep flowing after it', async () => {
    lab.exec('a', ['ip', 'link', 'add', 'ktd1', 'type', 'veth', 'peer', 'name', 'ktd1p']);
    lab.exec('a', ['ip', 'link', 'set', 'ktd1', 'up']);
    // Smallest receive buffer, and the agent's loop stalled while the kernel queues events.
    const ag = startAgent(lab, 'a', { op: 'netlink', recvBuffer: 1, stallMs: 2500 });
    await ag.next((o) => o.ready === true);
    const batch = Array.from({ length: 300 }, (_, i) => `addr add 198.51.${100 + (i >> 8)}.${i & 0xff}/32 dev ktd1`).join('\n');
    lab.exec('a', ['ip', '-batch', '-'], batch + '\n');
    await ag.next((o) => o.overflow === true, 15_000);
    // Still alive and still subscribed: a later change arrives.
    lab.exec('a', ['ip', 'addr', 'add', '203.0.113.9/32', 'dev', 'ktd1']);
    await ag.next((o) => {
      const m = msgOf(o);
      return m?.type === RTM_NEWADDR && addr(Buffer.from(m.hex, 'hex')).address === '203.0.113.9';
    });
    const received = ag.json().filter((o) => msgOf(o)?.type === RTM_NEWADDR).length;
    expect(received).toBeLessThan(301); // events really were dropped
    ag.child.stdin?.write('close\n');
    await ag.exited();
    expect(ag.child.exitCode).toBe(0);
    lab.exec('a', ['ip', 'link', 'del', 'ktd1']);
  });

  // A link dump is a read-only request to the kernel; no packet leaves the process.
  itWhen(hasAddon)('dump request: RTM_GETLINK replies up to NLMSG_DONE, matched by sequence number', async () => {
    const nl = NetlinkSocket.open({ groups: 0 });
    try {
      const req = new Uint8Array(16 + 4);
      req[16] = 0; // ifinfomsg family AF_UNSPEC (rtgenmsg)
      const seq = nl.nextSeq();
      writeNetlinkHeader(req, RTM_GETLINK, NLM_F.REQUEST | NLM_F.DUMP, seq);
      const replies = await nl.dump(req);
      expect(replies.length).toBeGreaterThan(0);
      expect(replies.every((m) => m.type === RTM_NEWLINK && m.seq === seq)).toBe(true);
      const names = replies.map((m) => link(Buffer.from(m.bytes)).name);
      expect(names).toContain('lo');
    } finally {
      nl.close();
    }
  });

  // Read-only requests again (RTM_GETLINK by index); nothing leaves the process.
  itWhen(hasAddon)('requestMany: several requests in one datagram, each answered in order with its reply or its own error', async () => {
    const nl = NetlinkSocket.open({ groups: 0 });
    try {
      // ifinfomsg: family, pad, type, index (i32), flags, change.
      const byIndex = (index: number) => (w: import('../../../src/net/netlink-codec.js').NetlinkWriter) => {
        const b = Buffer.alloc(16);
        b.writeInt32LE(index, 4);
        w.bytes(b);
      };
      const r = await nl.requestMany(
        RTM_GETLINK,
        [
          byIndex(1),
          byIndex(0x7ffffff0),
          () => {
            throw new Error('cannot encode this one');
          },
          byIndex(1),
        ],
        5000,
      );
      expect(r).toHaveLength(4);
      const first = r[0];
      const last = r[3];
      if (first instanceof Error || last instanceof Error) throw new Error(`lo not answered: ${String(first)} ${String(last)}`);
      expect(first.map((m) => link(Buffer.from(m.bytes)).name)).toEqual(['lo']);
      expect(last.map((m) => link(Buffer.from(m.bytes)).name)).toEqual(['lo']);
      // No such link: ENODEV (19), for that request alone.
      expect(r[1]).toBeInstanceOf(NetlinkRequestError);
      expect((r[1] as NetlinkRequestError).errno).toBe(19);
      expect((r[2] as Error).message).toBe('cannot encode this one');
      // The last request is the one that asks for an ACK; its failure is its own.
      const r2 = await nl.requestMany(RTM_GETLINK, [byIndex(1), byIndex(0x7ffffff0)], 5000);
      expect((r2[0] as NetlinkMessage[]).map((m) => link(Buffer.from(m.bytes)).name)).toEqual(['lo']);
      expect((r2[1] as NetlinkRequestError).errno).toBe(19);
    } finally {
      nl.close();
    }
  });
});
