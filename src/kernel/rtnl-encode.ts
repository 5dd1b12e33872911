// Encoding of rtnetlink request payloads (the part after the 16-byte nlmsghdr, which
// NetlinkSocket.request adds), written with the one netlink writer (src/net/netlink-codec.ts).
// Pure. Layouts are drawn in link-events.ts.
//
// Attribute choices follow iproute2's `ip addr add` / `ip route add`, which is also what
// keepalived sends: IFA_LOCAL = the address, IFA_ADDRESS = the peer or else the address itself,
// IFA_FLAGS (u32) whenever a flag is set (flags above 0xff do not fit ifa_flags), RTA_TABLE for
// table ids above 255 with rtm_table = RT_TABLE_UNSPEC.

import { KernelError } from './errors.js';
import type { AddressSpec, RouteSpec, Scope } from './kernel.js';
import { IFA_F, ROUTE_TYPES, RT_TABLE_MAIN, RTPROT_BOOT, SCOPES, scopeNumber } from './kernel.js';
import { familyNumber, ipv4Broadcast, LENIENT, maxPrefix, parseIp, type Family } from '../lib/ip.js';
import { IFA, IFLA, RTA } from './link-events.js';
import { NetlinkWriter } from '../net/netlink-codec.js';

function bad(op: string, message: string): KernelError {
  return new KernelError('EINVALID_ARG', op, message);
}

function ipOf(op: string, what: string, text: string, family?: Family): { family: Family; bytes: Uint8Array } {
  const p = parseIp(text, LENIENT);
  if (!p) throw bad(op, `${what} '${text}' is not an IP address`);
  if (family && p.family !== family) throw bad(op, `${what} '${text}' is not ${family === 'inet' ? 'IPv4' : 'IPv6'}`);
  return p;
}

function prefixOf(op: string, family: Family, given: number | undefined, dflt: number): number {
  const p = given ?? dflt;
  if (!Number.isInteger(p) || p < 0 || p > maxPrefix(family)) throw bad(op, `prefix length ${p} out of range for ${family}`);
  return p;
}

function scopeOf(op: string, s: Scope): number {
  const n = scopeNumber(s);
  if (n === undefined || !Number.isInteger(n) || n < 0 || n > 255) throw bad(op, `bad scope ${String(s)}`);
  return n;
}

/** ifaddrmsg + attributes for RTM_NEWADDR / RTM_DELADDR. `ifindex` is already resolved. */
export function encodeAddress(spec: AddressSpec, ifindex: number, op = 'addAddress'): Buffer {
  const { family, bytes } = ipOf(op, 'address', spec.address);
  const prefixLength = prefixOf(op, family, spec.prefixLength, maxPrefix(family));
  let flags = 0;
  if (spec.noDad) flags |= IFA_F.NODAD;
  if (spec.home) flags |= IFA_F.HOMEADDRESS;
  if (spec.mngtmpaddr) flags |= IFA_F.MANAGETEMPADDR;
  if (spec.noPrefixRoute) flags |= IFA_F.NOPREFIXROUTE;
  if (spec.autojoin) flags |= IFA_F.MCAUTOJOIN;
  const scope = spec.scope === undefined ? SCOPES.global : scopeOf(op, spec.scope);

  const w = new NetlinkWriter(64);
  const at = w.zeros(8);
  const hdr = w.view;
  hdr[at] = familyNumber(family);
  hdr[at + 1] = prefixLength;
  hdr[at + 2] = flags & 0xff;
  hdr[at + 3] = scope;
  hdr.writeUInt32LE(ifindex >>> 0, at + 4);

  w.attr(IFA.LOCAL, bytes);
  if (spec.peer !== undefined) {
    const peer = ipOf(op, 'peer', spec.peer, family);
    w.attr(IFA.ADDRESS, peer.bytes);
    if (spec.peerPrefixLength !== undefined) w.view[at + 1] = prefixOf(op, family, spec.peerPrefixLength, 0);
  } else {
    w.attr(IFA.ADDRESS, bytes);
  }
  if (spec.broadcast !== undefined && spec.broadcast !== '-') {
    if (family !== 'inet') throw bad(op, 'broadcast is IPv4 only');
    const brd = spec.broadcast === '+' ? ipv4Broadcast(bytes, prefixLength) : ipOf(op, 'broadcast', spec.broadcast, 'inet').bytes;
    w.attr(IFA.BROADCAST, brd);
  }
  if (spec.label !== undefined) {
    if (family !== 'inet') throw bad(op, 'label is IPv4 only');
    // IFNAMSIZ is 16 including the NUL.
    if (Buffer.byteLength(spec.label) > 15) throw bad(op, `label '${spec.label}' longer than 15 bytes`);
    w.str(IFA.LABEL, spec.label);
  }
  if (flags !== 0) w.u32(IFA.FLAGS, flags);
  if (spec.preferredLft !== undefined && spec.preferredLft !== 'forever') {
    // struct ifa_cacheinfo { ifa_prefered, ifa_valid, cstamp, tstamp } (u32 each, seconds).
    const ci = Buffer.alloc(16);
    ci.writeUInt32LE(spec.preferredLft >>> 0, 0);
    ci.writeUInt32LE(0xffffffff, 4);
    w.attr(IFA.CACHEINFO, ci);
  }
  return w.finish();
}

