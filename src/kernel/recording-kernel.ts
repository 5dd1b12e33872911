// RecordingKernel: the Kernel interface over an in-memory model of links, addresses and routes,
// logging every call as `{op, args}` so tests can assert "exactly these ops" (DESIGN.md seam 2).
// It follows the kernel's answers where the daemon depends on them:
//  * addAddress of an address already on the device -> EEXIST, reported as alreadyPresent
//    (IPv4: same address and prefix length; IPv6: same address, as ipv6_add_addr checks);
//  * deleteAddress of a missing address -> EADDRNOTAVAIL; an unknown device -> ENODEV;
//  * IPv4: an address inside the subnet of an existing one becomes IFA_F_SECONDARY, dumps list
//    primaries before secondaries, and deleting a primary also deletes its secondaries
//    (the kernel's default with promote_secondaries = 0);
//  * addRoute of an existing (table, family, dst/len, tos, metric) -> EEXIST; deleteRoute of a
//    missing route -> ESRCH;
//  * a link that is not UP is not RUNNING (carrier false).
// Not modelled: DAD, kernel-generated routes, lifetimes, route scope/gateway validation.

import { KernelError } from './errors.js';
import type { KernelErrorCode } from './errors.js';
import type { AddResult, AddressInfo, AddressSpec, Family, Kernel, KernelEventHandlers, KernelEventWatch, LinkChange, LinkDetails, LinkInfo, RouteInfo, RouteSpec, VirtualLinkSpec } from './kernel.js';
import { IFA_F, IFF, ROUTE_TYPES, RT_TABLE_MAIN, RTPROT_BOOT, SCOPES, pickPrimary, routeTypeName, scopeNumber } from './kernel.js';
import { formatIp, ipv4Broadcast, LENIENT, maxPrefix, parseIp as parseIpText, type ParsedIp } from '../lib/ip.js';

/** Kernel-side text: IPv4 leading zeros and an IPv6 zone are accepted (lib/ip.ts LENIENT). */
const parseIp = (text: string): ParsedIp | undefined => parseIpText(text, LENIENT);
import type { KernelEvent } from './link-events.js';
import { routeFamily } from './rtnl-encode.js';

export type KernelOpName =
  | 'listLinks'
  | 'getLink'
  | 'listAddresses'
  | 'addAddress'
  | 'deleteAddress'
  | 'listRoutes'
  | 'addRoute'
  | 'deleteRoute'
  | 'primaryAddress'
  | 'createVirtualLink'
  | 'deleteLink'
  | 'configureLink'
  | 'linkDetails'
  | 'close';

export interface KernelOp {
  readonly op: KernelOpName;
  readonly args: readonly unknown[];
}

const MUTATING: ReadonlySet<KernelOpName> = new Set(['addAddress', 'deleteAddress', 'addRoute', 'deleteRoute', 'createVirtualLink', 'deleteLink', 'configureLink']);

export interface LinkSeed {
  readonly name: string;
  readonly ifindex?: number;
  readonly up?: boolean;
  readonly carrier?: boolean;
  readonly mtu?: number;
  readonly mac?: string;
}

interface LinkState {
  ifindex: number;
  name: string;
  up: boolean;
  /** Lower-layer carrier; RUNNING is up && lowerUp. */
  lowerUp: boolean;
  mtu: number;
  mac: string;
  /** Virtual links (createVirtualLink): kind, lower interface and mode. */
  kind?: string;
  parent?: number;
  macvlanMode?: string;
  ipvlanFlags?: string;
  ipv4Conf?: Record<string, number>;
  addrGenMode?: number;
}

/** The IPv4 devconf defaults of a fresh interface (the sysctls the VMAC code reads). */
const IPV4_CONF_DEFAULTS: Readonly<Record<string, number>> = { rp_filter: 0, arp_filter: 0, arp_ignore: 0, promote_secondaries: 0, accept_local: 0 };

export type KernelEventListener = (e: KernelEvent) => void;

