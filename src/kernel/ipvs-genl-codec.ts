// The attributes of the generic netlink family "IPVS" (linux/ip_vs.h), both ways: requests we
// build and the kernel's dump replies. Pure: no sockets.
//
//   message  = nlmsghdr | genlmsghdr (cmd u8, version 1, reserved u16) | attributes
//   service  = IPVS_CMD_ATTR_SERVICE { AF u16, PROTOCOL u16, ADDR 16 bytes (union nf_inet_addr),
//              PORT be16 | FWMARK u32, SCHED_NAME str, PE_NAME str, FLAGS {flags u32, mask u32},
//              TIMEOUT u32 (s), NETMASK u32 (IPv4: the mask's bytes in network order; IPv6: the
//              prefix length as a number) }
//   dest     = IPVS_CMD_ATTR_DEST { ADDR 16 bytes, PORT be16, FWD_METHOD u32, WEIGHT u32,
//              U_THRESH u32, L_THRESH u32, ADDR_FAMILY u16, TUN_TYPE u8, TUN_PORT be16,
//              TUN_FLAGS u16 }
//   config   = IPVS_CMD_ATTR_TIMEOUT_TCP / _TCP_FIN / _UDP u32 (s), top level
//   info     = IPVS_INFO_ATTR_VERSION u32 (0x010201 = 1.2.1), IPVS_INFO_ATTR_CONN_TAB_SIZE u32
//
// A NEW/SET_SERVICE carries the full service (the kernel refuses one without scheduler, flags,
// timeout and netmask); a DEL_SERVICE and every dest command carry only the service's key.
// NEW/SET_DEST carry the full dest; DEL_DEST only its address, port and family.
import { IpAddress, LENIENT, familyNumber, familyFromNumber, formatIp, parseIp, type Family } from '../lib/ip.js';
import { NetlinkWriter, type NlResult, nlParseError, parseAttributes } from '../net/netlink-codec.js';
import {
  IPVS_DEFAULT_NETMASK,
  IPVS_SVC_FLAG,
  canonicalIpvsDest,
  canonicalIpvsService,
  type IpvsDest,
  type IpvsForward,
  type IpvsInfo,
  type IpvsOp,
  type IpvsProtocol,
  type IpvsService,
  type IpvsServiceKey,
  type IpvsSyncDaemon,
  type IpvsTimeouts,
  type IpvsTunnelType,
} from './ipvs.js';

export const IPVS_GENL_NAME = 'IPVS';
export const IPVS_GENL_VERSION = 1;

export const IPVS_CMD = {
  NEW_SERVICE: 1,
  SET_SERVICE: 2,
  DEL_SERVICE: 3,
  GET_SERVICE: 4,
  NEW_DEST: 5,
  SET_DEST: 6,
  DEL_DEST: 7,
  GET_DEST: 8,
  NEW_DAEMON: 9,
  DEL_DAEMON: 10,
  GET_DAEMON: 11,
  SET_CONFIG: 12,
  GET_CONFIG: 13,
  SET_INFO: 14,
  GET_INFO: 15,
  ZERO: 16,
  FLUSH: 17,
} as const;

export const IPVS_CMD_ATTR = { SERVICE: 1, DEST: 2, DAEMON: 3, TIMEOUT_TCP: 4, TIMEOUT_TCP_FIN: 5, TIMEOUT_UDP: 6 } as const;

export const IPVS_SVC_ATTR = {
  AF: 1,
  PROTOCOL: 2,
  ADDR: 3,
  PORT: 4,
  FWMARK: 5,
  SCHED_NAME: 6,
  FLAGS: 7,
  TIMEOUT: 8,
  NETMASK: 9,
  STATS: 10,
  PE_NAME: 11,
  STATS64: 12,
} as const;

export const IPVS_DEST_ATTR = {
  ADDR: 1,
  PORT: 2,
  FWD_METHOD: 3,
  WEIGHT: 4,
  U_THRESH: 5,
  L_THRESH: 6,
  ACTIVE_CONNS: 7,
  INACT_CONNS: 8,
  PERSIST_CONNS: 9,
  STATS: 10,
  ADDR_FAMILY: 11,
  STATS64: 12,
  TUN_TYPE: 13,
  TUN_PORT: 14,
  TUN_FLAGS: 15,
} as const;

