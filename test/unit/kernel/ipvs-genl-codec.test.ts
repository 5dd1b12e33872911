// The IPVS generic netlink codec against ipvsadm's own bytes: requests ipvsadm 1.31 sent and
// dump replies the kernel gave it, recorded in the test VM by test/vm/capture-ipvsadm-vectors.ts
// (test/vectors/ipvs/ipvsadm-genl.json). Our request for the same change must carry the same
// command and the same attribute tree; our decoder must read the kernel's replies as ipvsadm
// printed them. Plus hand-computed linux/ip_vs.h layouts for the fields that matter most.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildMessage, NLM_F, NLA_F_NESTED, splitNetlinkMessages, type NetlinkMessage } from '../../../src/net/netlink-codec.js';
import {
  IPVS_CMD,
  IPVS_DEST_ATTR,
  IPVS_SVC_ATTR,
  decodeDest,
  decodeService,
  writeIpvsOp,
  writeGenlHeader,
  writeTimeouts,
  IpvsEncodeError,
} from '../../../src/kernel/ipvs-genl-codec.js';
import { IPVS_SVC_FLAG, canonicalIpvsDest, canonicalIpvsService, type IpvsEntry, type IpvsOp, type IpvsServiceKey, type IpvsDest } from '../../../src/kernel/ipvs.js';
import { ipvsadmTable } from '../../vm/ipvsadm-rules.js';
import { sortTable } from '../../vm/ipvs-matrix-table.js';
import { IPVSADM_COMMANDS } from '../../vm/ipvsadm-commands.js';

const here = dirname(fileURLToPath(import.meta.url));
const vectors = JSON.parse(readFileSync(join(here, '../../vectors/ipvs/ipvsadm-genl.json'), 'utf8')) as {
  requests: { args: string; sent: string[] }[];
  dump: { sent: string[]; received: string[]; rules: string; thresholds: string };
};

/** An attribute tree: type (NESTED bit kept) -> bytes as hex, or a nested tree. */
type Tree = Map<number, string | Tree>;

/** Decodes attributes recursively wherever NLA_F_NESTED is set. Independent of our parser. */
function tree(b: Buffer): Tree {
  const t: Tree = new Map();
  let off = 0;
  while (off + 4 <= b.length) {
    const len = b.readUInt16LE(off);
    const type = b.readUInt16LE(off + 2);
    if (len < 4 || off + len > b.length) throw new Error(`bad attribute at ${off}`);
    const data = b.subarray(off + 4, off + len);
    t.set(type, (type & NLA_F_NESTED) !== 0 ? tree(data) : data.toString('hex'));
    off += (len + 3) & ~3;
  }
  return t;
}

/** The IPVS request among the messages one ipvsadm run sent (the last one; the rest are lookups). */
function ipvsadmRequest(sent: string[]): { familyId: number; msg: NetlinkMessage } {
  const msgs = sent.flatMap((h) => splitNetlinkMessages(Buffer.from(h, 'hex')).messages);
  const msg = msgs[msgs.length - 1];
  return { familyId: msg.type, msg };
}

const tcp80: IpvsServiceKey = { kind: 'addr', family: 'inet', protocol: 'tcp', address: '192.0.2.1', port: 80 };
const udp53v6: IpvsServiceKey = { kind: 'addr', family: 'inet6', protocol: 'udp', address: '2001:db8::1', port: 53 };
const fwm7v6: IpvsServiceKey = { kind: 'fwmark', family: 'inet6', fwmark: 7 };
const sctp99: IpvsServiceKey = { kind: 'addr', family: 'inet', protocol: 'sctp', address: '192.0.2.3', port: 99 };
const dest = (d: Partial<IpvsDest> & Pick<IpvsDest, 'address' | 'port' | 'forward'>): IpvsDest => ({
  family: 'inet',
  weight: 1,
  upperThreshold: 0,
  lowerThreshold: 0,
  ...d,
});

