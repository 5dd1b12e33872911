// Reconcile, as a pure function: (the table the kernel has, the table we want, the services we
// own) -> the shortest ordered list of operations that turns the one into the other, touching
// only what we own.
//
// Ownership: every service in `desired` is ours; so is every key in `owned` (services we put
// there earlier). A service that is neither is someone else's and is never touched, whatever it
// holds. Within a service we own, every dest is ours: an extra dest is removed.
//
// Order (each step needs the one before): dest deletions in services we keep, service deletions
// (the kernel drops a service's dests with it, so none are deleted one by one), service edits,
// service additions, then dest edits and additions. An attribute the kernel can change in place
// (scheduler, flags, timeout, netmask, persistence engine; a dest's weight, forwarding,
// thresholds, tunnel) is an edit, never a delete and add, so no connection is dropped for it.
// A pe change is an edit as well: ip_vs_edit_service takes the new engine.
import type { IpvsDest, IpvsEntry, IpvsOp, IpvsService } from '../kernel/ipvs.js';
import { IPVS_SVC_FLAG, canonicalIpvsService, destKeyText, serviceKeyText } from '../kernel/ipvs.js';

export function reconcile(observed: readonly IpvsEntry[], desired: readonly IpvsEntry[], owned: ReadonlySet<string>): IpvsOp[] {
  const have = new Map(observed.map((e) => [serviceKeyText(e.service.key), e]));
  const want = new Map(desired.map((e) => [serviceKeyText(e.service.key), e]));

  const delDests: IpvsOp[] = [];
  const delServices: IpvsOp[] = [];
  const editServices: IpvsOp[] = [];
  const addServices: IpvsOp[] = [];
  const destOps: IpvsOp[] = [];

  for (const [k, e] of have) {
    if (!want.has(k) && owned.has(k)) delServices.push({ op: 'deleteService', key: e.service.key });
  }
  for (const [k, w] of want) {
    const h = have.get(k);
    if (!h) {
      addServices.push({ op: 'addService', service: w.service });
      for (const d of w.dests) destOps.push({ op: 'addDest', key: w.service.key, dest: d });
      continue;
    }
    if (!sameService(h.service, w.service)) editServices.push({ op: 'editService', service: w.service });
    const hd = new Map(h.dests.map((d) => [destKeyText(d), d]));
    const wd = new Set(w.dests.map((d) => destKeyText(d)));
    for (const [dk, d] of hd) {
      if (!wd.has(dk)) delDests.push({ op: 'deleteDest', key: w.service.key, dest: { family: d.family, address: d.address, port: d.port } });
    }
    for (const d of w.dests) {
      const cur = hd.get(destKeyText(d));
      if (!cur) destOps.push({ op: 'addDest', key: w.service.key, dest: d });
      else if (!sameDest(cur, d)) destOps.push({ op: 'editDest', key: w.service.key, dest: d });
    }
  }
  return [...delDests, ...delServices, ...editServices, ...addServices, ...destOps];
}

export function sameService(x: IpvsService, y: IpvsService): boolean {
  // Both in the one spelling the kernel reads back (default netmask, PERSISTENT exactly when a
  // timeout is set, no empty pe), so a desired entry written another way is not edited every pass.
  const a = canonicalIpvsService(x);
  const b = canonicalIpvsService(y);
  const mask = ~IPVS_SVC_FLAG.HASHED;
  return a.scheduler === b.scheduler && (a.flags & mask) === (b.flags & mask) && a.timeout === b.timeout && a.netmask === b.netmask && (a.pe ?? '') === (b.pe ?? '');
}

export function sameDest(a: IpvsDest, b: IpvsDest): boolean {
  const tunnel = a.forward === 'tunnel' || b.forward === 'tunnel';
  return (
    a.family === b.family &&
    a.forward === b.forward &&
    a.weight === b.weight &&
    a.upperThreshold === b.upperThreshold &&
    a.lowerThreshold === b.lowerThreshold &&
    (!tunnel || ((a.tunnelType ?? 'ipip') === (b.tunnelType ?? 'ipip') && (a.tunnelPort ?? 0) === (b.tunnelPort ?? 0) && (a.tunnelFlags ?? 0) === (b.tunnelFlags ?? 0)))
  );
}