export class RecordingKernel implements Kernel {
  private readonly links = new Map<number, LinkState>();
  private addrs: AddressInfo[] = [];
  private routes: RouteInfo[] = [];
  private readonly log: KernelOp[] = [];
  private readonly listeners = new Set<KernelEventListener>();
  private dropping = false;
  private readonly watchers = new Set<{ handlers: KernelEventHandlers; listener: KernelEventListener }>();
  private readonly failures: { op: KernelOpName; code: KernelErrorCode }[] = [];
  private nextIndex = 1;
  private closed = false;

  constructor(links: readonly LinkSeed[] = [{ name: 'lo', up: true, carrier: true, mtu: 65536, mac: '00:00:00:00:00:00' }]) {
    for (const l of links) this.addLink(l);
  }

  // ---- model set-up and simulation (not logged) -------------------------------------------

  /** Creates an interface (like `ip link add`); emits a link event. */
  addLink(seed: LinkSeed): LinkInfo {
    const ifindex = seed.ifindex ?? this.nextIndex;
    if (this.links.has(ifindex)) throw new Error(`ifindex ${ifindex} already exists`);
    this.nextIndex = Math.max(this.nextIndex, ifindex + 1);
    const st: LinkState = {
      ifindex,
      name: seed.name,
      up: seed.up ?? true,
      lowerUp: seed.carrier ?? true,
      mtu: seed.mtu ?? 1500,
      mac: seed.mac ?? `02:00:00:00:${((ifindex >> 8) & 0xff).toString(16).padStart(2, '0')}:${(ifindex & 0xff).toString(16).padStart(2, '0')}`,
    };
    this.links.set(ifindex, st);
    this.emit({ kind: 'link', action: 'update', ...linkInfo(st) });
    return linkInfo(st);
  }

  /** Removes an interface with its addresses and routes; emits address and link events. */
  removeLink(nameOrIndex: string | number): void {
    const st = this.findLink(nameOrIndex);
    if (!st) throw new Error(`no link ${String(nameOrIndex)}`);
    for (const a of this.addrs.filter((x) => x.ifindex === st.ifindex)) this.emit({ kind: 'address', action: 'del', ...a });
    this.addrs = this.addrs.filter((x) => x.ifindex !== st.ifindex);
    this.routes = this.routes.filter((r) => r.ifindex !== st.ifindex);
    this.links.delete(st.ifindex);
    this.emit({ kind: 'link', action: 'delete', ...linkInfo(st) });
  }

  /** Simulates `ip link set up/down` (up) or a cable pull (carrier); emits a link event on change. */
  setLinkState(nameOrIndex: string | number, state: { up?: boolean; carrier?: boolean; mtu?: number }): LinkInfo {
    const st = this.findLink(nameOrIndex);
    if (!st) throw new Error(`no link ${String(nameOrIndex)}`);
    const before = JSON.stringify(linkInfo(st));
    if (state.up !== undefined) st.up = state.up;
    if (state.carrier !== undefined) st.lowerUp = state.carrier;
    if (state.mtu !== undefined) st.mtu = state.mtu;
    const after = linkInfo(st);
    if (JSON.stringify(after) !== before) this.emit({ kind: 'link', action: 'update', ...after });
    return after;
  }

  /** Puts an address on a link without logging an op (pre-existing configuration). */
  seedAddress(spec: AddressSpec): void {
    const r = this.doAddAddress(spec, 'addAddress');
    if (r.alreadyPresent) throw new Error(`seedAddress: ${spec.address} already present`);
  }

  /** Puts a route in a table without logging an op. */
  seedRoute(spec: RouteSpec): void {
    this.doAddRoute(spec, 'addRoute');
  }

  /** The next call of `op` rejects with `code` (once per call to failNext). */
  failNext(op: KernelOpName, code: KernelErrorCode): void {
    this.failures.push({ op, code });
  }

