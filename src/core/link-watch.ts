// Interface state from live kernel events, through the Kernel seam (Kernel.watchEvents: the
// rtnetlink event socket for NetlinkKernel, the model's changes for RecordingKernel). Only changes of "usable" (admin up and
// carrier) are reported, plus address deletions (so a master can restore a VIP someone removed). When the kernel drops events (ENOBUFS) every link is re-read through
// the Kernel interface, so no change is ever missed for good.
import type { Kernel, KernelEventWatch } from '../kernel/kernel.js';
import { parseKernelEvents, type KernelEvent } from '../kernel/link-events.js';
import type { Logger } from '../lib/log.js';

/**
 * A link's usable state changed, or it appeared. `ifindex` is its index now: an interface deleted
 * and re-created with the same name comes back under a new one.
 */
export type LinkHandler = (ifname: string, up: boolean, ifindex: number) => void;
/** An address was deleted from an interface (RTM_DELADDR), by anyone. */
export type AddressRemovedHandler = (ifindex: number, address: string) => void;

export class LinkWatcher {
  private readonly last = new Map<number, { name: string; up: boolean }>();
  private watch: KernelEventWatch | undefined;
  overflows = 0;

  constructor(
    private readonly kernel: Kernel,
    private readonly log: Logger,
    private readonly onChange: LinkHandler,
    private readonly onAddressRemoved?: AddressRemovedHandler,
    /** -a / --address-monitoring: log every address added or removed (and those present at start). */
    private readonly monitorAddresses = false,
  ) {}

  async start(): Promise<void> {
    for (const l of await this.kernel.listLinks()) this.last.set(l.ifindex, { name: l.name, up: l.up && l.carrier });
    if (this.monitorAddresses) for (const a of await this.kernel.listAddresses()) this.logAddress('added', a.ifindex, a.address, a.prefixLength);
    this.watch = this.kernel.watchEvents(
      {
        onEvents: (events) => this.apply(events),
        onOverflow: () => {
          this.overflows++;
          this.log.warn({ overflows: this.overflows }, 'netlink event overflow: re-reading interface state');
          void this.resync();
        },
        onError: (e) => this.log.warn({ code: e.code, ...(e.detail !== undefined ? { detail: e.detail } : {}) }, 'netlink event socket error'),
      },
      { addresses: this.onAddressRemoved !== undefined || this.monitorAddresses },
    );
  }

  stop(): void {
    this.watch?.close();
    this.watch = undefined;
  }

  /** Feeds raw rtnetlink bytes (exported for tests). */
  handle(bytes: Uint8Array): void {
    this.apply(parseKernelEvents(bytes).events);
  }

  /** Feeds decoded events (what a RecordingKernel emits, in tests). */
  apply(events: readonly KernelEvent[]): void {
    for (const e of events) {
      if (e.kind === 'address') {
        if (this.monitorAddresses) this.logAddress(e.action === 'del' ? 'removed' : 'added', e.ifindex, e.address, e.prefixLength);
        if (e.action === 'del') this.onAddressRemoved?.(e.ifindex, e.address);
        continue;
      }
      this.update(e.ifindex, e.name, e.action !== 'delete' && e.up && e.carrier);
      // A deleted index never comes back (a re-created interface gets a new one).
      if (e.action === 'delete') this.last.delete(e.ifindex);
    }
  }

  private logAddress(what: 'added' | 'removed', ifindex: number, address: string, prefixLength: number): void {
    const ifname = this.last.get(ifindex)?.name ?? `ifindex ${ifindex}`;
    this.log.info({ ifname, address, prefixLength, event: what }, `address monitor: ${address}/${prefixLength} ${what} ${what === 'added' ? 'to' : 'from'} ${ifname}`);
  }

  private update(ifindex: number, name: string, up: boolean): void {
    const prev = this.last.get(ifindex);
    this.last.set(ifindex, { name, up });
    if (prev && prev.up === up && prev.name === name) return;
    if (!prev && up) {
      // An interface that appeared: report it so instances waiting for it can leave FAULT.
      this.onChange(name, true, ifindex);
      return;
    }
    this.log.info({ ifname: name, up }, `interface ${name} is ${up ? 'up' : 'down'}`);
    this.onChange(name, up, ifindex);
  }

  /** Re-reads every link (after an event overflow) and reports what changed meanwhile. */
  async resync(): Promise<void> {
    try {
      const links = await this.kernel.listLinks();
      const seen = new Set(links.map((l) => l.ifindex));
      // Vanished links first: an interface deleted and re-created with the same name during the
      // overflow must end up "up" (new index), not "down" (the old one reported last).
      for (const [ifindex, v] of [...this.last]) {
        if (seen.has(ifindex)) continue;
        if (v.up) this.update(ifindex, v.name, false);
        this.last.delete(ifindex);
      }
      for (const l of links) this.update(l.ifindex, l.name, l.up && l.carrier);
    } catch (e) {
      this.log.error({ err: String(e) }, 'cannot re-read interfaces after overflow');
    }
  }
}
