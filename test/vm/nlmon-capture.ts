// Counts IPVS kernel operations from outside the daemon: a pcap written by `tcpdump -i nlmon0`
// (an nlmon device sees every netlink message of the host, both ways) is read here, and every
// generic netlink request of the IPVS family that changes the table is listed with its time and
// what it names. Written for the VM tests from linux/netlink.h, linux/genetlink.h and
// linux/ip_vs.h only, sharing nothing with src/kernel/ (so a bug there cannot hide here);
// test/unit/vm/nlmon-capture.test.ts checks it on ipvsadm's own requests and the kernel's replies.
//
//   pcap record (LINKTYPE_NETLINK, 253):
//     cooked header (16): pkttype u16be | ARPHRD_NETLINK (824) u16be | addr len u16be | addr (8) | netlink protocol u16be
//     then one datagram: one or more netlink messages (a batch of requests travels as one)
//   nlmsghdr (16): len u32 | type u16 (the genl family id) | flags u16 | seq u32 | pid u32
//   genlmsghdr (4): cmd u8 | version u8 | reserved u16, then attributes (len u16 | type u16, padded to 4)

/** The numbers this reader needs, from the kernel's headers and libpcap's link types. */
const K = { LINKTYPE_NETLINK: 253, NETLINK_GENERIC: 16, GENL_ID_CTRL: 0x10, CTRL_CMD_NEWFAMILY: 1, CTRL_ATTR_FAMILY_ID: 1, CTRL_ATTR_FAMILY_NAME: 2, NLM_F_REQUEST: 0x1 } as const;

/** linux/ip_vs.h: the commands that change the kernel's state (GET_* and dump replies are not counted). */
export const IPVS_WRITE_CMDS: Readonly<Record<number, string>> = {
  1: 'NEW_SERVICE',
  2: 'SET_SERVICE',
  3: 'DEL_SERVICE',
  5: 'NEW_DEST',
  6: 'SET_DEST',
  7: 'DEL_DEST',
  9: 'NEW_DAEMON',
  10: 'DEL_DAEMON',
  12: 'SET_CONFIG',
  14: 'SET_INFO',
  16: 'ZERO',
  17: 'FLUSH',
};

export interface NetlinkRecord {
  /** Capture time, ms since the epoch (the capturing host's wall clock). */
  readonly atMs: number;
  /** The netlink protocol from the cooked header (16 = generic). */
  readonly protocol: number;
  /** The datagram: one or more netlink messages. */
  readonly data: Buffer;
}

export interface NetlinkMessage {
  readonly atMs: number;
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  readonly pid: number;
  /** The payload after the 16-byte header. */
  readonly payload: Buffer;
}

export interface IpvsWriteOp {
  readonly atMs: number;
  /** NEW_DEST, SET_SERVICE ... */
  readonly cmd: string;
  /** `tcp 192.0.2.1:80`, `fwmark 7`; empty for a command without a service (SET_CONFIG, FLUSH). */
  readonly service: string;
  /** `198.51.100.11:8080` for the dest commands. */
  readonly dest?: string;
  readonly weight?: number;
  readonly scheduler?: string;
}

/** The records of a pcap file (microsecond or nanosecond, either byte order) of link type NETLINK. */
export function readNetlinkPcap(file: Buffer): NetlinkRecord[] {
  if (file.length < 24) throw new Error(`not a pcap file: ${file.length} bytes`);
  const magicLe = file.readUInt32LE(0);
  const le = magicLe === 0xa1b2c3d4 || magicLe === 0xa1b23c4d;
  const magic = le ? magicLe : file.readUInt32BE(0);
  if (magic !== 0xa1b2c3d4 && magic !== 0xa1b23c4d) throw new Error(`not a pcap file (magic ${magicLe.toString(16)})`);
  const u32 = (o: number): number => (le ? file.readUInt32LE(o) : file.readUInt32BE(o));
  const fractionMs = magic === 0xa1b23c4d ? 1e-6 : 1e-3;
  const linktype = u32(20) & 0x0fffffff;
  if (linktype !== K.LINKTYPE_NETLINK) throw new Error(`pcap link type ${linktype}, not NETLINK (${K.LINKTYPE_NETLINK})`);
  const out: NetlinkRecord[] = [];
  for (let o = 24; o + 16 <= file.length; ) {
    const incl = u32(o + 8);
    const rec = file.subarray(o + 16, o + 16 + incl);
    if (rec.length === incl && incl >= 16) out.push({ atMs: u32(o) * 1000 + u32(o + 4) * fractionMs, protocol: rec.readUInt16BE(14), data: rec.subarray(16) });
    o += 16 + incl;
  }
  return out;
}

/** Every netlink message of the generic-netlink records, in capture order. */
export function genericMessages(records: readonly NetlinkRecord[]): NetlinkMessage[] {
  const out: NetlinkMessage[] = [];
  for (const r of records) {
    if (r.protocol !== K.NETLINK_GENERIC) continue;
    for (let o = 0; o + 16 <= r.data.length; ) {
      const len = r.data.readUInt32LE(o);
      if (len < 16 || o + len > r.data.length) break;
      out.push({ atMs: r.atMs, type: r.data.readUInt16LE(o + 4), flags: r.data.readUInt16LE(o + 6), seq: r.data.readUInt32LE(o + 8), pid: r.data.readUInt32LE(o + 12), payload: r.data.subarray(o + 16, o + len) });
      o += (len + 3) & ~3;
    }
  }
  return out;
}

