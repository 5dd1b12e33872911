// Generic netlink (NETLINK_GENERIC): family resolution through the "nlctrl" controller, as IPVS
// (family "IPVS") and other generic families need before their first request. Same socket and
// codec as rtnetlink (src/net/netlink-socket.ts, src/net/netlink-codec.ts).
//
//   genlmsghdr (4): cmd u8 | version u8 | reserved u16, then attributes
//   CTRL_CMD_GETFAMILY with CTRL_ATTR_FAMILY_NAME -> CTRL_CMD_NEWFAMILY with the family's id,
//   version, header size, max attribute and multicast groups (a nested list of nested groups).

import { KernelError, errnoError, toKernelError } from './errors.js';
import { NetlinkRequestError, NetlinkSocket, NetlinkTimeoutError, NETLINK_PROTO } from '../net/netlink-socket.js';
import { parseAttributes, type NetlinkMessage, type NlResult, nlParseError } from '../net/netlink-codec.js';

/** linux/genetlink.h */
export const GENL_ID_CTRL = 0x10;
export const GENL_HDRLEN = 4;
export const CTRL_CMD = { NEWFAMILY: 1, GETFAMILY: 3 } as const;
export const CTRL_ATTR = { FAMILY_ID: 1, FAMILY_NAME: 2, VERSION: 3, HDRSIZE: 4, MAXATTR: 5, OPS: 6, MCAST_GROUPS: 7 } as const;
export const CTRL_ATTR_MCAST_GRP = { NAME: 1, ID: 2 } as const;
/** The controller's own version as iproute2/libnl send it. */
const CTRL_VERSION = 1;

export interface GenlFamily {
  readonly id: number;
  readonly name: string;
  readonly version: number;
  readonly hdrSize: number;
  readonly maxAttr: number;
  /** Multicast group name -> group id. */
  readonly mcastGroups: ReadonlyMap<string, number>;
}

const cString = (b: Buffer): string => {
  const nul = b.indexOf(0);
  return b.subarray(0, nul < 0 ? b.length : nul).toString('utf8');
};

/** Decodes a CTRL_CMD_NEWFAMILY payload (genlmsghdr + attributes). Never throws. */
export function decodeFamily(payload: Buffer): NlResult<GenlFamily> {
  if (payload.length < GENL_HDRLEN) return { ok: false, error: nlParseError('truncated-payload', `genlmsghdr needs 4 bytes, got ${payload.length}`) };
  const ar = parseAttributes(payload.subarray(GENL_HDRLEN));
  if (!ar.ok) return ar;
  const a = ar.value;
  const idB = a.get(CTRL_ATTR.FAMILY_ID);
  const nameB = a.get(CTRL_ATTR.FAMILY_NAME);
  if (!idB || idB.length < 2 || !nameB) return { ok: false, error: nlParseError('truncated-payload', 'family reply without CTRL_ATTR_FAMILY_ID/NAME') };
  const u32 = (t: number): number => {
    const v = a.get(t);
    return v && v.length >= 4 ? v.readUInt32LE(0) : 0;
  };
  const mcastGroups = new Map<string, number>();
  const groupsB = a.get(CTRL_ATTR.MCAST_GROUPS);
  if (groupsB) {
    const list = parseAttributes(groupsB);
    if (!list.ok) return list;
    for (const g of list.value.values()) {
      const ga = parseAttributes(g);
      if (!ga.ok) return ga;
      const n = ga.value.get(CTRL_ATTR_MCAST_GRP.NAME);
      const id = ga.value.get(CTRL_ATTR_MCAST_GRP.ID);
      if (n && id && id.length >= 4) mcastGroups.set(cString(n), id.readUInt32LE(0));
    }
  }
  return {
    ok: true,
    value: { id: idB.readUInt16LE(0), name: cString(nameB), version: u32(CTRL_ATTR.VERSION), hdrSize: u32(CTRL_ATTR.HDRSIZE), maxAttr: u32(CTRL_ATTR.MAXATTR), mcastGroups },
  };
}

/** A NETLINK_GENERIC socket with the family cache every generic family's client starts from. */
export class GenericNetlink {
  private readonly families = new Map<string, GenlFamily>();

  private constructor(
    readonly sock: NetlinkSocket,
    private readonly timeoutMs: number,
  ) {}

  static open(opts: { timeoutMs?: number } = {}): GenericNetlink {
    try {
      return new GenericNetlink(NetlinkSocket.open({ protocol: NETLINK_PROTO.GENERIC, groups: 0, recvBuffer: 1 << 20 }), opts.timeoutMs ?? 5000);
    } catch (e) {
      throw toKernelError(e, 'genlOpen');
    }
  }

  /** The family's id and groups, or undefined when the kernel has no such family (ENOENT). */
  async resolveFamily(name: string): Promise<GenlFamily | undefined> {
    const cached = this.families.get(name);
    if (cached) return cached;
    if (name.length === 0 || Buffer.byteLength(name) > 15) return undefined; // GENL_NAMSIZ is 16 with the NUL
    let replies: NetlinkMessage[];
    try {
      replies = await this.sock.request(
        GENL_ID_CTRL,
        0,
        (w) => {
          w.bytes(Uint8Array.of(CTRL_CMD.GETFAMILY, CTRL_VERSION, 0, 0));
          w.str(CTRL_ATTR.FAMILY_NAME, name);
        },
        this.timeoutMs,
      );
    } catch (e) {
      if (e instanceof NetlinkRequestError) {
        if (e.errno === 2) return undefined;
        throw errnoError(e.errno, 'resolveFamily', `kernel refused family lookup of '${name}'`);
      }
      if (e instanceof NetlinkTimeoutError) throw new KernelError('ETIMEDOUT', 'resolveFamily', e.message);
      throw toKernelError(e, 'resolveFamily');
    }
    const reply = replies.find((m) => m.type === GENL_ID_CTRL);
    if (!reply) throw new KernelError('EBADMSG', 'resolveFamily', `no CTRL_CMD_NEWFAMILY reply for '${name}'`);
    const r = decodeFamily(reply.payload);
    if (!r.ok) throw new KernelError('EBADMSG', 'resolveFamily', `undecodable family reply: ${r.error.code}: ${r.error.message}`);
    this.families.set(name, r.value);
    return r.value;
  }

  close(): void {
    this.sock.close();
  }
}