export const IPVS_INFO_ATTR = { VERSION: 1, CONN_TAB_SIZE: 2 } as const;

/** IP protocol numbers (netinet/in.h). */
export const IPPROTO: Readonly<Record<IpvsProtocol, number>> = { tcp: 6, udp: 17, sctp: 132 };
const PROTO_BY_NUMBER = new Map<number, IpvsProtocol>([
  [6, 'tcp'],
  [17, 'udp'],
  [132, 'sctp'],
]);

/** IP_VS_CONN_F_* forwarding methods. */
export const IPVS_FWD: Readonly<Record<IpvsForward, number>> = { masq: 0, local: 1, tunnel: 2, route: 3, bypass: 4 };
const FWD_BY_NUMBER = new Map<number, IpvsForward>(Object.entries(IPVS_FWD).map(([k, v]) => [v, k as IpvsForward]));

/** IP_VS_CONN_F_TUNNEL_TYPE_*. */
export const IPVS_TUNNEL_TYPE: Readonly<Record<IpvsTunnelType, number>> = { ipip: 0, gue: 1, gre: 2 };
const TUN_BY_NUMBER = new Map<number, IpvsTunnelType>(Object.entries(IPVS_TUNNEL_TYPE).map(([k, v]) => [v, k as IpvsTunnelType]));

/** IP_VS_SCHEDNAME_MAXLEN / IP_VS_PENAME_MAXLEN, the NUL included. */
const NAME_MAXLEN = 16;

/** An op the caller asked for that cannot be put into bytes (bad address, out-of-range number). */
export class IpvsEncodeError extends Error {
  readonly code = 'EINVALID_ARG';
}

const fail = (msg: string): never => {
  throw new IpvsEncodeError(msg);
};

/** Parsed addresses, so a table of thousands of entries parses each real server once. */
const addrCache = new Map<string, Buffer>();
const ADDR_CACHE_MAX = 8192;

/** union nf_inet_addr: 16 bytes, an IPv4 address in the first 4. Callers copy, never mutate. */
function addrBytes(family: Family, text: string, what: string): Buffer {
  const ck = `${family}|${text}`;
  const hit = addrCache.get(ck);
  if (hit) return hit;
  const p = parseIp(text);
  if (!p) return fail(`${what} '${text}' is not an IP address`);
  if (p.family !== family) return fail(`${what} '${text}' is not an ${family === 'inet' ? 'IPv4' : 'IPv6'} address`);
  const b = Buffer.alloc(16);
  b.set(p.bytes, 0);
  if (addrCache.size >= ADDR_CACHE_MAX) addrCache.clear();
  addrCache.set(ck, b);
  return b;
}

const be16 = (v: number, what: string): Buffer => {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) fail(`${what} ${v} is not in 0..65535`);
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v, 0);
  return b;
};

const u32Checked = (v: number, what: string): number => {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) fail(`${what} ${v} is not in 0..4294967295`);
  return v;
};

const nameAttr = (w: NetlinkWriter, type: number, s: string, what: string): void => {
  if (s.length === 0 || Buffer.byteLength(s) >= NAME_MAXLEN || s.includes('\0')) fail(`${what} '${s}' must be 1..15 bytes`);
  w.str(type, s);
};

/** The netmask attribute: IPv4 mask bytes as stored (network order), IPv6 a prefix length. */
function netmaskValue(family: Family, netmask: string): Buffer {
  const b = Buffer.alloc(4);
  if (family === 'inet') {
    const p = parseIp(netmask);
    if (!p || p.family !== 'inet') return fail(`IPv4 persistence netmask '${netmask}' is not a dotted quad`);
    b.set(p.bytes, 0);
  } else {
    const n = Number(netmask);
    if (!/^\d{1,3}$/.test(netmask) || n < 1 || n > 128) return fail(`IPv6 persistence netmask '${netmask}' is not a prefix length 1..128`);
    b.writeUInt32LE(n, 0);
  }
  return b;
}