/** Attributes after `skip` bytes: type (nested flag cleared) -> value. */
function attributes(b: Buffer, skip = 0): Map<number, Buffer> {
  const m = new Map<number, Buffer>();
  for (let o = skip; o + 4 <= b.length; ) {
    const len = b.readUInt16LE(o);
    if (len < 4 || o + len > b.length) break;
    m.set(b.readUInt16LE(o + 2) & 0x3fff, b.subarray(o + 4, o + len));
    o += (len + 3) & ~3;
  }
  return m;
}

/** The IPVS family id, from the controller's answer to anyone's lookup of "IPVS" in the capture. */
export function ipvsFamilyId(messages: readonly NetlinkMessage[]): number | undefined {
  for (const m of messages) {
    if (m.type !== K.GENL_ID_CTRL || m.payload.length < 4 || m.payload[0] !== K.CTRL_CMD_NEWFAMILY) continue;
    const a = attributes(m.payload, 4);
    const name = a.get(K.CTRL_ATTR_FAMILY_NAME)?.toString('latin1').replace(/\0.*$/s, '');
    const id = a.get(K.CTRL_ATTR_FAMILY_ID);
    if (name === 'IPVS' && id && id.length >= 2) return id.readUInt16LE(0);
  }
  return undefined;
}

function address(af: number, b: Buffer | undefined): string {
  if (!b) return '?';
  // The URL parser writes an IPv6 address in its shortest form.
  if (af === 10) return new URL(`http://[${Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2).toString(16)).join(':')}]`).hostname;
  return [...b.subarray(0, 4)].join('.');
}

function describeService(nest: Buffer | undefined): { text: string; af: number; scheduler?: string } {
  if (!nest) return { text: '', af: 2 };
  // IPVS_SVC_ATTR: AF 1, PROTOCOL 2, ADDR 3, PORT 4 (network order), FWMARK 5, SCHED_NAME 6.
  const a = attributes(nest);
  const af = a.get(1)?.readUInt16LE(0) ?? 2;
  const sched = a.get(6)?.toString('latin1').replace(/\0.*$/s, '');
  const fwmark = a.get(5);
  const proto = a.get(2)?.readUInt16LE(0);
  const text = fwmark
    ? `fwmark ${fwmark.readUInt32LE(0)}`
    : `${proto === 6 ? 'tcp' : proto === 17 ? 'udp' : proto === 132 ? 'sctp' : `proto ${proto}`} ${address(af, a.get(3))}:${a.get(4)?.readUInt16BE(0) ?? '?'}`;
  return { text, af, ...(sched ? { scheduler: sched } : {}) };
}

/** The requests of the IPVS family that change the table, in order, with what they name. */
export function ipvsWriteOps(messages: readonly NetlinkMessage[], familyId: number): IpvsWriteOp[] {
  const out: IpvsWriteOp[] = [];
  for (const m of messages) {
    if (m.type !== familyId || (m.flags & K.NLM_F_REQUEST) === 0 || m.payload.length < 4) continue;
    const cmd = IPVS_WRITE_CMDS[m.payload[0]];
    if (!cmd) continue;
    // IPVS_CMD_ATTR: SERVICE 1, DEST 2 (nested).
    const top = attributes(m.payload, 4);
    const svc = describeService(top.get(1));
    const destNest = top.get(2);
    let dest: Pick<IpvsWriteOp, 'dest' | 'weight'> = {};
    if (destNest) {
      // IPVS_DEST_ATTR: ADDR 1, PORT 2 (network order), WEIGHT 4, ADDR_FAMILY 11.
      const d = attributes(destNest);
      const af = d.get(11)?.readUInt16LE(0) ?? svc.af;
      const w = d.get(4);
      dest = { dest: `${address(af, d.get(1))}:${d.get(2)?.readUInt16BE(0) ?? '?'}`, ...(w ? { weight: w.readInt32LE(0) } : {}) };
    }
    out.push({ atMs: m.atMs, cmd, service: svc.text, ...dest, ...(svc.scheduler && !destNest ? { scheduler: svc.scheduler } : {}) });
  }
  return out;
}

/**
 * `NEW_DEST tcp 192.0.2.1:80 -> 198.51.100.13:8080 w1`, `SET_SERVICE tcp 192.0.2.1:80 wlc`,
 * `DEL_DEST tcp 192.0.2.1:80 -> 198.51.100.13:8080`: the weight and the scheduler only where they
 * are what the command sets (a deletion names its target, whatever else it carries).
 */
export function opLine(o: IpvsWriteOp): string {
  const sets = o.cmd.startsWith('NEW_') || o.cmd.startsWith('SET_');
  const weight = sets && o.weight !== undefined ? ` w${o.weight}` : '';
  const sched = sets && o.scheduler ? ` ${o.scheduler}` : '';
  return `${o.cmd}${o.service ? ` ${o.service}` : ''}${o.dest ? ` -> ${o.dest}` : ''}${weight}${sched}`;
}
