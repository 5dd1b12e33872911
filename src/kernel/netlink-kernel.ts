// The real Kernel: rtnetlink requests over the `netlink` package's NETLINK_ROUTE socket.
//
// The package is used for REQUESTS only (DESIGN.md §4): its event subscription aborts the
// process when the socket overflows, so link/address events come from our own socket
// (src/net/netlink-socket.ts) and link-events.ts. We also do not use its rtnetlink
// formatters/parsers: payloads are built by rtnl-encode.ts and read by link-events.ts, the
// same decoder the event path uses, so one set of tests covers both. Requests are sent with
// `checkError: false`, so the kernel's nlmsgerr reaches us and its errno becomes the
// KernelError code directly; anything the package throws goes through toKernelError().

// Only the socket and constants modules of the package: its index also loads the generic
// netlink, nl80211 and WireGuard families, which cost ~90 ms of CPU at every daemon start.
import netlinkSocket from 'netlink/dist/netlink.js';
import netlinkConstants from 'netlink/dist/constants.js';

const netlink = { createNetlink: netlinkSocket.createNetlink, Protocol: netlinkConstants.Protocol };
import { pickPrimary } from './kernel.js';
import type { AddResult, AddressInfo, AddressSpec, Family, Kernel, KernelOptions, LinkInfo, RouteInfo, RouteSpec } from './kernel.js';
import { KernelError, errnoError, toKernelError } from './errors.js';
import { decodeAddress, decodeLink, decodeRoute, NLMSG, RTM } from './link-events.js';
import type { ParseError, Result } from './link-events.js';
import { encodeAddress, encodeGetAddr, encodeGetLink, encodeGetRoute, encodeRoute } from './rtnl-encode.js';

type NlSocket = ReturnType<typeof netlink.createNetlink>;
type NlMessage = { type: number; flags: number; seq: number; port: number; data: Buffer };

/** nlmsg_flags (linux/netlink.h). REQUEST and ACK are added by the package's request(). */
const NLM_F = { DUMP: 0x300, EXCL: 0x200, CREATE: 0x400 } as const;

const DEFAULT_TIMEOUT_MS = 5_000;

export class NetlinkKernel implements Kernel {
  private closed = false;
  /** Last asynchronous socket error (the package emits 'error'; an unhandled one would throw). */
  lastSocketError: Error | undefined;

  private constructor(
    private readonly sock: NlSocket,
    private readonly timeoutMs: number,
  ) {
    sock.on('error', (e: Error) => {
      this.lastSocketError = e;
    });
  }