/** Our op for each ipvsadm command of IPVSADM_COMMANDS, same order (undefined: --set). */
const OURS: readonly (IpvsOp | undefined)[] = [
  { op: 'addService', service: { key: tcp80, scheduler: 'sh', flags: IPVS_SVC_FLAG.SCHED1 | IPVS_SVC_FLAG.SCHED2, timeout: 300, netmask: '255.255.255.0' } },
  { op: 'addService', service: { key: udp53v6, scheduler: 'mh', flags: IPVS_SVC_FLAG.SCHED2 | IPVS_SVC_FLAG.ONEPACKET, timeout: 60, netmask: '64' } },
  { op: 'addService', service: { key: fwm7v6, scheduler: 'fo', flags: 0, timeout: 0, netmask: '128' } },
  { op: 'addService', service: { key: { kind: 'addr', family: 'inet', protocol: 'udp', address: '192.0.2.4', port: 5060 }, scheduler: 'rr', flags: 0, timeout: 60, netmask: '255.255.255.255', pe: 'sip' } },
  { op: 'addService', service: { key: sctp99, scheduler: 'ovf', flags: 0, timeout: 0, netmask: '255.255.255.255' } },
  { op: 'addDest', key: tcp80, dest: dest({ address: '198.51.100.2', port: 8080, forward: 'masq', weight: 3, upperThreshold: 100, lowerThreshold: 10 }) },
  { op: 'addDest', key: tcp80, dest: dest({ address: '198.51.100.3', port: 80, forward: 'route', weight: 0 }) },
  { op: 'addDest', key: tcp80, dest: dest({ address: '198.51.100.4', port: 80, forward: 'tunnel', tunnelType: 'gue', tunnelPort: 6080, tunnelFlags: 2 }) },
  { op: 'addDest', key: tcp80, dest: dest({ address: '198.51.100.5', port: 80, forward: 'tunnel', tunnelType: 'gre', tunnelFlags: 1 }) },
  { op: 'addDest', key: udp53v6, dest: dest({ family: 'inet6', address: '2001:db8:1::2', port: 53, forward: 'route' }) },
  { op: 'addDest', key: fwm7v6, dest: dest({ family: 'inet6', address: '2001:db8:1::9', port: 0, forward: 'masq', weight: 2 }) },
  { op: 'editDest', key: tcp80, dest: dest({ address: '198.51.100.2', port: 8080, forward: 'masq', weight: 5, upperThreshold: 50, lowerThreshold: 5 }) },
  { op: 'editService', service: { key: tcp80, scheduler: 'rr', flags: 0, timeout: 0, netmask: '255.255.255.255' } },
  { op: 'deleteDest', key: tcp80, dest: { family: 'inet', address: '198.51.100.3', port: 80 } },
  { op: 'deleteService', key: sctp99 },
  undefined,
];