  onEvent(listener: KernelEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The Kernel's event watch, driven by this model's changes (addLink, setLinkState, removeLink,
   * address adds and deletes). Not in the op log: it reads nothing.
   */
  watchEvents(handlers: KernelEventHandlers, opts: { readonly addresses?: boolean } = {}): KernelEventWatch {
    if (this.closed) throw new KernelError('ECLOSED', 'watchEvents', 'kernel interface is closed');
    const listener: KernelEventListener = (e) => {
      if (this.dropping || (e.kind === 'address' && !opts.addresses)) return;
      handlers.onEvents([e]);
    };
    const w = { handlers, listener };
    this.watchers.add(w);
    this.listeners.add(listener);
    return {
      close: () => {
        this.listeners.delete(listener);
        this.watchers.delete(w);
      },
    };
  }

  /**
   * Simulates the kernel dropping events (netlink ENOBUFS): the changes `lost` makes reach no
   * watch, then every watch's onOverflow runs (as the kernel reports the overflow afterwards).
   */
  overflow(lost: () => void = () => {}): void {
    this.dropping = true;
    try {
      lost();
    } finally {
      this.dropping = false;
    }
    for (const w of [...this.watchers]) w.handlers.onOverflow?.();
  }

  // ---- the op log -----------------------------------------------------------------------

  /** Every call so far, reads included, in order. */
  get ops(): readonly KernelOp[] {
    return this.log;
  }

  /** Only the calls that change state (add/delete of addresses and routes). */
  mutations(): KernelOp[] {
    return this.log.filter((o) => MUTATING.has(o.op));
  }

  clearOps(): void {
    this.log.length = 0;
  }

  /** Snapshot of the model, e.g. for `toEqual` against an expected state. */
  snapshot(): { links: LinkInfo[]; addresses: AddressInfo[]; routes: RouteInfo[] } {
    return {
      links: [...this.links.values()].sort((a, b) => a.ifindex - b.ifindex).map(linkInfo),
      addresses: this.orderedAddrs(),
      routes: [...this.routes],
    };
  }

  // ---- Kernel ---------------------------------------------------------------------------

  async listLinks(): Promise<LinkInfo[]> {
    this.enter('listLinks', []);
    return this.snapshot().links;
  }

  async getLink(nameOrIndex: string | number): Promise<LinkInfo | undefined> {
    this.enter('getLink', [nameOrIndex]);
    const st = this.findLink(nameOrIndex);
    return st ? linkInfo(st) : undefined;
  }

  async listAddresses(ifindex?: number, family?: Family): Promise<AddressInfo[]> {
    this.enter('listAddresses', [ifindex, family]);
    return this.orderedAddrs().filter((a) => (ifindex === undefined || a.ifindex === ifindex) && (family === undefined || a.family === family));
  }

  async addAddress(spec: AddressSpec): Promise<AddResult> {
    this.enter('addAddress', [spec]);
    return this.doAddAddress(spec, 'addAddress');
  }

  async deleteAddress(spec: AddressSpec): Promise<void> {
    this.enter('deleteAddress', [spec]);
    const st = this.linkFor(spec.dev, 'deleteAddress');
    const p = parseIp(spec.address);
    if (!p) throw new KernelError('EINVALID_ARG', 'deleteAddress', `'${spec.address}' is not an IP address`);
    const address = formatIp(p.bytes)!;
    const prefixLength = spec.prefixLength ?? maxPrefix(p.family);
    const victim = this.addrs.find(
      (a) =>
        a.ifindex === st.ifindex &&
        a.family === p.family &&
        a.address === address &&
        a.prefixLength === prefixLength &&
        (spec.label === undefined || a.label === spec.label),
    );
    if (!victim) throw new KernelError('EADDRNOTAVAIL', 'deleteAddress', `${address}/${prefixLength} not on ${st.name}`, { errno: 99 });
    let gone = [victim];
    if (victim.family === 'inet' && (victim.flags & IFA_F.SECONDARY) === 0) {
      // Without promote_secondaries the kernel drops the secondaries of a deleted primary.
      gone = gone.concat(
        this.addrs.filter((a) => a !== victim && a.ifindex === st.ifindex && a.family === 'inet' && (a.flags & IFA_F.SECONDARY) !== 0 && sameSubnet(a.address, victim.address, victim.prefixLength)),
      );
    }
    this.addrs = this.addrs.filter((a) => !gone.includes(a));
    for (const a of gone) this.emit({ kind: 'address', action: 'del', ...a });
  }

  async listRoutes(family?: Family, table?: number): Promise<RouteInfo[]> {
    this.enter('listRoutes', [family, table]);
    return this.routes.filter((r) => (family === undefined || r.family === family) && (table === undefined || r.table === table));
  }

  async addRoute(spec: RouteSpec): Promise<AddResult> {
    this.enter('addRoute', [spec]);
    return this.doAddRoute(spec, 'addRoute');
  }

  async deleteRoute(spec: RouteSpec): Promise<void> {
    this.enter('deleteRoute', [spec]);
    const want = this.toRoute(spec, 'deleteRoute');
    const i = this.routes.findIndex(
      (r) =>
        routeKey(r) === routeKey(want) &&
        (spec.via === undefined || r.via === want.via) &&
        (spec.dev === undefined || r.ifindex === want.ifindex) &&
        (spec.type === undefined || r.type === want.type),
    );
    if (i < 0) throw new KernelError('ESRCH', 'deleteRoute', `no route ${want.dst}/${want.prefixLength} in table ${want.table}`, { errno: 3 });
    this.routes.splice(i, 1);
  }

  async primaryAddress(ifindex: number, family: Family, exclude: readonly string[] = []): Promise<string | undefined> {
    this.enter('primaryAddress', [ifindex, family, exclude]);
    return pickPrimary(this.orderedAddrs().filter((a) => a.ifindex === ifindex), family, exclude);
  }

  async createVirtualLink(spec: VirtualLinkSpec): Promise<LinkInfo> {
    this.enter('createVirtualLink', [spec]);
    if (this.findLink(spec.name)) throw new KernelError('EEXIST', 'createVirtualLink', `${spec.name} exists`, { errno: 17 });
    const base = this.linkFor(spec.parent, 'createVirtualLink');
    // A new macvlan/ipvlan is down; an ipvlan shares its lower interface's MAC.
    const info = this.addLink({ name: spec.name, up: false, carrier: base.up && base.lowerUp, mac: spec.mac ?? base.mac, mtu: base.mtu });
    const st = this.links.get(info.ifindex)!;
    st.kind = spec.kind;
    st.parent = spec.parent;
    if (spec.kind === 'macvlan') st.macvlanMode = spec.mode;
    else st.ipvlanFlags = spec.mode;
    return linkInfo(st);
  }

  async deleteLink(ifindex: number): Promise<void> {
    this.enter('deleteLink', [ifindex]);
    this.linkFor(ifindex, 'deleteLink');
    this.removeLink(ifindex);
  }

  async configureLink(ifindex: number, change: LinkChange): Promise<void> {
    this.enter('configureLink', [ifindex, change]);
    const st = this.linkFor(ifindex, 'configureLink');
    if (change.ipv4Conf) st.ipv4Conf = { ...IPV4_CONF_DEFAULTS, ...st.ipv4Conf, ...change.ipv4Conf };
    if (change.addrGenMode !== undefined) st.addrGenMode = change.addrGenMode;
    if (change.up !== undefined) this.setLinkState(ifindex, { up: change.up });
  }

  async linkDetails(nameOrIndex: string | number): Promise<LinkDetails | undefined> {
    this.enter('linkDetails', [nameOrIndex]);
    const st = this.findLink(nameOrIndex);
    if (!st) return undefined;
    return {
      ifindex: st.ifindex,
      name: st.name,
      ...(st.kind !== undefined ? { kind: st.kind } : {}),
      ...(st.parent !== undefined ? { parent: st.parent } : {}),
      ...(st.macvlanMode !== undefined ? { macvlanMode: st.macvlanMode } : {}),
      ...(st.ipvlanFlags !== undefined ? { ipvlanMode: 0, ipvlanFlags: st.ipvlanFlags } : {}),
      ipv4Conf: { ...IPV4_CONF_DEFAULTS, ...st.ipv4Conf },
      addrGenMode: st.addrGenMode ?? 0,
    };
  }

  async close(): Promise<void> {
    this.log.push({ op: 'close', args: [] });
    this.closed = true;
  }

  // ---- internals ------------------------------------------------------------------------

  private enter(op: KernelOpName, args: unknown[]): void {
    this.log.push({ op, args: structuredClone(args) });
    if (this.closed) throw new KernelError('ECLOSED', op, 'kernel interface is closed');
    const i = this.failures.findIndex((f) => f.op === op);
    if (i >= 0) {
      const [f] = this.failures.splice(i, 1);
      throw new KernelError(f.code, op, 'injected failure');
    }
  }

  private emit(e: KernelEvent): void {
    for (const l of this.listeners) l(e);
  }

  private findLink(nameOrIndex: string | number): LinkState | undefined {
    if (typeof nameOrIndex === 'number') return this.links.get(nameOrIndex);
    for (const l of this.links.values()) if (l.name === nameOrIndex) return l;
    return undefined;
  }

  private linkFor(dev: string | number, op: string): LinkState {
    const st = this.findLink(dev);
    if (!st) throw new KernelError('ENODEV', op, `no interface ${String(dev)}`, { errno: 19 });
    return st;
  }

  /**
   * Kernel dump order: IPv4 then IPv6 (a family-0 dump walks one family after the other), by
   * ifindex, and per interface IPv4 primaries before secondaries, else insertion order.
   */
  private orderedAddrs(): AddressInfo[] {
    const rank = (a: AddressInfo): number => (a.family === 'inet' ? 0 : 2) + ((a.flags & IFA_F.SECONDARY) !== 0 ? 1 : 0);
    return this.addrs
      .map((a, i) => ({ a, i }))
      .sort((x, y) => (x.a.family === y.a.family ? 0 : rank(x.a) - rank(y.a)) || x.a.ifindex - y.a.ifindex || rank(x.a) - rank(y.a) || x.i - y.i)
      .map((x) => x.a);
  }

  private doAddAddress(spec: AddressSpec, op: string): AddResult {
    const st = this.linkFor(spec.dev, op);
    const p = parseIp(spec.address);
    if (!p) throw new KernelError('EINVALID_ARG', op, `'${spec.address}' is not an IP address`);
    const family = p.family;
    const address = formatIp(p.bytes)!;
    const prefixLength = spec.prefixLength ?? maxPrefix(family);
    if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > maxPrefix(family)) {
      throw new KernelError('EINVALID_ARG', op, `prefix length ${prefixLength} out of range`);
    }
    const dup = this.addrs.find(
      (a) => a.ifindex === st.ifindex && a.family === family && a.address === address && (family === 'inet6' || a.prefixLength === prefixLength),
    );
    if (dup) return { alreadyPresent: true };
    let flags = IFA_F.PERMANENT;
    if (spec.noDad) flags |= IFA_F.NODAD;
    if (spec.home) flags |= IFA_F.HOMEADDRESS;
    if (spec.mngtmpaddr) flags |= IFA_F.MANAGETEMPADDR;
    if (spec.noPrefixRoute) flags |= IFA_F.NOPREFIXROUTE;
    if (spec.autojoin) flags |= IFA_F.MCAUTOJOIN;
    if (spec.preferredLft === 0) flags |= IFA_F.DEPRECATED;
    if (
      family === 'inet' &&
      this.addrs.some((a) => a.ifindex === st.ifindex && a.family === 'inet' && (a.flags & IFA_F.SECONDARY) === 0 && a.prefixLength === prefixLength && sameSubnet(a.address, address, prefixLength))
    ) {
      flags |= IFA_F.SECONDARY;
    }
    let broadcast: string | undefined;
    if (spec.broadcast !== undefined && spec.broadcast !== '-' && family === 'inet') {
      broadcast = spec.broadcast === '+' ? formatIp(ipv4Broadcast(p.bytes, prefixLength)) : spec.broadcast;
    }
    const info: AddressInfo = {
      ifindex: st.ifindex,
      family,
      address,
      prefixLength,
      ...(spec.peer !== undefined ? { peer: formatIp(parseIp(spec.peer)?.bytes ?? new Uint8Array()) ?? spec.peer } : {}),
      ...(broadcast !== undefined ? { broadcast } : {}),
      ...(spec.label !== undefined ? { label: spec.label } : family === 'inet' ? { label: st.name } : {}),
      scope: spec.scope === undefined ? SCOPES.global : scopeNumber(spec.scope),
      flags,
    };
    this.addrs.push(info);
    this.emit({ kind: 'address', action: 'add', ...info });
    return { alreadyPresent: false };
  }

