// Installs and removes an instance's virtual addresses and routes through the Kernel, and
// remembers which ones this process added. A VIP already present when we add it is adopted
// (no duplicate, no error) and is not removed at stop: we remove only what we added.
import type { AddressSpec, Kernel, RouteSpec } from '../../kernel/kernel.js';
import { isKernelError } from '../../kernel/errors.js';
import type { Logger } from '../../lib/log.js';

export class VipManager {
  /** Canonical VIP text -> spec, for VIPs and eVIPs. */
  private readonly added = new Set<string>();
  private readonly adopted = new Set<string>();
  private routesAdded = new Set<number>();

  constructor(
    private readonly instance: string,
    private readonly kernel: Kernel,
    private specs: ReadonlyMap<string, AddressSpec>,
    private routes: readonly RouteSpec[],
    private readonly log: Logger,
  ) {}

  /** VIPs currently installed by us (for status and tests). */
  get installed(): string[] {
    return [...this.added];
  }

  async add(addresses: readonly string[]): Promise<void> {
    for (const a of addresses) {
      const spec = this.specs.get(a);
      if (!spec) continue;
      try {
        const r = await this.kernel.addAddress(spec);
        if (r.alreadyPresent) {
          if (!this.added.has(a)) {
            this.adopted.add(a);
            this.log.info({ instance: this.instance, vip: a }, 'VIP already present: adopted');
          }
        } else {
          this.added.add(a);
        }
      } catch (e) {
        this.log.error({ instance: this.instance, vip: a, code: isKernelError(e) ? e.code : undefined, err: String(e) }, 'cannot add VIP');
      }
    }
    for (let i = 0; i < this.routes.length; i++) {
      if (this.routesAdded.has(i)) continue;
      try {
        const r = await this.kernel.addRoute(this.routes[i]);
        if (!r.alreadyPresent) this.routesAdded.add(i);
      } catch (e) {
        this.log.error({ instance: this.instance, route: this.routes[i].dst, err: String(e) }, 'cannot add virtual route');
      }
    }
  }

  /**
   * Removes VIPs. Without `force` only those this process added; with `force` (start-up
   * clean-up of addresses a previous run left behind) any that is present.
   */
  async remove(addresses: readonly string[], force = false): Promise<void> {
    for (const i of [...this.routesAdded]) {
      try {
        await this.kernel.deleteRoute(this.routes[i]);
      } catch (e) {
        if (!isKernelError(e, 'ESRCH') && !isKernelError(e, 'ENOENT')) this.log.warn({ instance: this.instance, err: String(e) }, 'cannot remove virtual route');
      }
      this.routesAdded.delete(i);
    }
    for (const a of addresses) {
      const spec = this.specs.get(a);
      if (!spec) continue;
      const ours = this.added.has(a);
      if (!ours && !(force && !this.adopted.has(a))) continue;
      try {
        await this.kernel.deleteAddress(spec);
      } catch (e) {
        if (!isKernelError(e, 'EADDRNOTAVAIL') && !isKernelError(e, 'ENODEV')) {
          this.log.warn({ instance: this.instance, vip: a, err: String(e) }, 'cannot remove VIP');
        }
      }
      this.added.delete(a);
    }
  }

  /** True when `address` is one this instance installed or adopted. */
  holds(address: string): boolean {
    return this.added.has(address) || this.adopted.has(address);
  }

  /**
   * Puts back a VIP someone else deleted while we are master. It is ours from now on (we added
   * it), so stop removes it.
   */
  async restore(address: string): Promise<void> {
    this.added.delete(address);
    this.adopted.delete(address);
    await this.add([address]);
    // Already there: an earlier restore of ours got there first (an interface re-created while
    // the first one was pending). Still ours.
    if (this.adopted.delete(address)) this.added.add(address);
  }

  /**
   * A reload's new address and route lists (keepalived clear_diff_vrrp_vip / _vroutes). What
   * left the config, or changed, is removed from the kernel when we added it; with `holding`
   * (the instance has its VIPs up) what is new, or changed, is added. An address or route in
   * both lists with the same spec is not touched. Returns the VIPs added (they need GARPs).
   */
  async reconfigure(specs: ReadonlyMap<string, AddressSpec>, routes: readonly RouteSpec[], holding: boolean): Promise<string[]> {
    const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
    const oldSpecs = this.specs;
    const oldRoutes = this.routes;
    const gone = [...oldSpecs.keys()].filter((k) => !specs.has(k) || !same(oldSpecs.get(k), specs.get(k)));
    for (const a of gone) {
      const spec = oldSpecs.get(a)!;
      if (this.added.has(a)) {
        try {
          await this.kernel.deleteAddress(spec);
        } catch (e) {
          if (!isKernelError(e, 'EADDRNOTAVAIL') && !isKernelError(e, 'ENODEV')) this.log.warn({ instance: this.instance, vip: a, err: String(e) }, 'cannot remove VIP');
        }
      }
      this.added.delete(a);
      this.adopted.delete(a);
    }
    // Routes are matched by their spec; the kept ones keep their "added by us" mark.
    const kept = new Set<number>();
    for (const i of this.routesAdded) {
      const j = routes.findIndex((r, n) => !kept.has(n) && same(r, oldRoutes[i]));
      if (j >= 0) {
        kept.add(j);
        continue;
      }
      try {
        await this.kernel.deleteRoute(oldRoutes[i]);
      } catch (e) {
        if (!isKernelError(e, 'ESRCH') && !isKernelError(e, 'ENOENT')) this.log.warn({ instance: this.instance, err: String(e) }, 'cannot remove virtual route');
      }
    }
    this.specs = specs;
    this.routes = routes;
    this.routesAdded = kept;
    if (!holding) return [];
    const fresh = [...specs.keys()].filter((k) => !this.added.has(k) && !this.adopted.has(k));
    const before = new Set(this.added);
    // add() also adds the routes not marked as ours yet (the new ones).
    await this.add(fresh);
    return fresh.filter((a) => this.added.has(a) && !before.has(a));
  }

  /** At stop: remove everything we added (adopted addresses stay). */
  async removeAll(): Promise<void> {
    await this.remove([...this.added]);
  }
}