/** Encoded key attributes per key object: every dest op of a service shares its key's bytes. */
const keyCache = new WeakMap<IpvsServiceKey, Buffer>();

/** The key attributes of a service (inside an open IPVS_CMD_ATTR_SERVICE nest). */
function writeKeyAttrs(w: NetlinkWriter, key: IpvsServiceKey): void {
  let b = keyCache.get(key);
  if (!b) {
    const k = new NetlinkWriter(64);
    writeKeyAttrsUncached(k, key);
    b = k.finish();
    keyCache.set(key, b);
  }
  w.bytes(b);
}

function writeKeyAttrsUncached(w: NetlinkWriter, key: IpvsServiceKey): void {
  w.u16(IPVS_SVC_ATTR.AF, familyNumber(key.family));
  if (key.kind === 'fwmark') {
    if (!Number.isInteger(key.fwmark) || key.fwmark < 1 || key.fwmark > 0xffffffff) fail(`fwmark ${key.fwmark} is not in 1..4294967295`);
    w.u32(IPVS_SVC_ATTR.FWMARK, key.fwmark);
  } else {
    const proto = IPPROTO[key.protocol];
    if (proto === undefined) fail(`protocol '${String(key.protocol)}' is not tcp, udp or sctp`);
    w.u16(IPVS_SVC_ATTR.PROTOCOL, proto);
    w.attr(IPVS_SVC_ATTR.ADDR, addrBytes(key.family, key.address, 'virtual server address'));
    w.attr(IPVS_SVC_ATTR.PORT, be16(key.port, 'virtual server port'));
  }
}

/** IPVS_CMD_ATTR_SERVICE with only the key (DEL_SERVICE, every dest command, GET_DEST). */
export function writeServiceKey(w: NetlinkWriter, key: IpvsServiceKey): void {
  w.beginNested(IPVS_CMD_ATTR.SERVICE);
  writeKeyAttrs(w, key);
  w.endNested();
}

/** IPVS_CMD_ATTR_SERVICE with every field (NEW_SERVICE, SET_SERVICE). */
export function writeService(w: NetlinkWriter, given: IpvsService): void {
  const s = given;
  u32Checked(s.flags, 'service flags');
  u32Checked(s.timeout, 'persistence timeout');
  // PERSISTENT exactly when a timeout is set, HASHED never (the kernel's own bit): the flags of
  // canonicalIpvsService, without its address canonicalisation (the bytes are the same).
  const flags = (s.flags & ~IPVS_SVC_FLAG.HASHED & ~IPVS_SVC_FLAG.PERSISTENT) | (s.timeout > 0 ? IPVS_SVC_FLAG.PERSISTENT : 0);
  const flagsB = Buffer.alloc(8);
  flagsB.writeUInt32LE(flags >>> 0, 0);
  flagsB.writeUInt32LE(0xffffffff, 4); // every bit is ours to set
  w.beginNested(IPVS_CMD_ATTR.SERVICE);
  writeKeyAttrs(w, s.key);
  nameAttr(w, IPVS_SVC_ATTR.SCHED_NAME, s.scheduler, 'scheduler');
  if (s.pe !== undefined && s.pe !== '') nameAttr(w, IPVS_SVC_ATTR.PE_NAME, s.pe, 'persistence engine');
  w.attr(IPVS_SVC_ATTR.FLAGS, flagsB);
  w.u32(IPVS_SVC_ATTR.TIMEOUT, s.timeout);
  w.attr(IPVS_SVC_ATTR.NETMASK, netmaskValue(s.key.family, s.netmask === '' ? IPVS_DEFAULT_NETMASK[s.key.family] : s.netmask));
  w.endNested();
}