describe('IPVS genl requests: ours and ipvsadm 1.31 for the same change', () => {
  it('the vectors are the commands this test maps', () => {
    expect(vectors.requests.map((r) => r.args)).toEqual(IPVSADM_COMMANDS);
    expect(OURS.length).toBe(IPVSADM_COMMANDS.length);
  });

  IPVSADM_COMMANDS.forEach((args, i) => {
    it(`ipvsadm ${args}`, () => {
      const { familyId, msg } = ipvsadmRequest(vectors.requests[i].sent);
      const op = OURS[i];
      const ours = buildMessage(familyId, NLM_F.REQUEST | NLM_F.ACK, msg.seq, (w) => {
        if (op) writeIpvsOp(w, op);
        else {
          writeGenlHeader(w, IPVS_CMD.SET_CONFIG);
          writeTimeouts(w, { tcp: 900, tcpFin: 120, udp: 300 });
        }
      });
      const o = splitNetlinkMessages(ours).messages[0];
      expect(o.flags).toBe(msg.flags);
      expect(o.payload.subarray(0, 4).toString('hex')).toBe(msg.payload.subarray(0, 4).toString('hex')); // cmd, version
      const theirs = tree(msg.payload.subarray(4));
      const isDestCmd = op !== undefined && op.op.endsWith('Dest');
      const svcNest = theirs.get(1 | NLA_F_NESTED);
      const destNest = theirs.get(2 | NLA_F_NESTED);
      if (op?.op === 'deleteDest' && destNest instanceof Map) {
        // Likewise a DEL_DEST: the kernel reads the address, port and family only.
        for (const t of destNest.keys()) if (![IPVS_DEST_ATTR.ADDR, IPVS_DEST_ATTR.PORT, IPVS_DEST_ATTR.ADDR_FAMILY].includes(t as 1)) destNest.delete(t);
      }
      if ((isDestCmd || op?.op === 'deleteService') && svcNest instanceof Map) {
        // ipvsadm's library writes its whole service (empty scheduler, zero flags, ...) even where
        // the kernel reads only the key (ip_vs_genl_parse_service without full_entry); we send
        // the key alone. Everything else must match.
        for (const t of [IPVS_SVC_ATTR.SCHED_NAME, IPVS_SVC_ATTR.FLAGS, IPVS_SVC_ATTR.TIMEOUT, IPVS_SVC_ATTR.NETMASK]) svcNest.delete(t);
      }
      expect(tree(o.payload.subarray(4))).toEqual(theirs);
    });
  });
});

describe('IPVS genl dump replies the kernel sent ipvsadm -Sn', () => {
  /** The service key a GET_DEST request names, read by hand from its attribute tree. */
  const requestKey = (m: NetlinkMessage): string => {
    return keyOfTree(tree(m.payload.subarray(4)).get(1 | NLA_F_NESTED) as Tree);
  };
  /** AF and fwmark, or AF, protocol, address and port: whichever identifies the service. */
  const keyOfTree = (t: Tree): string => {
    const hex = (n: number): string => (t.get(n) as string | undefined) ?? '';
    const fw = hex(IPVS_SVC_ATTR.FWMARK);
    return fw !== '' && fw !== '00000000'
      ? [hex(IPVS_SVC_ATTR.AF), 'fwmark', fw].join('/')
      : [hex(IPVS_SVC_ATTR.AF), hex(IPVS_SVC_ATTR.PROTOCOL), hex(IPVS_SVC_ATTR.ADDR), hex(IPVS_SVC_ATTR.PORT)].join('/');
  };

  it('decode to the table ipvsadm printed from them', () => {
    const sent = vectors.dump.sent.flatMap((h) => splitNetlinkMessages(Buffer.from(h, 'hex')).messages);
    const received = vectors.dump.received.flatMap((h) => splitNetlinkMessages(Buffer.from(h, 'hex')).messages);
    const ipvsId = sent.find((m) => m.payload[0] === IPVS_CMD.GET_SERVICE && m.type !== 0x10)?.type;
    expect(ipvsId).toBeDefined();
    // ipvsadm opens a socket per request and reuses sequence numbers, so replies pair with
    // requests by order: the dumps end at NLMSG_DONE, the first is the services, each next one
    // the dests of the next GET_DEST request.
    const destRequests = sent.filter((m) => m.type === ipvsId && m.payload[0] === IPVS_CMD.GET_DEST).map(requestKey);
    const groups: NetlinkMessage[][] = [[]];
    for (const m of received) {
      if (m.type === 3) groups.push([]);
      else if (m.type === ipvsId && (m.payload[0] === IPVS_CMD.NEW_SERVICE || m.payload[0] === IPVS_CMD.NEW_DEST)) groups[groups.length - 1].push(m);
    }
    groups.pop(); // after the last DONE
    expect(groups.length).toBe(1 + destRequests.length);
    const byKey = new Map<string, { service: IpvsEntry['service']; dests: IpvsDest[] }>();
    for (const m of groups[0]) {
      const s = decodeService(m.payload);
      if (!s.ok) throw new Error(s.error.message);
      // The same key text the request carries, from the reply's own attributes (the kernel's
      // replies do not mark the nest with NLA_F_NESTED).
      const top = tree(m.payload.subarray(4));
      const raw = top.get(1) ?? top.get(1 | NLA_F_NESTED);
      byKey.set(keyOfTree(typeof raw === 'string' ? tree(Buffer.from(raw, 'hex')) : (raw as Tree)), { service: s.value, dests: [] });
    }
    destRequests.forEach((key, i) => {
      const e = byKey.get(key);
      if (!e) throw new Error(`GET_DEST ${key} names no service of the dump`);
      for (const m of groups[i + 1]) {
        const d = decodeDest(m.payload, e.service.key.family);
        if (!d.ok) throw new Error(d.error.message);
        e.dests.push(d.value);
      }
    });
    const ours = [...byKey.values()];
    expect(ours.length).toBeGreaterThan(2);
    expect(ours.reduce((n, e) => n + e.dests.length, 0)).toBeGreaterThan(3);
    expect(sortTable(ours)).toEqual(sortTable(ipvsadmTable(vectors.dump.rules, vectors.dump.thresholds)));
  });
});