  private toRoute(spec: RouteSpec, op: string): RouteInfo {
    let family: Family;
    try {
      family = routeFamily(spec, op);
    } catch (e) {
      throw e instanceof KernelError ? e : new KernelError('EINVALID_ARG', op, String(e));
    }
    const isDefault = spec.dst === 'default';
    const prefixLength = spec.prefixLength ?? (isDefault ? 0 : maxPrefix(family));
    const dstBytes = isDefault ? undefined : parseIp(spec.dst)?.bytes;
    const oif = spec.dev === undefined ? undefined : this.linkFor(spec.dev, op).ifindex;
    const type = spec.type ?? 'unicast';
    const canon = (t: string | undefined): string | undefined => (t === undefined ? undefined : (formatIp(parseIp(t)?.bytes ?? new Uint8Array()) ?? t));
    return {
      family,
      dst: prefixLength === 0 ? 'default' : (formatIp(dstBytes!) ?? spec.dst),
      prefixLength,
      ...(spec.via !== undefined ? { via: canon(spec.via) } : {}),
      ...(oif !== undefined ? { ifindex: oif } : {}),
      ...(spec.src !== undefined ? { src: canon(spec.src) } : {}),
      ...(spec.metric !== undefined ? { metric: spec.metric } : {}),
      table: spec.table ?? RT_TABLE_MAIN,
      scope:
        spec.scope !== undefined
          ? scopeNumber(spec.scope)
          : type === 'local'
            ? SCOPES.host
            : type === 'unicast' && spec.via === undefined
              ? SCOPES.link
              : SCOPES.global,
      type: routeTypeName(ROUTE_TYPES[type]),
      protocol: spec.protocol ?? RTPROT_BOOT,
      tos: spec.tos ?? 0,
    };
  }

