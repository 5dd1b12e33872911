// Set elements of the accept-mode firewall over nf_tables netlink (NETLINK_NETFILTER): the one
// change a VRRP state change makes, sent as one nfnetlink batch from this process, without a
// child process (docs/adr/0024). The tables, chains, sets and rules are built by `nft -f -`.
//
//   nlmsghdr NFNL_MSG_BATCH_BEGIN (0x10) | nfgenmsg { family 0, v0, res_id NFNL_SUBSYS_NFTABLES (be16) }
//   nlmsghdr (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWSETELEM / DELSETELEM), REQUEST|ACK[|CREATE]
//     nfgenmsg { family NFPROTO_IPV4 / NFPROTO_IPV6, v0, res_id 0 }
//     NFTA_SET_ELEM_LIST_TABLE  "TABLE\0"
//     NFTA_SET_ELEM_LIST_SET    "SET\0"
//     NFTA_SET_ELEM_LIST_ELEMENTS (nested)
//       NFTA_LIST_ELEM (nested)
//         NFTA_SET_ELEM_KEY (nested)
//           NFTA_DATA_VALUE  key bytes: address (network order)
//                            [. ifindex: u32 host order | . ifname: 16 bytes, NUL padded]
//   nlmsghdr NFNL_MSG_BATCH_END (0x11) | nfgenmsg { 0, v0, res_id NFNL_SUBSYS_NFTABLES }
import { NLM_F, NetlinkWriter } from '../net/netlink-codec.js';
import { NETLINK_PROTO, NetlinkSocket } from '../net/netlink-socket.js';
import { parseIp } from '../lib/ip.js';
import { setOf, type DropAddress, type NftFamily } from './nft-ruleset.js';

// linux/netfilter/nfnetlink.h, nf_tables.h, netfilter.h
const NFNL_MSG_BATCH_BEGIN = 0x10;
const NFNL_MSG_BATCH_END = 0x11;
const NFNL_SUBSYS_NFTABLES = 10;
/** NFT_MSG_NEWSETELEM / NFT_MSG_DELSETELEM, by the change they make. */
const NFT_MSG_SETELEM = { add: 12, delete: 14 } as const;
const NFPROTO = { ip: 2, ip6: 10 } as const;
const NFTA_SET_ELEM_LIST = { TABLE: 1, SET: 2, ELEMENTS: 3 } as const;
const NFTA_LIST_ELEM = 1;
const NFTA_SET_ELEM_KEY = 1;
const NFTA_DATA_VALUE = 1;
const IFNAMSIZ = 16;

/** The key of one element as the set's type lays it out. */
export function elementKey(a: DropAddress): Uint8Array {
  const ip = parseIp(a.address);
  if (!ip) throw new Error(`nftables: ${a.address} is not an address`);
  if (!a.link) return ip.bytes;
  const key = Buffer.alloc(16 + (a.link.byName ? IFNAMSIZ : 4));
  key.set(ip.bytes, 0);
  if (a.link.byName) {
    const name = Buffer.from(a.link.ifname, 'utf8');
    if (name.length >= IFNAMSIZ) throw new Error(`nftables: interface name ${a.link.ifname} too long`);
    key.set(name, 16);
  } else {
    if (a.link.ifindex === undefined) throw new Error(`nftables: no interface index for ${a.address}`);
    key.writeUInt32LE(a.link.ifindex >>> 0, 16);
  }
  return key;
}

function nfgenmsg(w: NetlinkWriter, family: number, resId: number): void {
  const at = w.zeros(4);
  w.view.writeUInt8(family, at);
  w.view.writeUInt8(0, at + 1);
  w.view.writeUInt16BE(resId, at + 2);
}

/** One batch adding or deleting `addrs` (all of one family) in the sets of `table`; the ACK asked for carries `seq`. */
export function setElementBatch(table: string, op: 'add' | 'delete', family: NftFamily, addrs: readonly DropAddress[], seq: number): Buffer {
  const w = new NetlinkWriter(256);
  w.beginMessage(NFNL_MSG_BATCH_BEGIN, NLM_F.REQUEST, seq);
  nfgenmsg(w, 0, NFNL_SUBSYS_NFTABLES);
  w.endMessage();
  const bySet = new Map<string, DropAddress[]>();
  for (const a of addrs) {
    if (a.family !== family) throw new Error('nftables: one family per batch');
    const { set } = setOf(a);
    bySet.set(set, [...(bySet.get(set) ?? []), a]);
  }
  const type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_SETELEM[op];
  const sets = [...bySet];
  sets.forEach(([set, elems], i) => {
    // Only the last command asks for an ACK: an error in any of them is reported all the same
    // (and aborts the whole batch), so the last ACK means all of it was applied.
    const last = i === sets.length - 1;
    w.beginMessage(type, NLM_F.REQUEST | (last ? NLM_F.ACK : 0) | (op === 'add' ? NLM_F.CREATE : 0), last ? seq : seq + 1 + i);
    nfgenmsg(w, NFPROTO[family], 0);
    w.str(NFTA_SET_ELEM_LIST.TABLE, table);
    w.str(NFTA_SET_ELEM_LIST.SET, set);
    w.beginNested(NFTA_SET_ELEM_LIST.ELEMENTS);
    for (const a of elems) {
      w.beginNested(NFTA_LIST_ELEM);
      w.beginNested(NFTA_SET_ELEM_KEY);
      w.attr(NFTA_DATA_VALUE, elementKey(a));
      w.endNested();
      w.endNested();
    }
    w.endNested();
    w.endMessage();
  });
  w.beginMessage(NFNL_MSG_BATCH_END, NLM_F.REQUEST, seq + sets.length + 1);
  nfgenmsg(w, 0, NFNL_SUBSYS_NFTABLES);
  w.endMessage();
  return w.finish();
}

/** Adds and deletes set elements over one NETLINK_NETFILTER socket, opened on first use. */
export class NetlinkNftElements {
  private sock: NetlinkSocket | undefined;

  async change(table: string, op: 'add' | 'delete', addrs: readonly DropAddress[]): Promise<void> {
    this.sock ??= NetlinkSocket.open({ protocol: NETLINK_PROTO.NETFILTER, recvBuffer: 256 * 1024 });
    for (const family of ['ip', 'ip6'] as const) {
      const of = addrs.filter((a) => a.family === family);
      if (of.length === 0) continue;
      const seq = this.sock.nextSeq();
      // Sequence numbers seq..seq+n+1 belong to this batch; keep the socket's counter past them.
      for (let i = 0; i < 8; i++) this.sock.nextSeq();
      await this.sock.batch(setElementBatch(table, op, family, of, seq), seq);
    }
  }

  close(): void {
    this.sock?.close();
    this.sock = undefined;
  }
}