describe('IPVS genl layouts (linux/ip_vs.h, computed by hand)', () => {
  const bytesOf = (op: IpvsOp): Tree => {
    const m = splitNetlinkMessages(buildMessage(0x20, NLM_F.REQUEST, 1, (w) => writeIpvsOp(w, op))).messages[0];
    return tree(m.payload.subarray(4));
  };
  const svc = (t: Tree): Tree => t.get(1 | NLA_F_NESTED) as Tree;

  it('a service: AF u16, protocol u16, 16-byte address, port big-endian, flags {flags, mask}, IPv4 netmask bytes', () => {
    const t = svc(bytesOf({ op: 'addService', service: { key: tcp80, scheduler: 'wlc', flags: IPVS_SVC_FLAG.ONEPACKET, timeout: 0, netmask: '255.255.255.0' } }));
    expect(t.get(IPVS_SVC_ATTR.AF)).toBe('0200');
    expect(t.get(IPVS_SVC_ATTR.PROTOCOL)).toBe('0600');
    expect(t.get(IPVS_SVC_ATTR.ADDR)).toBe('c0000201' + '00'.repeat(12));
    expect(t.get(IPVS_SVC_ATTR.PORT)).toBe('0050');
    expect(t.get(IPVS_SVC_ATTR.SCHED_NAME)).toBe(Buffer.from('wlc\0').toString('hex'));
    expect(t.get(IPVS_SVC_ATTR.FLAGS)).toBe('04000000ffffffff');
    expect(t.get(IPVS_SVC_ATTR.TIMEOUT)).toBe('00000000');
    expect(t.get(IPVS_SVC_ATTR.NETMASK)).toBe('ffffff00');
  });

  it('a persistent IPv6 service: PERSISTENT is set from the timeout, the netmask is a prefix length', () => {
    const t = svc(bytesOf({ op: 'addService', service: { key: udp53v6, scheduler: 'rr', flags: 0, timeout: 600, netmask: '48' } }));
    expect(t.get(IPVS_SVC_ATTR.AF)).toBe('0a00');
    expect(t.get(IPVS_SVC_ATTR.ADDR)).toBe('20010db8' + '00'.repeat(10) + '0001');
    expect(t.get(IPVS_SVC_ATTR.FLAGS)).toBe('01000000ffffffff');
    expect(t.get(IPVS_SVC_ATTR.TIMEOUT)).toBe('58020000');
    expect(t.get(IPVS_SVC_ATTR.NETMASK)).toBe('30000000');
  });

  it('a tunnel dest: forwarding 2, tunnel type u8, tunnel port big-endian, flags u16', () => {
    const t = bytesOf({ op: 'addDest', key: fwm7v6, dest: dest({ family: 'inet6', address: '2001:db8:1::9', port: 0, forward: 'tunnel', weight: 7, tunnelType: 'gue', tunnelPort: 6080, tunnelFlags: 1 }) });
    expect(svc(t).get(IPVS_SVC_ATTR.FWMARK)).toBe('07000000');
    const d = t.get(2 | NLA_F_NESTED) as Tree;
    expect(d.get(IPVS_DEST_ATTR.FWD_METHOD)).toBe('02000000');
    expect(d.get(IPVS_DEST_ATTR.WEIGHT)).toBe('07000000');
    expect(d.get(IPVS_DEST_ATTR.ADDR_FAMILY)).toBe('0a00');
    expect(d.get(IPVS_DEST_ATTR.TUN_TYPE)).toBe('01');
    expect(d.get(IPVS_DEST_ATTR.TUN_PORT)).toBe('17c0');
    expect(d.get(IPVS_DEST_ATTR.TUN_FLAGS)).toBe('0100');
  });

  it('refuses what it cannot encode, naming the field', () => {
    const enc = (op: IpvsOp): unknown => {
      try {
        buildMessage(0x20, NLM_F.REQUEST, 1, (w) => writeIpvsOp(w, op));
        return undefined;
      } catch (e) {
        return e;
      }
    };
    const e1 = enc({ op: 'addDest', key: tcp80, dest: dest({ address: '2001:db8::5', port: 1, forward: 'masq' }) });
    expect(e1).toBeInstanceOf(IpvsEncodeError);
    expect((e1 as Error).message).toBe("real server address '2001:db8::5' is not an IPv4 address");
    const e2 = enc({ op: 'addService', service: { key: tcp80, scheduler: 'x'.repeat(16), flags: 0, timeout: 0, netmask: '' } });
    expect((e2 as Error).message).toMatch(/^scheduler 'x+' must be 1\.\.15 bytes$/);
    const e3 = enc({ op: 'addService', service: { key: { ...tcp80, port: 70000 }, scheduler: 'rr', flags: 0, timeout: 0, netmask: '' } });
    expect((e3 as Error).message).toBe('virtual server port 70000 is not in 0..65535');
    const e4 = enc({ op: 'addService', service: { key: udp53v6, scheduler: 'rr', flags: 0, timeout: 5, netmask: '255.255.0.0' } });
    expect((e4 as Error).message).toBe("IPv6 persistence netmask '255.255.0.0' is not a prefix length 1..128");
  });
});