/** IPVS_CMD_ATTR_DEST; `full` false writes only what DEL_DEST needs. */
export function writeDest(w: NetlinkWriter, d: IpvsDest | Pick<IpvsDest, 'family' | 'address' | 'port'>, full: boolean): void {
  w.beginNested(IPVS_CMD_ATTR.DEST);
  w.attr(IPVS_DEST_ATTR.ADDR, addrBytes(d.family, d.address, 'real server address'));
  w.attr(IPVS_DEST_ATTR.PORT, be16(d.port, 'real server port'));
  w.u16(IPVS_DEST_ATTR.ADDR_FAMILY, familyNumber(d.family));
  if (full) {
    const f = d as IpvsDest;
    const fwd = IPVS_FWD[f.forward];
    if (fwd === undefined) fail(`forwarding method '${String(f.forward)}' is unknown`);
    if (!Number.isInteger(f.weight) || f.weight < 0 || f.weight > 0x7fffffff) fail(`weight ${f.weight} is not in 0..2147483647`);
    w.u32(IPVS_DEST_ATTR.FWD_METHOD, fwd);
    w.u32(IPVS_DEST_ATTR.WEIGHT, f.weight);
    w.u32(IPVS_DEST_ATTR.U_THRESH, u32Checked(f.upperThreshold, 'upper threshold'));
    w.u32(IPVS_DEST_ATTR.L_THRESH, u32Checked(f.lowerThreshold, 'lower threshold'));
    // Like ipvsadm, the tunnel fields go with every full dest (zeros unless it is a tunnel).
    const tunnel = f.forward === 'tunnel';
    const tt = IPVS_TUNNEL_TYPE[tunnel ? (f.tunnelType ?? 'ipip') : 'ipip'];
    if (tt === undefined) fail(`tunnel type '${String(f.tunnelType)}' is not ipip, gue or gre`);
    const tf = tunnel ? (f.tunnelFlags ?? 0) : 0;
    if (!Number.isInteger(tf) || tf < 0 || tf > 0xffff) fail(`tunnel flags ${tf} are not in 0..65535`);
    w.u8(IPVS_DEST_ATTR.TUN_TYPE, tt);
    w.attr(IPVS_DEST_ATTR.TUN_PORT, be16(tunnel ? (f.tunnelPort ?? 0) : 0, 'tunnel port'));
    w.u16(IPVS_DEST_ATTR.TUN_FLAGS, tf);
  }
  w.endNested();
}

/** The genlmsghdr every IPVS request starts with. */
export function writeGenlHeader(w: NetlinkWriter, cmd: number): void {
  w.bytes(Uint8Array.of(cmd, IPVS_GENL_VERSION, 0, 0));
}

/** The whole request of one op after nlmsghdr: genlmsghdr (its command) and attributes. */
export function writeIpvsOp(w: NetlinkWriter, op: IpvsOp): void {
  switch (op.op) {
    case 'addService':
    case 'editService':
      writeGenlHeader(w, op.op === 'addService' ? IPVS_CMD.NEW_SERVICE : IPVS_CMD.SET_SERVICE);
      writeService(w, op.service);
      return;
    case 'deleteService':
      writeGenlHeader(w, IPVS_CMD.DEL_SERVICE);
      writeServiceKey(w, op.key);
      return;
    case 'addDest':
    case 'editDest':
      writeGenlHeader(w, op.op === 'addDest' ? IPVS_CMD.NEW_DEST : IPVS_CMD.SET_DEST);
      writeServiceKey(w, op.key);
      writeDest(w, op.dest, true);
      return;
    case 'deleteDest':
      writeGenlHeader(w, IPVS_CMD.DEL_DEST);
      writeServiceKey(w, op.key);
      writeDest(w, op.dest, false);
      return;
    default:
      fail(`unknown IPVS op '${String((op as { op?: unknown }).op)}'`);
  }
}

/** SET_CONFIG body after the genl header (0 leaves a timeout unchanged). */
export function writeTimeouts(w: NetlinkWriter, t: IpvsTimeouts): void {
  w.u32(IPVS_CMD_ATTR.TIMEOUT_TCP, u32Checked(t.tcp, 'tcp timeout'));
  w.u32(IPVS_CMD_ATTR.TIMEOUT_TCP_FIN, u32Checked(t.tcpFin, 'tcpfin timeout'));
  w.u32(IPVS_CMD_ATTR.TIMEOUT_UDP, u32Checked(t.udp, 'udp timeout'));
}

// ---- decoding the kernel's replies (never throws) ----

const bad = <T>(msg: string): NlResult<T> => ({ ok: false, error: nlParseError('truncated-payload', msg) });