  private doAddRoute(spec: RouteSpec, op: string): AddResult {
    const r = this.toRoute(spec, op);
    if (this.routes.some((x) => routeKey(x) === routeKey(r))) return { alreadyPresent: true };
    this.routes.push(r);
    return { alreadyPresent: false };
  }
}

function linkInfo(st: LinkState): LinkInfo {
  const running = st.up && st.lowerUp;
  const flags = (st.up ? IFF.UP : 0) | (running ? IFF.RUNNING | IFF.LOWER_UP : 0) | (st.name === 'lo' ? IFF.LOOPBACK : 0);
  return {
    ifindex: st.ifindex,
    name: st.name,
    up: st.up,
    carrier: running,
    mtu: st.mtu,
    mac: st.mac,
    flags,
    operstate: running ? 'up' : 'down',
  };
}

function routeKey(r: RouteInfo): string {
  return `${r.table}|${r.family}|${r.dst}/${r.prefixLength}|${r.tos}|${r.metric ?? 0}`;
}

function sameSubnet(a: string, b: string, prefixLength: number): boolean {
  const pa = parseIp(a)?.bytes;
  const pb = parseIp(b)?.bytes;
  if (!pa || !pb || pa.length !== pb.length) return false;
  let bits = prefixLength;
  for (let i = 0; i < pa.length && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((pa[i] & mask) !== (pb[i] & mask)) return false;
  }
  return true;
}
