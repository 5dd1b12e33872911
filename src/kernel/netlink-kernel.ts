// The real Kernel: rtnetlink requests and events over our own netlink socket
// (src/net/netlink-socket.ts, framing in src/net/netlink-codec.ts). Payloads are built by
// rtnl-encode.ts and read by link-events.ts, the same decoder the event path uses, so one set
// of tests covers both. The kernel's nlmsgerr errno becomes the KernelError code directly.
//
// Requests and events use two sockets: a request socket joined to no group (replies only, so a
// burst of events never delays or overflows an answer), and an event socket opened on the first
// watchEvents() call with the groups asked for.

import { pickPrimary } from './kernel.js';
import type { AddResult, AddressInfo, AddressSpec, Family, Kernel, KernelEventHandlers, KernelEventWatch, KernelOptions, LinkChange, LinkDetails, LinkInfo, RouteInfo, RouteSpec, VirtualLinkSpec } from './kernel.js';
import { decodeLinkDetails, encodeCreateVirtualLink, encodeDeleteLink, encodeLinkChange } from './vmac-encode.js';
import { writeFile } from 'node:fs/promises';
import { KernelError, errnoError, toKernelError } from './errors.js';
import { decodeAddress, decodeLink, decodeRoute, parseKernelEvents, RTM } from './link-events.js';
import type { ParseError, Result } from './link-events.js';
import { encodeAddress, encodeGetAddr, encodeGetLink, encodeGetRoute, encodeRoute } from './rtnl-encode.js';
import { NetlinkRequestError, NetlinkSocket, NetlinkTimeoutError, RTMGRP } from '../net/netlink-socket.js';
import { NLM_F } from '../net/netlink-codec.js';
import type { NetlinkMessage } from '../net/netlink-codec.js';

const DEFAULT_TIMEOUT_MS = 5_000;

export class NetlinkKernel implements Kernel {
  private closed = false;
  private readonly watches = new Set<NetlinkSocket>();
  /** Event messages link-events.ts could not decode, since open. */
  undecodableEvents = 0;

  private constructor(
    private readonly sock: NetlinkSocket,
    private readonly timeoutMs: number,
  ) {}

