// rtnetlink payloads for virtual links (keepalived's use_vmac / use_ipvlan): create a macvlan or
// ipvlan over a base interface, delete a link, change a link's flags and per-family settings,
// and read back what RTM_GETLINK says about its kind, parent and settings. Pure; written with
// the one netlink writer (src/net/netlink-codec.ts). Constants from linux/if_link.h, linux/ip.h.
//
//   RTM_NEWLINK (create):  ifinfomsg{family 0, index 0}
//     IFLA_LINK u32 (base ifindex)   IFLA_IFNAME "vrrp.7"   IFLA_ADDRESS 00:00:5e:00:01:07
//     IFLA_LINKINFO { IFLA_INFO_KIND "macvlan"  IFLA_INFO_DATA { IFLA_MACVLAN_MODE u32 } }
//   RTM_NEWLINK (change):  ifinfomsg{index, flags/change IFF_UP}
//     IFLA_AF_SPEC { AF_INET  { IFLA_INET_CONF { <IPV4_DEVCONF_x> u32 ... } }
//                    AF_INET6 { IFLA_INET6_ADDR_GEN_MODE u8 } }
//
// The kernel does not read IFLA_AF_SPEC on a create request, so settings always go in a second
// message, and a link is set up only after its address generation mode (else an EUI-64
// link-local appears first).

import { KernelError } from './errors.js';
import type { LinkChange, LinkDetails, VirtualLinkSpec } from './kernel.js';
import { IFF } from './kernel.js';
import { IFLA } from './link-events.js';
import { NetlinkWriter, parseAttributes } from '../net/netlink-codec.js';
import { AF_INET, AF_INET6 } from '../lib/ip.js';

export const IFLA_X = { LINK: 5, LINKINFO: 18, AF_SPEC: 26 } as const;
const IFLA_INFO = { KIND: 1, DATA: 2 } as const;
const IFLA_MACVLAN_MODE = 1;
const IFLA_IPVLAN = { MODE: 1, FLAGS: 2 } as const;
const IPVLAN_MODE_L2 = 0;
const IFLA_INET_CONF = 1;
const IFLA_INET6_ADDR_GEN_MODE = 8;

/** MACVLAN_MODE_* (bit values). */
export const MACVLAN_MODES: Readonly<Record<string, number>> = { private: 1, vepa: 2, bridge: 4, passthru: 8, source: 16 };
/** ipvlan flags: keepalived's `bridge` is no flag. */
const IPVLAN_FLAGS: Readonly<Record<string, number>> = { bridge: 0, private: 1, vepa: 2 };

/** IPV4_DEVCONF_* indices of the sysctls the VMAC code touches (linux/ip.h). */
export const IPV4_DEVCONF: Readonly<Record<string, number>> = {
  rp_filter: 8,
  arp_filter: 13,
  arp_ignore: 19,
  promote_secondaries: 20,
  accept_local: 23,
};

function bad(op: string, message: string): KernelError {
  return new KernelError('EINVALID_ARG', op, message);
}

function macBytes(op: string, mac: string): Buffer {
  if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(mac)) throw bad(op, `'${mac}' is not a MAC address`);
  return Buffer.from(mac.split(':').map((x) => parseInt(x, 16)));
}

function ifinfomsg(w: NetlinkWriter, ifindex: number, flags = 0, change = 0): void {
  const at = w.zeros(16);
  w.view.writeInt32LE(ifindex, at + 4);
  w.view.writeUInt32LE(flags >>> 0, at + 8);
  w.view.writeUInt32LE(change >>> 0, at + 12);
}

/** RTM_NEWLINK (with NLM_F_CREATE|NLM_F_EXCL) for a macvlan/ipvlan over `spec.parent`. */
export function encodeCreateVirtualLink(spec: VirtualLinkSpec, op = 'createVirtualLink'): Buffer {
  if (spec.name.length === 0 || Buffer.byteLength(spec.name) > 15 || /[\s/:]/.test(spec.name)) throw bad(op, `'${spec.name}' is not a valid interface name`);
  const w = new NetlinkWriter(128);
  ifinfomsg(w, 0);
  w.u32(IFLA_X.LINK, spec.parent);
  w.str(IFLA.IFNAME, spec.name);
  if (spec.mac !== undefined) {
    if (spec.kind !== 'macvlan') throw bad(op, 'only a macvlan takes a MAC address');
    w.attr(IFLA.ADDRESS, macBytes(op, spec.mac));
  }
  w.beginNested(IFLA_X.LINKINFO);
  w.attr(IFLA_INFO.KIND, Buffer.from(spec.kind));
  w.beginNested(IFLA_INFO.DATA);
  if (spec.kind === 'macvlan') {
    const mode = MACVLAN_MODES[spec.mode];
    if (mode === undefined) throw bad(op, `macvlan mode ${spec.mode}`);
    w.u32(IFLA_MACVLAN_MODE, mode);
  } else {
    const flags = IPVLAN_FLAGS[spec.mode];
    if (flags === undefined) throw bad(op, `ipvlan mode ${spec.mode}`);
    w.u16(IFLA_IPVLAN.MODE, IPVLAN_MODE_L2);
    w.u16(IFLA_IPVLAN.FLAGS, flags);
  }
  w.endNested();
  w.endNested();
  return w.finish();
}

/** RTM_DELLINK by index. */
export function encodeDeleteLink(ifindex: number): Buffer {
  const w = new NetlinkWriter(16);
  ifinfomsg(w, ifindex);
  return w.finish();
}

