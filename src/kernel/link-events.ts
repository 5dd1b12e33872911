// Decoding of rtnetlink link/address/route messages into typed values. Pure: no sockets.
//
// Input is either a raw datagram from an AF_NETLINK/NETLINK_ROUTE socket (one or more netlink
// messages back to back; framing is src/net/netlink-codec.ts) or one message payload. Nothing here throws on bad input:
// every decoder returns a Result, and parseKernelEvents() collects errors beside the events.
//
// Netlink message (linux/netlink.h), integers in host order (little-endian on our targets):
//
//   0               4       6       8               12              16
//   +---------------+-------+-------+---------------+---------------+---------- - -
//   | nlmsg_len     | type  | flags | nlmsg_seq     | nlmsg_pid     | payload ...
//   +---------------+-------+-------+---------------+---------------+---------- - -
//   nlmsg_len counts the 16-byte header; the next message starts at NLMSG_ALIGN(len) (4 bytes).
//
// Payloads (linux/rtnetlink.h, if_link.h, if_addr.h) are a fixed struct followed by rtattrs:
//
//   ifinfomsg (16): family u8 | pad u8 | type u16 | index s32 | flags u32 | change u32
//   ifaddrmsg  (8): family u8 | prefixlen u8 | flags u8 | scope u8 | index u32
//   rtmsg     (12): family | dst_len | src_len | tos | table | protocol | scope | type (u8 each) | flags u32
//   rtattr:         rta_len u16 | rta_type u16 | data ... padded to 4 bytes; rta_len excludes padding

import { IFA_F, IFF, routeTypeName } from './kernel.js';
import type { AddressInfo, LinkInfo, RouteInfo } from './kernel.js';
import { familyFromNumber, formatIp, formatMac } from '../lib/ip.js';
import { parseAttributes as parseNlAttributes, splitNetlinkMessages } from '../net/netlink-codec.js';
import type { NetlinkMessage } from '../net/netlink-codec.js';

export { NLMSG, NLMSG_HDRLEN, splitNetlinkMessages } from '../net/netlink-codec.js';

export const RTM = {
  NEWLINK: 16,
  DELLINK: 17,
  GETLINK: 18,
  NEWADDR: 20,
  DELADDR: 21,
  GETADDR: 22,
  NEWROUTE: 24,
  DELROUTE: 25,
  GETROUTE: 26,
} as const;
export const IFLA = { ADDRESS: 1, BROADCAST: 2, IFNAME: 3, MTU: 4, OPERSTATE: 16 } as const;
export const IFA = { ADDRESS: 1, LOCAL: 2, LABEL: 3, BROADCAST: 4, CACHEINFO: 6, FLAGS: 8 } as const;
export const RTA = { DST: 1, SRC: 2, IIF: 3, OIF: 4, GATEWAY: 5, PRIORITY: 6, PREFSRC: 7, TABLE: 15 } as const;

const IFINFOMSG_LEN = 16;
const IFADDRMSG_LEN = 8;
const RTMSG_LEN = 12;

const OPERSTATES = ['unknown', 'notpresent', 'down', 'lowerlayerdown', 'testing', 'dormant', 'up'];

export type ParseErrorCode =
  | 'truncated-header' // fewer than 16 bytes left for a netlink header
  | 'bad-length' // nlmsg_len smaller than the header or past the end of the buffer
  | 'truncated-payload' // payload shorter than its fixed struct
  | 'bad-attribute' // an rtattr whose length is impossible
  | 'bad-value' // an attribute of the wrong size for its type
  | 'missing-attribute' // e.g. a link without IFLA_IFNAME, an address without IFA_ADDRESS/LOCAL
  | 'unsupported-family'; // an address family we do not model

export interface ParseError {
  readonly kind: 'parseError';
  readonly code: ParseErrorCode;
  readonly message: string;
  /** Byte offset of the offending message inside the buffer given to parseKernelEvents. */
  readonly offset: number;
  /** nlmsg_type when the header could be read. */
  readonly msgType?: number;
}

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ParseError };

const parseError = (code: ParseErrorCode, message: string, offset = 0, msgType?: number): ParseError => ({
  kind: 'parseError',
  code,
  message,
  offset,
  ...(msgType !== undefined ? { msgType } : {}),
});
const ok = <T>(value: T): Result<T> => ({ ok: true, value });
const fail = <T>(code: ParseErrorCode, message: string): Result<T> => ({ ok: false, error: parseError(code, message) });

/** One netlink message cut out of a datagram (netlink-codec.ts). */
export type RawNetlinkMessage = NetlinkMessage;