  /** Opens a NETLINK_ROUTE socket in the calling process's network namespace. */
  static open(opts: KernelOptions = {}): NetlinkKernel {
    let sock: NlSocket;
    try {
      sock = netlink.createNetlink(netlink.Protocol.ROUTE);
    } catch (e) {
      throw toKernelError(e, 'open');
    }
    return new NetlinkKernel(sock, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  }

  /**
   * One request at a time. The package groups multipart (dump) replies by arrival, not by
   * sequence number: a reply to a second request arriving between two parts of a dump ends the
   * dump early ("Multipart message not terminated properly"). Serialising costs nothing that
   * matters (keepalived's command channel is sequential too) and makes interleaving impossible.
   */
  private queue: Promise<unknown> = Promise.resolve();

  private request(op: string, type: number, payload: Buffer, flags: number): Promise<NlMessage[]> {
    const run = this.queue.then(() => this.requestNow(op, type, payload, flags));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Sends one request; resolves with the reply messages (ACK/DONE removed), rejects with KernelError. */
  private async requestNow(op: string, type: number, payload: Buffer, flags: number): Promise<NlMessage[]> {
    if (this.closed) throw new KernelError('ECLOSED', op, 'kernel interface is closed');
    let msgs: NlMessage[];
    try {
      const [m] = await this.sock.request(type, payload, { flags, checkError: false, timeout: this.timeoutMs });
      msgs = m as NlMessage[];
    } catch (e) {
      throw toKernelError(e, op);
    }
    const out: NlMessage[] = [];
    for (const m of msgs) {
      if (m.type === NLMSG.ERROR) {
        // struct nlmsgerr { int error; struct nlmsghdr msg; }: error is a negative errno, 0 = ACK.
        if (m.data.length < 4) throw new KernelError('EBADMSG', op, `NLMSG_ERROR of ${m.data.length} bytes`);
        const errno = m.data.readInt32LE(0);
        if (errno !== 0) throw errnoError(errno, op, `kernel refused ${op}`);
        continue;
      }
      if (m.type === NLMSG.DONE || m.type === NLMSG.NOOP) continue;
      out.push(m);
    }
    return out;
  }

  private decodeAll<T>(op: string, msgs: NlMessage[], want: number, decode: (b: Buffer) => Result<T>): T[] {
    const out: T[] = [];
    for (const m of msgs) {
      if (m.type !== want) continue;
      const r = decode(m.data);
      if (r.ok) out.push(r.value);
      else if (r.error.code !== 'unsupported-family') throw badMessage(op, r.error);
    }
    return out;
  }

  async listLinks(): Promise<LinkInfo[]> {
    const msgs = await this.request('listLinks', RTM.GETLINK, encodeGetLink(), NLM_F.DUMP);
    return this.decodeAll('listLinks', msgs, RTM.NEWLINK, decodeLink);
  }

  async getLink(nameOrIndex: string | number): Promise<LinkInfo | undefined> {
    if (typeof nameOrIndex === 'string' && (nameOrIndex.length === 0 || Buffer.byteLength(nameOrIndex) > 15)) return undefined;
    try {
      const msgs = await this.request('getLink', RTM.GETLINK, encodeGetLink(nameOrIndex), 0);
      return this.decodeAll('getLink', msgs, RTM.NEWLINK, decodeLink)[0];
    } catch (e) {
      if (e instanceof KernelError && e.code === 'ENODEV') return undefined;
      throw e;
    }
  }

  /** Interface index for a name or index; ENODEV KernelError when there is none. */
  private async ifindexOf(op: string, dev: string | number): Promise<number> {
    if (typeof dev === 'number') return dev;
    const link = await this.getLink(dev);
    if (!link) throw new KernelError('ENODEV', op, `no interface named '${dev}'`, { errno: 19 });
    return link.ifindex;
  }

  async listAddresses(ifindex?: number, family?: Family): Promise<AddressInfo[]> {
    const msgs = await this.request('listAddresses', RTM.GETADDR, encodeGetAddr(family), NLM_F.DUMP);
    const all = this.decodeAll('listAddresses', msgs, RTM.NEWADDR, decodeAddress);
    return all.filter((a) => (ifindex === undefined || a.ifindex === ifindex) && (family === undefined || a.family === family));
  }

  async addAddress(spec: AddressSpec): Promise<AddResult> {
    const ifindex = await this.ifindexOf('addAddress', spec.dev);
    const payload = encodeAddress(spec, ifindex, 'addAddress');
    try {
      await this.request('addAddress', RTM.NEWADDR, payload, NLM_F.CREATE | NLM_F.EXCL);
      return { alreadyPresent: false };
    } catch (e) {
      // keepalived (netlink_parse_info) also takes EEXIST on RTM_NEWADDR as success. We report it
      // so the daemon knows the address was adopted and must not be removed when it stops.
      if (e instanceof KernelError && e.code === 'EEXIST') return { alreadyPresent: true };
      throw e;
    }
  }

  async deleteAddress(spec: AddressSpec): Promise<void> {
    const ifindex = await this.ifindexOf('deleteAddress', spec.dev);
    await this.request('deleteAddress', RTM.DELADDR, encodeAddress(spec, ifindex, 'deleteAddress'), 0);
  }

  async listRoutes(family?: Family, table?: number): Promise<RouteInfo[]> {
    const msgs = await this.request('listRoutes', RTM.GETROUTE, encodeGetRoute(family), NLM_F.DUMP);
    const all = this.decodeAll('listRoutes', msgs, RTM.NEWROUTE, decodeRoute);
    return all.filter((r) => (family === undefined || r.family === family) && (table === undefined || r.table === table));
  }

  async addRoute(spec: RouteSpec): Promise<AddResult> {
    const oif = spec.dev === undefined ? undefined : await this.ifindexOf('addRoute', spec.dev);
    const payload = encodeRoute(spec, oif, 'addRoute');
    try {
      await this.request('addRoute', RTM.NEWROUTE, payload, NLM_F.CREATE | NLM_F.EXCL);
      return { alreadyPresent: false };
    } catch (e) {
      if (e instanceof KernelError && e.code === 'EEXIST') return { alreadyPresent: true };
      throw e;
    }
  }

  async deleteRoute(spec: RouteSpec): Promise<void> {
    const oif = spec.dev === undefined ? undefined : await this.ifindexOf('deleteRoute', spec.dev);
    await this.request('deleteRoute', RTM.DELROUTE, encodeRoute(spec, oif, 'deleteRoute'), 0);
  }

  async primaryAddress(ifindex: number, family: Family, exclude: readonly string[] = []): Promise<string | undefined> {
    return pickPrimary(await this.listAddresses(ifindex, family), family, exclude);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      this.sock.close();
    } catch {
      // already closed by the package after a fatal socket error
    }
  }
}

function badMessage(op: string, e: ParseError): KernelError {
  return new KernelError('EBADMSG', op, `undecodable kernel reply: ${e.code}: ${e.message}`);
}