const cString = (b: Buffer): string => {
  const nul = b.indexOf(0);
  return b.subarray(0, nul < 0 ? b.length : nul).toString('utf8');
};

/** The top-level attributes of a genl reply (after the 4-byte genlmsghdr). */
export function genlAttributes(payload: Buffer): NlResult<Map<number, Buffer>> {
  if (payload.length < 4) return bad(`genlmsghdr needs 4 bytes, got ${payload.length}`);
  return parseAttributes(payload.subarray(4));
}

function readAddr(b: Buffer | undefined, family: Family): string | undefined {
  if (!b) return undefined;
  const n = family === 'inet' ? 4 : 16;
  if (b.length < n) return undefined;
  return formatIp(b.subarray(0, n));
}

const u16le = (b: Buffer | undefined): number | undefined => (b && b.length >= 2 ? b.readUInt16LE(0) : undefined);
const u32le = (b: Buffer | undefined): number | undefined => (b && b.length >= 4 ? b.readUInt32LE(0) : undefined);
const u16be = (b: Buffer | undefined): number | undefined => (b && b.length >= 2 ? b.readUInt16BE(0) : undefined);

/** The attributes of the one nested IPVS_CMD_ATTR_* a reply payload carries. */
function nestedReply(payload: Buffer, attr: number, what: string): NlResult<Map<number, Buffer>> {
  const top = genlAttributes(payload);
  if (!top.ok) return top;
  const nest = top.value.get(attr);
  if (!nest) return bad(what);
  return parseAttributes(nest);
}

/** One service of a GET_SERVICE dump reply (a whole message payload). */
export function decodeService(payload: Buffer): NlResult<IpvsService> {
  const ar = nestedReply(payload, IPVS_CMD_ATTR.SERVICE, 'service reply without IPVS_CMD_ATTR_SERVICE');
  if (!ar.ok) return ar;
  const a = ar.value;
  const family = familyFromNumber(u16le(a.get(IPVS_SVC_ATTR.AF)) ?? -1);
  if (!family) return bad('service without a known IPVS_SVC_ATTR_AF');
  let key: IpvsServiceKey;
  const fwmark = u32le(a.get(IPVS_SVC_ATTR.FWMARK));
  if (fwmark !== undefined && fwmark !== 0) {
    key = { kind: 'fwmark', family, fwmark };
  } else {
    const protocol = PROTO_BY_NUMBER.get(u16le(a.get(IPVS_SVC_ATTR.PROTOCOL)) ?? -1);
    const address = readAddr(a.get(IPVS_SVC_ATTR.ADDR), family);
    const port = u16be(a.get(IPVS_SVC_ATTR.PORT));
    if (!protocol || address === undefined || port === undefined) return bad('service without fwmark nor protocol/address/port');
    key = { kind: 'addr', family, protocol, address, port };
  }
  const sched = a.get(IPVS_SVC_ATTR.SCHED_NAME);
  const flagsB = a.get(IPVS_SVC_ATTR.FLAGS);
  const timeout = u32le(a.get(IPVS_SVC_ATTR.TIMEOUT));
  const nm = a.get(IPVS_SVC_ATTR.NETMASK);
  if (!sched || !flagsB || flagsB.length < 4 || timeout === undefined || !nm || nm.length < 4) return bad('service without scheduler, flags, timeout or netmask');
  const netmask = family === 'inet' ? (formatIp(nm.subarray(0, 4)) ?? '') : String(nm.readUInt32LE(0));
  const peB = a.get(IPVS_SVC_ATTR.PE_NAME);
  const pe = peB ? cString(peB) : '';
  return {
    ok: true,
    value: canonicalIpvsService({
      key,
      scheduler: cString(sched),
      flags: flagsB.readUInt32LE(0),
      timeout,
      netmask,
      ...(pe !== '' ? { pe } : {}),
    }),
  };
}