export interface LinkEvent extends LinkInfo {
  readonly kind: 'link';
  /** RTM_NEWLINK is sent for creation and for every change; RTM_DELLINK for removal. */
  readonly action: 'update' | 'delete';
}

export interface AddressEvent extends AddressInfo {
  readonly kind: 'address';
  readonly action: 'add' | 'del';
}

export type KernelEvent = LinkEvent | AddressEvent;

/** rtattrs as type -> data (netlink-codec.ts; last one wins, NESTED/byte-order bits masked off). */
export function parseAttributes(buf: Buffer): Result<Map<number, Buffer>> {
  return parseNlAttributes(buf);
}

function cString(b: Buffer): string {
  const nul = b.indexOf(0);
  return b.subarray(0, nul < 0 ? b.length : nul).toString('utf8');
}

/** Decodes an RTM_NEWLINK/RTM_DELLINK payload. */
export function decodeLink(payload: Buffer): Result<LinkInfo> {
  if (payload.length < IFINFOMSG_LEN) return fail('truncated-payload', `ifinfomsg needs 16 bytes, got ${payload.length}`);
  const ifindex = payload.readInt32LE(4);
  const flags = payload.readUInt32LE(8);
  const ar = parseAttributes(payload.subarray(IFINFOMSG_LEN));
  if (!ar.ok) return ar;
  const a = ar.value;
  const nameB = a.get(IFLA.IFNAME);
  if (!nameB) return fail('missing-attribute', `link ${ifindex} has no IFLA_IFNAME`);
  const mtuB = a.get(IFLA.MTU);
  if (mtuB !== undefined && mtuB.length !== 4) return fail('bad-value', `IFLA_MTU of ${mtuB.length} bytes`);
  const macB = a.get(IFLA.ADDRESS);
  const opB = a.get(IFLA.OPERSTATE);
  const link: LinkInfo = {
    ifindex,
    name: cString(nameB),
    up: (flags & IFF.UP) !== 0,
    carrier: (flags & IFF.RUNNING) !== 0,
    mtu: mtuB ? mtuB.readUInt32LE(0) : 0,
    mac: macB ? formatMac(macB) : '',
    flags,
    ...(opB && opB.length >= 1 ? { operstate: OPERSTATES[opB[0]] ?? String(opB[0]) } : {}),
  };
  return ok(link);
}

/** Attribute `t` as an address of `family` (IPv4: 4 bytes, IPv6: 16); undefined when absent. */
function ipAttribute(a: ReadonlyMap<number, Buffer>, t: number, family: 'inet' | 'inet6', what: string): Result<string | undefined> {
  const v = a.get(t);
  if (v === undefined) return ok(undefined);
  if (v.length !== (family === 'inet' ? 4 : 16)) return fail('bad-value', `${what} attribute ${t} of ${v.length} bytes for ${family}`);
  return ok(formatIp(v));
}

/** Decodes an RTM_NEWADDR/RTM_DELADDR payload (IPv4 and IPv6 only). */
export function decodeAddress(payload: Buffer): Result<AddressInfo> {
  if (payload.length < IFADDRMSG_LEN) return fail('truncated-payload', `ifaddrmsg needs 8 bytes, got ${payload.length}`);
  const famNum = payload[0];
  const family = familyFromNumber(famNum);
  if (!family) return fail('unsupported-family', `address family ${famNum}`);
  const prefixLength = payload[1];
  const scope = payload[3];
  const ifindex = payload.readUInt32LE(4);
  const ar = parseAttributes(payload.subarray(IFADDRMSG_LEN));
  if (!ar.ok) return ar;
  const a = ar.value;
  const ip = (t: number) => ipAttribute(a, t, family, 'address');
  const local = ip(IFA.LOCAL);
  const addr = ip(IFA.ADDRESS);
  const brd = ip(IFA.BROADCAST);
  if (!local.ok) return local;
  if (!addr.ok) return addr;
  if (!brd.ok) return brd;
  // linux/if_addr.h: IFA_ADDRESS is the prefix/peer address, IFA_LOCAL the interface's own.
  const own = local.value ?? addr.value;
  if (own === undefined) return fail('missing-attribute', `address on ifindex ${ifindex} has neither IFA_LOCAL nor IFA_ADDRESS`);
  const flagsB = a.get(IFA.FLAGS);
  if (flagsB !== undefined && flagsB.length !== 4) return fail('bad-value', `IFA_FLAGS of ${flagsB.length} bytes`);
  const flags = flagsB ? flagsB.readUInt32LE(0) : payload[2];
  const labelB = a.get(IFA.LABEL);
  const info: AddressInfo = {
    ifindex,
    family,
    address: own,
    prefixLength,
    ...(local.value !== undefined && addr.value !== undefined && addr.value !== local.value ? { peer: addr.value } : {}),
    ...(brd.value !== undefined ? { broadcast: brd.value } : {}),
    ...(labelB ? { label: cString(labelB) } : {}),
    scope,
    flags,
  };
  return ok(info);
}