  /** Opens a NETLINK_ROUTE socket in the calling process's network namespace. */
  static open(opts: KernelOptions = {}): NetlinkKernel {
    let sock: NetlinkSocket;
    try {
      sock = NetlinkSocket.open({ groups: 0, recvBuffer: 1 << 20 });
    } catch (e) {
      throw toKernelError(e, 'open');
    }
    return new NetlinkKernel(sock, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  }

  /**
   * One request at a time: the kernel runs one dump per socket (a second one gets EBUSY), and
   * callers see their operations take effect in the order they issued them.
   */
  private queue: Promise<unknown> = Promise.resolve();

  private request(op: string, type: number, payload: Buffer, flags: number): Promise<NetlinkMessage[]> {
    const run = this.queue.then(() => this.requestNow(op, type, payload, flags));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Sends one request; resolves with its reply messages (ACK/DONE removed), rejects with KernelError. */
  private async requestNow(op: string, type: number, payload: Buffer, flags: number): Promise<NetlinkMessage[]> {
    if (this.closed) throw new KernelError('ECLOSED', op, 'kernel interface is closed');
    try {
      return await this.sock.request(type, flags, (w) => w.bytes(payload), this.timeoutMs);
    } catch (e) {
      if (e instanceof NetlinkRequestError) throw errnoError(e.errno, op, `kernel refused ${op}`);
      if (e instanceof NetlinkTimeoutError) throw new KernelError('ETIMEDOUT', op, e.message);
      if ((e as { code?: string }).code === 'ERR_SOCKET_CLOSED') throw new KernelError('ECLOSED', op, 'kernel interface is closed');
      throw toKernelError(e, op);
    }
  }

  /**
   * Link and address events from the kernel, decoded. The kernel dropping events (ENOBUFS)
   * reaches `onOverflow`: the caller re-reads what it tracks.
   */
  watchEvents(handlers: KernelEventHandlers, opts: { addresses?: boolean } = {}): KernelEventWatch {
    if (this.closed) throw new KernelError('ECLOSED', 'watchEvents', 'kernel interface is closed');
    const groups = RTMGRP.LINK | (opts.addresses ? RTMGRP.IPV4_IFADDR | RTMGRP.IPV6_IFADDR : 0);
    const sock = NetlinkSocket.open({ groups });
    this.watches.add(sock);
    sock.onMessage((m) => {
      const r = parseKernelEvents(m.bytes);
      // Undecodable kernel messages are counted, not logged one by one.
      this.undecodableEvents += r.errors.length;
      if (r.events.length > 0) handlers.onEvents(r.events);
    });
    sock.onOverflow(() => handlers.onOverflow?.());
    sock.onError((e) => handlers.onError?.({ code: e.code, ...(e.errno !== undefined ? { detail: `errno ${e.errno}` } : {}) }));
    return {
      close: () => {
        sock.close();
        this.watches.delete(sock);
      },
    };
  }

  private decodeAll<T>(op: string, msgs: NetlinkMessage[], want: number, decode: (b: Buffer) => Result<T>): T[] {
    const out: T[] = [];
    for (const m of msgs) {
      if (m.type !== want) continue;
      const r = decode(m.payload);
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
    return this.create('addAddress', RTM.NEWADDR, encodeAddress(spec, ifindex, 'addAddress'));
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
    return this.create('addRoute', RTM.NEWROUTE, encodeRoute(spec, oif, 'addRoute'));
  }

  /**
   * A create request (NLM_F_CREATE | NLM_F_EXCL). keepalived (netlink_parse_info) also takes
   * EEXIST on RTM_NEWADDR as success; we report it so the daemon knows the address or route was
   * adopted and must not be removed when it stops.
   */
  private async create(op: string, type: number, payload: Buffer): Promise<AddResult> {
    try {
      await this.request(op, type, payload, NLM_F.CREATE | NLM_F.EXCL);
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

  async createVirtualLink(spec: VirtualLinkSpec): Promise<LinkInfo> {
    await this.request('createVirtualLink', RTM.NEWLINK, encodeCreateVirtualLink(spec), NLM_F.CREATE | NLM_F.EXCL);
    const link = await this.getLink(spec.name);
    if (!link) throw new KernelError('ENODEV', 'createVirtualLink', `${spec.name} vanished after it was created`, { errno: 19 });
    return link;
  }

  async deleteLink(ifindex: number): Promise<void> {
    await this.request('deleteLink', RTM.DELLINK, encodeDeleteLink(ifindex), 0);
  }

  async configureLink(ifindex: number, change: LinkChange): Promise<void> {
    if (change.disableIpv6 !== undefined) {
      // No rtnetlink attribute sets disable_ipv6: the sysctl of this network namespace.
      const link = await this.getLink(ifindex);
      if (!link) throw new KernelError('ENODEV', 'configureLink', `no interface ${ifindex}`, { errno: 19 });
      try {
        await writeFile(`/proc/sys/net/ipv6/conf/${link.name}/disable_ipv6`, change.disableIpv6 ? '1' : '0');
      } catch (e) {
        // A kernel without IPv6 has no such file: nothing to disable.
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw toKernelError(e, 'configureLink');
      }
    }
    if (change.up === undefined && change.ipv4Conf === undefined && change.addrGenMode === undefined) return;
    await this.request('configureLink', RTM.NEWLINK, encodeLinkChange(ifindex, change), 0);
  }

  async linkDetails(nameOrIndex: string | number): Promise<LinkDetails | undefined> {
    if (typeof nameOrIndex === 'string' && (nameOrIndex.length === 0 || Buffer.byteLength(nameOrIndex) > 15)) return undefined;
    try {
      const msgs = await this.request('linkDetails', RTM.GETLINK, encodeGetLink(nameOrIndex), 0);
      const m = msgs.find((x) => x.type === RTM.NEWLINK);
      return m ? decodeLinkDetails(m.payload) : undefined;
    } catch (e) {
      if (e instanceof KernelError && e.code === 'ENODEV') return undefined;
      throw e;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.watches) w.close();
    this.watches.clear();
    this.sock.close();
  }
}

function badMessage(op: string, e: ParseError): KernelError {
  return new KernelError('EBADMSG', op, `undecodable kernel reply: ${e.code}: ${e.message}`);
}