/** One dest of a GET_DEST dump reply; `serviceFamily` is the default when ADDR_FAMILY is absent. */
export function decodeDest(payload: Buffer, serviceFamily: Family): NlResult<IpvsDest> {
  const ar = nestedReply(payload, IPVS_CMD_ATTR.DEST, 'dest reply without IPVS_CMD_ATTR_DEST');
  if (!ar.ok) return ar;
  const a = ar.value;
  const afN = u16le(a.get(IPVS_DEST_ATTR.ADDR_FAMILY));
  const family = afN === undefined || afN === 0 ? serviceFamily : familyFromNumber(afN);
  if (!family) return bad(`dest with unknown address family ${afN}`);
  const address = readAddr(a.get(IPVS_DEST_ATTR.ADDR), family);
  const port = u16be(a.get(IPVS_DEST_ATTR.PORT));
  const fwdN = u32le(a.get(IPVS_DEST_ATTR.FWD_METHOD));
  const weight = u32le(a.get(IPVS_DEST_ATTR.WEIGHT));
  const upper = u32le(a.get(IPVS_DEST_ATTR.U_THRESH));
  const lower = u32le(a.get(IPVS_DEST_ATTR.L_THRESH));
  if (address === undefined || port === undefined || fwdN === undefined || weight === undefined || upper === undefined || lower === undefined) {
    return bad('dest without address, port, forwarding method, weight or thresholds');
  }
  const forward = FWD_BY_NUMBER.get(fwdN & 0x7);
  if (!forward) return bad(`dest with unknown forwarding method ${fwdN}`);
  const tunB = a.get(IPVS_DEST_ATTR.TUN_TYPE);
  const tunnelType = tunB && tunB.length >= 1 ? TUN_BY_NUMBER.get(tunB[0]) : undefined;
  return {
    ok: true,
    value: canonicalIpvsDest({
      family,
      address,
      port,
      forward,
      weight: weight | 0,
      upperThreshold: upper,
      lowerThreshold: lower,
      ...(tunnelType !== undefined ? { tunnelType } : {}),
      ...(a.has(IPVS_DEST_ATTR.TUN_PORT) ? { tunnelPort: u16be(a.get(IPVS_DEST_ATTR.TUN_PORT)) ?? 0 } : {}),
      ...(a.has(IPVS_DEST_ATTR.TUN_FLAGS) ? { tunnelFlags: u16le(a.get(IPVS_DEST_ATTR.TUN_FLAGS)) ?? 0 } : {}),
    }),
  };
}

/** The GET_INFO reply. */
export function decodeInfo(payload: Buffer): NlResult<IpvsInfo> {
  const top = genlAttributes(payload);
  if (!top.ok) return top;
  const v = u32le(top.value.get(IPVS_INFO_ATTR.VERSION));
  const size = u32le(top.value.get(IPVS_INFO_ATTR.CONN_TAB_SIZE));
  if (v === undefined || size === undefined) return bad('info reply without version or connection table size');
  return { ok: true, value: { version: `${(v >> 16) & 0xff}.${(v >> 8) & 0xff}.${v & 0xff}`, connTableSize: size } };
}

/** Attributes inside IPVS_CMD_ATTR_DAEMON (linux/ip_vs.h). */
export const IPVS_DAEMON_ATTR = { STATE: 1, MCAST_IFN: 2, SYNC_ID: 3, SYNC_MAXLEN: 4, MCAST_GROUP: 5, MCAST_GROUP6: 6, MCAST_PORT: 7, MCAST_TTL: 8 } as const;
/** IP_VS_STATE_MASTER / IP_VS_STATE_BACKUP. */
const SYNC_STATE = { master: 1, backup: 2 } as const;
/** IP_VS_IFNAME_MAXLEN: the interface name and its NUL. */
const IPVS_IFNAME_MAXLEN = 16;