/** Decodes an RTM_NEWROUTE/RTM_DELROUTE payload (IPv4 and IPv6 only). */
export function decodeRoute(payload: Buffer): Result<RouteInfo> {
  if (payload.length < RTMSG_LEN) return fail('truncated-payload', `rtmsg needs 12 bytes, got ${payload.length}`);
  const family = familyFromNumber(payload[0]);
  if (!family) return fail('unsupported-family', `route family ${payload[0]}`);
  const prefixLength = payload[1];
  const ar = parseAttributes(payload.subarray(RTMSG_LEN));
  if (!ar.ok) return ar;
  const a = ar.value;
  const ip = (t: number) => ipAttribute(a, t, family, 'route');
  const u32 = (t: number): Result<number | undefined> => {
    const v = a.get(t);
    if (v === undefined) return ok(undefined);
    if (v.length !== 4) return fail('bad-value', `route attribute ${t} of ${v.length} bytes, want 4`);
    return ok(v.readUInt32LE(0));
  };
  const dst = ip(RTA.DST);
  const gw = ip(RTA.GATEWAY);
  const src = ip(RTA.PREFSRC);
  const oif = u32(RTA.OIF);
  const prio = u32(RTA.PRIORITY);
  const table = u32(RTA.TABLE);
  for (const r of [dst, gw, src, oif, prio, table]) if (!r.ok) return r as Result<never>;
  const v = <T>(r: Result<T>): T => (r as { value: T }).value;
  const route: RouteInfo = {
    family,
    dst: prefixLength === 0 && v(dst) === undefined ? 'default' : (v(dst) ?? (family === 'inet' ? '0.0.0.0' : '::')),
    prefixLength,
    ...(v(gw) !== undefined ? { via: v(gw) } : {}),
    ...(v(oif) !== undefined ? { ifindex: v(oif) } : {}),
    ...(v(src) !== undefined ? { src: v(src) } : {}),
    ...(v(prio) !== undefined ? { metric: v(prio) } : {}),
    // RTA_TABLE carries ids above 255; rtm_table then holds RT_TABLE_UNSPEC (0) or 252 (compat).
    table: v(table) ?? payload[4],
    scope: payload[6],
    type: routeTypeName(payload[7]),
    protocol: payload[5],
    tos: payload[3],
  };
  return ok(route);
}

/**
 * Turns one datagram from the rtnetlink event socket (groups RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR,
 * RTNLGRP_IPV6_IFADDR) into events. Never throws: bad messages become `errors`, other message
 * types (routes, NLMSG_DONE, ...) are skipped and counted.
 */
export function parseKernelEvents(buf: Uint8Array): { events: KernelEvent[]; errors: ParseError[]; ignored: number } {
  const events: KernelEvent[] = [];
  const errors: ParseError[] = [];
  let ignored = 0;
  let split: ReturnType<typeof splitNetlinkMessages>;
  try {
    split = splitNetlinkMessages(buf);
  } catch (e) {
    // Defensive only: splitNetlinkMessages bounds-checks every read.
    return { events, errors: [{ kind: 'parseError', code: 'bad-length', message: String(e), offset: 0 }], ignored };
  }
  if (split.error) errors.push(split.error);
  for (const m of split.messages) {
    const at = (e: ParseError): ParseError => ({ ...e, offset: m.offset, msgType: m.type });
    switch (m.type) {
      case RTM.NEWLINK:
      case RTM.DELLINK: {
        const r = decodeLink(m.payload);
        if (r.ok) events.push({ kind: 'link', action: m.type === RTM.NEWLINK ? 'update' : 'delete', ...r.value });
        else errors.push(at(r.error));
        break;
      }
      case RTM.NEWADDR:
      case RTM.DELADDR: {
        const r = decodeAddress(m.payload);
        if (r.ok) events.push({ kind: 'address', action: m.type === RTM.NEWADDR ? 'add' : 'del', ...r.value });
        else if (r.error.code === 'unsupported-family') ignored++;
        else errors.push(at(r.error));
        break;
      }
      default:
        ignored++;
    }
  }
  return { events, errors, ignored };
}

/** True when the address is still tentative (IPv6 DAD not finished) or failed DAD. */
export function isTentative(a: AddressInfo): boolean {
  return (a.flags & (IFA_F.TENTATIVE | IFA_F.DADFAILED)) !== 0;
}