/** Family of a route: from dst, else via, else src, else the explicit `family`. */
export function routeFamily(spec: RouteSpec, op = 'addRoute'): Family {
  if (spec.dst !== 'default') return ipOf(op, 'route destination', spec.dst).family;
  for (const t of [spec.via, spec.src]) if (t !== undefined) return ipOf(op, 'route address', t).family;
  return spec.family ?? 'inet';
}

/** rtmsg + attributes for RTM_NEWROUTE / RTM_DELROUTE. `oif` is the resolved dev, if any. */
export function encodeRoute(spec: RouteSpec, oif: number | undefined, op: 'addRoute' | 'deleteRoute'): Buffer {
  const family = routeFamily(spec, op);
  const isDefault = spec.dst === 'default';
  const dst = isDefault ? undefined : ipOf(op, 'route destination', spec.dst, family);
  const prefixLength = prefixOf(op, family, spec.prefixLength, isDefault ? 0 : maxPrefix(family));
  const typeName = spec.type ?? 'unicast';
  const type = ROUTE_TYPES[typeName];
  if (type === undefined) throw bad(op, `unknown route type ${String(spec.type)}`);
  const table = spec.table ?? RT_TABLE_MAIN;
  if (!Number.isInteger(table) || table < 0 || table > 0xffffffff) throw bad(op, `bad table ${table}`);

  let scope: number;
  if (spec.scope !== undefined) scope = scopeOf(op, spec.scope);
  else if (typeName === 'local') scope = SCOPES.host;
  else if (op === 'deleteRoute') scope = SCOPES.nowhere; // iproute2: matches any scope on delete
  else if (typeName === 'unicast' && spec.via === undefined) scope = SCOPES.link;
  else scope = SCOPES.global;

  const w = new NetlinkWriter(64);
  const at = w.zeros(12);
  const hdr = w.view;
  hdr[at] = familyNumber(family);
  hdr[at + 1] = prefixLength;
  hdr[at + 2] = 0; // src_len
  hdr[at + 3] = spec.tos ?? 0;
  hdr[at + 4] = table < 256 ? table : 0;
  // On delete rtm_protocol 0 matches any protocol; on add it is the route's origin tag.
  hdr[at + 5] = op === 'deleteRoute' ? (spec.protocol ?? 0) : (spec.protocol ?? RTPROT_BOOT);
  hdr[at + 6] = scope;
  // iproute2 leaves rtm_type RTN_UNSPEC on delete: the kernel then matches any type, whereas
  // RTN_UNICAST would make deleting a blackhole/unreachable route without `type` fail (ESRCH).
  hdr[at + 7] = op === 'deleteRoute' && spec.type === undefined ? 0 : type;
  if (dst) w.attr(RTA.DST, dst.bytes);
  if (spec.via !== undefined) w.attr(RTA.GATEWAY, ipOf(op, 'via', spec.via, family).bytes);
  if (oif !== undefined) w.u32(RTA.OIF, oif);
  if (spec.src !== undefined) w.attr(RTA.PREFSRC, ipOf(op, 'src', spec.src, family).bytes);
  if (spec.metric !== undefined) w.u32(RTA.PRIORITY, spec.metric);
  if (table >= 256) w.u32(RTA.TABLE, table);
  return w.finish();
}

/** ifinfomsg for RTM_GETLINK: by index, or index 0 + IFLA_IFNAME; empty for a dump. */
export function encodeGetLink(nameOrIndex?: string | number): Buffer {
  const w = new NetlinkWriter(32);
  const at = w.zeros(16);
  if (typeof nameOrIndex === 'number') w.view.writeInt32LE(nameOrIndex, at + 4);
  if (typeof nameOrIndex === 'string') w.str(IFLA.IFNAME, nameOrIndex);
  return w.finish();
}

/** ifaddrmsg for an RTM_GETADDR dump (family 0 = all). */
export function encodeGetAddr(family?: Family): Buffer {
  const hdr = Buffer.alloc(8);
  if (family) hdr[0] = familyNumber(family);
  return hdr;
}

/** rtmsg for an RTM_GETROUTE dump. */
export function encodeGetRoute(family?: Family): Buffer {
  const hdr = Buffer.alloc(12);
  if (family) hdr[0] = familyNumber(family);
  return hdr;
}