/** IPVS_CMD_ATTR_DAEMON for NEW_DAEMON (everything) or DEL_DAEMON (the state only). */
export function writeSyncDaemon(w: NetlinkWriter, d: IpvsSyncDaemon | Pick<IpvsSyncDaemon, 'state'>, full: boolean): void {
  w.beginNested(IPVS_CMD_ATTR.DAEMON);
  w.u32(IPVS_DAEMON_ATTR.STATE, SYNC_STATE[d.state]);
  if (full && 'ifname' in d) {
    if (d.ifname.length === 0 || d.ifname.length >= IPVS_IFNAME_MAXLEN) throw new IpvsEncodeError(`sync daemon interface name '${d.ifname}' must have 1 to 15 characters`);
    w.str(IPVS_DAEMON_ATTR.MCAST_IFN, d.ifname);
    w.u32(IPVS_DAEMON_ATTR.SYNC_ID, u32Checked(d.syncId, 'sync id'));
    // The kernel reads maxlen and port as host-order u16 and the TTL as u8 (ip_vs_ctl.c).
    if (d.maxLen) w.u16(IPVS_DAEMON_ATTR.SYNC_MAXLEN, d.maxLen);
    if (d.port) w.u16(IPVS_DAEMON_ATTR.MCAST_PORT, d.port);
    if (d.ttl) w.u8(IPVS_DAEMON_ATTR.MCAST_TTL, d.ttl);
    if (d.group !== undefined) {
      const g = IpAddress.parse(d.group, LENIENT);
      if (!g) throw new IpvsEncodeError(`sync daemon group '${d.group}' is not an address`);
      w.attr(g.family === 'inet' ? IPVS_DAEMON_ATTR.MCAST_GROUP : IPVS_DAEMON_ATTR.MCAST_GROUP6, g.bytes);
    }
  }
  w.endNested();
}

/** One GET_DAEMON reply message. */
export function decodeSyncDaemon(payload: Buffer): NlResult<IpvsSyncDaemon> {
  const ar = nestedReply(payload, IPVS_CMD_ATTR.DAEMON, 'daemon reply without IPVS_CMD_ATTR_DAEMON');
  if (!ar.ok) return ar;
  const a = ar.value;
  const stateN = u32le(a.get(IPVS_DAEMON_ATTR.STATE));
  const state = stateN === SYNC_STATE.master ? 'master' : stateN === SYNC_STATE.backup ? 'backup' : undefined;
  const ifn = a.get(IPVS_DAEMON_ATTR.MCAST_IFN);
  const syncId = u32le(a.get(IPVS_DAEMON_ATTR.SYNC_ID));
  if (state === undefined || ifn === undefined || syncId === undefined) return bad('daemon reply without state, interface or sync id');
  const nul = ifn.indexOf(0);
  const g4 = a.get(IPVS_DAEMON_ATTR.MCAST_GROUP);
  const g6 = a.get(IPVS_DAEMON_ATTR.MCAST_GROUP6);
  const group = g6 && g6.length === 16 && g6.some((x) => x !== 0) ? IpAddress.fromBytes(g6) : g4 && g4.length === 4 && g4.some((x) => x !== 0) ? IpAddress.fromBytes(g4) : undefined;
  const maxLen = u16le(a.get(IPVS_DAEMON_ATTR.SYNC_MAXLEN));
  const port = u16le(a.get(IPVS_DAEMON_ATTR.MCAST_PORT));
  const ttlB = a.get(IPVS_DAEMON_ATTR.MCAST_TTL);
  return {
    ok: true,
    value: {
      state,
      ifname: ifn.subarray(0, nul < 0 ? ifn.length : nul).toString('utf8'),
      syncId,
      ...(maxLen ? { maxLen } : {}),
      ...(group ? { group: group.text } : {}),
      ...(port ? { port } : {}),
      ...(ttlB && ttlB.length >= 1 && ttlB[0] ? { ttl: ttlB[0] } : {}),
    },
  };
}

/** The GET_CONFIG reply. */
export function decodeTimeouts(payload: Buffer): NlResult<IpvsTimeouts> {
  const top = genlAttributes(payload);
  if (!top.ok) return top;
  const tcp = u32le(top.value.get(IPVS_CMD_ATTR.TIMEOUT_TCP));
  const tcpFin = u32le(top.value.get(IPVS_CMD_ATTR.TIMEOUT_TCP_FIN));
  const udp = u32le(top.value.get(IPVS_CMD_ATTR.TIMEOUT_UDP));
  if (tcp === undefined || tcpFin === undefined || udp === undefined) return bad('config reply without the three timeouts');
  return { ok: true, value: { tcp, tcpFin, udp } };
}