/** RTM_NEWLINK on an existing index: IFF_UP (when `up` is given) and the IFLA_AF_SPEC settings. */
export function encodeLinkChange(ifindex: number, change: LinkChange, op = 'configureLink'): Buffer {
  const w = new NetlinkWriter(128);
  ifinfomsg(w, ifindex, change.up ? IFF.UP : 0, change.up === undefined ? 0 : IFF.UP);
  const conf = Object.entries(change.ipv4Conf ?? {});
  if (conf.length > 0 || change.addrGenMode !== undefined) {
    w.beginNested(IFLA_X.AF_SPEC);
    if (conf.length > 0) {
      w.beginNested(AF_INET);
      w.beginNested(IFLA_INET_CONF);
      for (const [name, value] of conf) {
        const idx = IPV4_DEVCONF[name];
        if (idx === undefined) throw bad(op, `unknown IPv4 setting ${name}`);
        w.u32(idx, value);
      }
      w.endNested();
      w.endNested();
    }
    if (change.addrGenMode !== undefined) {
      w.beginNested(AF_INET6);
      w.u8(IFLA_INET6_ADDR_GEN_MODE, change.addrGenMode);
      w.endNested();
    }
    w.endNested();
  }
  return w.finish();
}

/** Kind, parent, macvlan mode, ipvlan mode and flags, IPv4 devconf and IPv6 address generation mode from an RTM_NEWLINK payload. */
export function decodeLinkDetails(payload: Buffer): LinkDetails | undefined {
  if (payload.length < 16) return undefined;
  const ifindex = payload.readInt32LE(4);
  const top = parseAttributes(payload.subarray(16));
  if (!top.ok) return undefined;
  const a = top.value;
  const nameB = a.get(IFLA.IFNAME);
  if (!nameB) return undefined;
  const nul = nameB.indexOf(0);
  const name = nameB.subarray(0, nul < 0 ? nameB.length : nul).toString('utf8');
  let kind: string | undefined;
  let macvlanMode: string | undefined;
  let ipvlanMode: number | undefined;
  let ipvlanFlags: string | undefined;
  const info = a.get(IFLA_X.LINKINFO);
  if (info) {
    const ia = parseAttributes(info);
    if (ia.ok) {
      const k = ia.value.get(IFLA_INFO.KIND);
      if (k) kind = k.toString('utf8').replace(/\0+$/, '');
      const d = ia.value.get(IFLA_INFO.DATA);
      if (kind === 'macvlan' && d) {
        const da = parseAttributes(d);
        const m = da.ok ? da.value.get(IFLA_MACVLAN_MODE) : undefined;
        if (m && m.length >= 4) {
          const v = m.readUInt32LE(0);
          macvlanMode = Object.entries(MACVLAN_MODES).find(([, n]) => n === v)?.[0] ?? String(v);
        }
      }
      if (kind === 'ipvlan' && d) {
        const da = parseAttributes(d);
        const m = da.ok ? da.value.get(IFLA_IPVLAN.MODE) : undefined;
        if (m && m.length >= 2) ipvlanMode = m.readUInt16LE(0);
        const f = da.ok ? da.value.get(IFLA_IPVLAN.FLAGS) : undefined;
        // A kernel without IFLA_IPVLAN_FLAGS has only bridge behaviour.
        const fv = f && f.length >= 2 ? f.readUInt16LE(0) : 0;
        ipvlanFlags = Object.entries(IPVLAN_FLAGS).find(([, n]) => n === fv)?.[0] ?? String(fv);
      }
    }
  }
  const linkB = a.get(IFLA_X.LINK);
  let ipv4Conf: Record<string, number> | undefined;
  let addrGenMode: number | undefined;
  const spec = a.get(IFLA_X.AF_SPEC);
  if (spec) {
    const sa = parseAttributes(spec);
    if (sa.ok) {
      const inet = sa.value.get(AF_INET);
      const ca = inet ? parseAttributes(inet) : undefined;
      // IFLA_INET_CONF is one array of u32, IPV4_DEVCONF_x at (x - 1) * 4.
      const arr = ca?.ok ? ca.value.get(IFLA_INET_CONF) : undefined;
      if (arr) {
        ipv4Conf = {};
        for (const [n, idx] of Object.entries(IPV4_DEVCONF)) if (arr.length >= idx * 4) ipv4Conf[n] = arr.readUInt32LE((idx - 1) * 4);
      }
      const inet6 = sa.value.get(AF_INET6);
      const i6 = inet6 ? parseAttributes(inet6) : undefined;
      const gm = i6?.ok ? i6.value.get(IFLA_INET6_ADDR_GEN_MODE) : undefined;
      if (gm && gm.length >= 1) addrGenMode = gm[0];
    }
  }
  return {
    ifindex,
    name,
    ...(kind !== undefined ? { kind } : {}),
    ...(linkB && linkB.length >= 4 ? { parent: linkB.readUInt32LE(0) } : {}),
    ...(macvlanMode !== undefined ? { macvlanMode } : {}),
    ...(ipvlanMode !== undefined ? { ipvlanMode } : {}),
    ...(ipvlanFlags !== undefined ? { ipvlanFlags } : {}),
    ...(ipv4Conf ? { ipv4Conf } : {}),
    ...(addrGenMode !== undefined ? { addrGenMode } : {}),
  };
}
