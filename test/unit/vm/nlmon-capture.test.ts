// The reader of nlmon captures (test/vm/nlmon-capture.ts) that the IPVS reload test counts kernel
// operations with, checked without a VM on bytes it did not write: ipvsadm's requests and the
// kernel's replies recorded in test/vectors/ipvs/ipvsadm-genl.json (test/vm/capture-ipvsadm-vectors.ts).
// Each ipvsadm command must come out as the one operation it asked for, with what it named; the
// lookups, GET requests and dump replies around it must not count.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { genericMessages, ipvsFamilyId, ipvsWriteOps, opLine, readNetlinkPcap, type NetlinkRecord } from '../../vm/nlmon-capture.js';

const vectors = JSON.parse(readFileSync(join(import.meta.dirname, '../../vectors/ipvs/ipvsadm-genl.json'), 'utf8')) as {
  requests: { args: string; sent: string[] }[];
  dump: { sent: string[]; received: string[] };
};

/** A pcap file as tcpdump writes it on an nlmon device: microsecond records of link type NETLINK. */
function pcap(records: { atMs: number; protocol: number; data: Buffer }[]): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(262144, 16);
  head.writeUInt32LE(253, 20);
  const parts: Buffer[] = [head];
  for (const r of records) {
    const cooked = Buffer.alloc(16);
    cooked.writeUInt16BE(4, 0); // outgoing
    cooked.writeUInt16BE(824, 2); // ARPHRD_NETLINK
    cooked.writeUInt16BE(r.protocol, 14);
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(Math.floor(r.atMs / 1000), 0);
    rec.writeUInt32LE(Math.round((r.atMs % 1000) * 1000), 4);
    rec.writeUInt32LE(16 + r.data.length, 8);
    rec.writeUInt32LE(16 + r.data.length, 12);
    parts.push(rec, cooked, r.data);
  }
  return Buffer.concat(parts);
}

const hex = (h: string): Buffer => Buffer.from(h, 'hex');
const record = (data: Buffer, atMs = 0, protocol = 16): NetlinkRecord => ({ atMs, protocol, data });

/** What each recorded ipvsadm command asked the kernel to do, read from its arguments. */
const EXPECTED: Record<string, string> = {
  '-A -t 192.0.2.1:80 -s sh -b sh-fallback,sh-port -p 300 -M 255.255.255.0': 'NEW_SERVICE tcp 192.0.2.1:80 sh',
  '-A -u [2001:db8::1]:53 -s mh -b mh-port -o -p 60 -M 64': 'NEW_SERVICE udp [2001:db8::1]:53 mh',
  '-A -f 7 -6 -s fo': 'NEW_SERVICE fwmark 7 fo',
  '-A -u 192.0.2.4:5060 -s rr -p 60 --pe sip': 'NEW_SERVICE udp 192.0.2.4:5060 rr',
  '-A --sctp-service 192.0.2.3:99 -s ovf': 'NEW_SERVICE sctp 192.0.2.3:99 ovf',
  '-a -t 192.0.2.1:80 -r 198.51.100.2:8080 -m -w 3 -x 100 -y 10': 'NEW_DEST tcp 192.0.2.1:80 -> 198.51.100.2:8080 w3',
  '-a -t 192.0.2.1:80 -r 198.51.100.3:80 -g -w 0': 'NEW_DEST tcp 192.0.2.1:80 -> 198.51.100.3:80 w0',
  '-a -t 192.0.2.1:80 -r 198.51.100.4:80 -i --tun-type gue --tun-port 6080 --tun-remcsum': 'NEW_DEST tcp 192.0.2.1:80 -> 198.51.100.4:80 w1',
  '-a -t 192.0.2.1:80 -r 198.51.100.5:80 -i --tun-type gre --tun-csum': 'NEW_DEST tcp 192.0.2.1:80 -> 198.51.100.5:80 w1',
  '-a -u [2001:db8::1]:53 -r [2001:db8:1::2]:53 -g': 'NEW_DEST udp [2001:db8::1]:53 -> [2001:db8:1::2]:53 w1',
  '-a -f 7 -6 -r [2001:db8:1::9]:0 -m -w 2': 'NEW_DEST fwmark 7 -> [2001:db8:1::9]:0 w2',
  '-e -t 192.0.2.1:80 -r 198.51.100.2:8080 -m -w 5 -x 50 -y 5': 'SET_DEST tcp 192.0.2.1:80 -> 198.51.100.2:8080 w5',
  '-E -t 192.0.2.1:80 -s rr': 'SET_SERVICE tcp 192.0.2.1:80 rr',
  '-d -t 192.0.2.1:80 -r 198.51.100.3:80': 'DEL_DEST tcp 192.0.2.1:80 -> 198.51.100.3:80',
  '-D --sctp-service 192.0.2.3:99': 'DEL_SERVICE sctp 192.0.2.3:99',
  '--set 900 120 300': 'SET_CONFIG',
};

describe('nlmon capture reader', () => {
  const family = ipvsFamilyId(genericMessages(vectors.dump.received.map((h) => record(hex(h)))));

  it('finds the IPVS family id in the controller\'s answer, as the requests use it', () => {
    expect(family).toBe(hex(vectors.requests[0].sent.at(-1)!).readUInt16LE(4));
  });

  it('turns each ipvsadm command into the one operation it asked for; lookups and GET requests do not count', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(vectors.requests.map((r) => r.args).sort());
    for (const r of vectors.requests) {
      const ops = ipvsWriteOps(genericMessages(r.sent.map((h) => record(hex(h)))), family!);
      expect(ops.map(opLine), r.args).toEqual([EXPECTED[r.args]]);
    }
  });

  it('counts nothing in a table dump: its requests are GETs and the kernel\'s NEW_SERVICE/NEW_DEST replies are not requests', () => {
    const msgs = genericMessages([...vectors.dump.sent, ...vectors.dump.received].map((h) => record(hex(h))));
    expect(msgs.length).toBeGreaterThan(vectors.dump.sent.length);
    expect(ipvsWriteOps(msgs, family!)).toEqual([]);
  });

  it('reads a pcap file: times, only generic netlink, and every message of a batch sent as one datagram', () => {
    const add = vectors.requests.find((r) => r.args.startsWith('-a -t 192.0.2.1:80 -r 198.51.100.2'))!.sent.at(-1)!;
    const edit = vectors.requests.find((r) => r.args.startsWith('-e '))!.sent.at(-1)!;
    const file = pcap([
      record(hex(add), 1_796_537_782_765.208),
      record(Buffer.concat([hex(add), hex(edit)]), 1_796_537_783_000.5),
      record(hex(add), 1_796_537_784_000, 0), // rtnetlink: not generic, not read
    ]);
    const records = readNetlinkPcap(file);
    expect(records.map((r) => [r.atMs, r.protocol])).toEqual([
      [1_796_537_782_765.208, 16],
      [1_796_537_783_000.5, 16],
      [1_796_537_784_000, 0],
    ]);
    const ops = ipvsWriteOps(genericMessages(records), family!);
    expect(ops.map((o) => [o.atMs, o.cmd])).toEqual([
      [1_796_537_782_765.208, 'NEW_DEST'],
      [1_796_537_783_000.5, 'NEW_DEST'],
      [1_796_537_783_000.5, 'SET_DEST'],
    ]);
    expect(() => readNetlinkPcap(Buffer.alloc(24))).toThrow(/not a pcap file/);
  });
});