describe('canonical IPVS values (what both IpvsKernel implementations read back)', () => {
  it('a service: HASHED dropped, PERSISTENT exactly with a timeout, default netmask, canonical address, no empty pe', () => {
    const s = canonicalIpvsService({
      key: { kind: 'addr', family: 'inet6', protocol: 'tcp', address: '2001:DB8:0::0:1', port: 80 },
      scheduler: 'rr',
      flags: IPVS_SVC_FLAG.HASHED | IPVS_SVC_FLAG.PERSISTENT | IPVS_SVC_FLAG.ONEPACKET,
      timeout: 0,
      netmask: '',
      pe: '',
    });
    expect(s).toEqual({ key: { kind: 'addr', family: 'inet6', protocol: 'tcp', address: '2001:db8::1', port: 80 }, scheduler: 'rr', flags: IPVS_SVC_FLAG.ONEPACKET, timeout: 0, netmask: '128' });
    expect(canonicalIpvsService({ ...s, timeout: 30 }).flags).toBe(IPVS_SVC_FLAG.ONEPACKET | IPVS_SVC_FLAG.PERSISTENT);
  });

  it('a dest: tunnel fields defaulted on a tunnel dest and dropped from any other', () => {
    const base = { family: 'inet', address: '198.51.100.7', port: 80, weight: 1, upperThreshold: 0, lowerThreshold: 0 } as const;
    expect(canonicalIpvsDest({ ...base, forward: 'tunnel' })).toEqual({ ...base, forward: 'tunnel', tunnelType: 'ipip', tunnelPort: 0, tunnelFlags: 0 });
    expect(canonicalIpvsDest({ ...base, forward: 'route', tunnelType: 'gue', tunnelPort: 5, tunnelFlags: 1 })).toEqual({ ...base, forward: 'route' });
  });
});
