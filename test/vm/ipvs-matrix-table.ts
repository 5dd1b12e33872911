// The IPVS table the VM matrix test programs (test/vm/ipvs-matrix.test.ts): every scheduler,
// TCP/UDP/SCTP/fwmark, IPv4/IPv6, NAT/DR/TUN with every tunnel type, thresholds, persistence
// with netmask, one-packet, sh/mh flags, a persistence engine. Then an edit pass and a delete
// pass. Shared by the guest (which applies it) and the host (which computes what to expect).
//
// Addresses: virtual servers in 192.0.2.0/24 and 2001:db8::/64; real servers in 198.51.100.0/24
// and 2001:db8:1::/64, which the guest routes through a dummy interface (DR and TUN dests must be
// reachable or the kernel refuses them).
import {
  IPVS_SVC_FLAG,
  canonicalIpvsDest,
  canonicalIpvsService,
  serviceKeyText,
  destKeyText,
  type IpvsDest,
  type IpvsEntry,
  type IpvsOp,
  type IpvsService,
  type IpvsServiceKey,
  type IpvsTunnelType,
} from '../../src/kernel/ipvs.js';

export const SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh'] as const;

/** Two services per scheduler: one IPv4, one IPv6, the kinds rotating. */
function services(): IpvsService[] {
  const out: IpvsService[] = [];
  const kinds = ['tcp', 'udp', 'sctp', 'fwmark'] as const;
  let n = 0;
  for (const sched of SCHEDULERS) {
    for (const family of ['inet', 'inet6'] as const) {
      const kind = kinds[n % kinds.length];
      const host = 10 + n;
      const key: IpvsServiceKey =
        kind === 'fwmark'
          ? { kind: 'fwmark', family, fwmark: 100 + n }
          : { kind: 'addr', family, protocol: kind, address: family === 'inet' ? `192.0.2.${host}` : `2001:db8::${host.toString(16)}`, port: 1000 + n };
      let flags = 0;
      if (sched === 'sh' || sched === 'mh') flags |= n % 2 === 0 ? IPVS_SVC_FLAG.SCHED1 | IPVS_SVC_FLAG.SCHED2 : IPVS_SVC_FLAG.SCHED2;
      if (kind === 'udp' && n % 3 === 1) flags |= IPVS_SVC_FLAG.ONEPACKET;
      const persistent = n % 3 === 0;
      const timeout = persistent ? 300 + n : 0;
      const netmask = family === 'inet' ? (persistent ? '255.255.255.0' : '255.255.255.255') : persistent ? '64' : '128';
      out.push(canonicalIpvsService({ key, scheduler: sched, flags, timeout, netmask }));
      n++;
    }
  }
  // A SIP persistence engine on a persistent UDP service.
  out.push(
    canonicalIpvsService({
      key: { kind: 'addr', family: 'inet', protocol: 'udp', address: '192.0.2.200', port: 5060 },
      scheduler: 'rr',
      flags: 0,
      timeout: 60,
      netmask: '255.255.255.255',
      pe: 'sip',
    }),
  );
  return out;
}

const TUNNELS: readonly { type: IpvsTunnelType; port: number; flags: number }[] = [
  { type: 'ipip', port: 0, flags: 0 },
  { type: 'gue', port: 6080, flags: 1 },
  { type: 'gre', port: 0, flags: 1 },
  { type: 'gue', port: 6081, flags: 2 },
  { type: 'gre', port: 0, flags: 0 },
];

/** Three dests per service: NAT with thresholds, DR, TUN (tunnel types rotating). */
function destsFor(s: IpvsService, n: number): IpvsDest[] {
  const family = s.key.family;
  const port = s.key.kind === 'addr' ? s.key.port : 0;
  const addr = (i: number): string => (family === 'inet' ? `198.51.100.${3 * n + i + 2}` : `2001:db8:1::${(3 * n + i + 2).toString(16)}`);
  const t = TUNNELS[n % TUNNELS.length];
  return [
    canonicalIpvsDest({ family, address: addr(0), port: port === 0 ? 8080 : port + 7000, forward: 'masq', weight: 1 + (n % 5), upperThreshold: 1000 + n, lowerThreshold: 10 + n }),
    canonicalIpvsDest({ family, address: addr(1), port, forward: 'route', weight: 0, upperThreshold: 0, lowerThreshold: 0 }),
    canonicalIpvsDest({ family, address: addr(2), port, forward: 'tunnel', weight: 3, upperThreshold: 0, lowerThreshold: 0, tunnelType: t.type, tunnelPort: t.port, tunnelFlags: t.flags }),
  ];
}

export function initialTable(): IpvsEntry[] {
  return services().map((service, n) => ({ service, dests: destsFor(service, n) }));
}

export function createOps(table: readonly IpvsEntry[]): IpvsOp[] {
  const ops: IpvsOp[] = [];
  for (const e of table) {
    ops.push({ op: 'addService', service: e.service });
    for (const dest of e.dests) ops.push({ op: 'addDest', key: e.service.key, dest });
  }
  return ops;
}

/**
 * The edit pass: every third service gets another scheduler and persistence toggled, every
 * service's NAT dest a new weight and thresholds, the DR dest of every other service becomes
 * TUN/gue, every fourth service loses its TUN dest, and every fifth service is deleted.
 */
export function editPass(table: readonly IpvsEntry[]): { ops: IpvsOp[]; after: IpvsEntry[] } {
  const ops: IpvsOp[] = [];
  const after: IpvsEntry[] = [];
  table.forEach((e, n) => {
    if (n % 5 === 4) {
      ops.push({ op: 'deleteService', key: e.service.key });
      return;
    }
    let service = e.service;
    if (n % 3 === 0) {
      const sched = SCHEDULERS[(SCHEDULERS.indexOf(service.scheduler as (typeof SCHEDULERS)[number]) + 5) % SCHEDULERS.length];
      const persistent = service.timeout === 0;
      const fam = service.key.family;
      service = canonicalIpvsService({
        key: service.key,
        scheduler: sched,
        flags: sched === 'sh' || sched === 'mh' ? IPVS_SVC_FLAG.SCHED1 : 0,
        timeout: persistent ? 1800 : 0,
        netmask: fam === 'inet' ? (persistent ? '255.255.0.0' : '255.255.255.255') : persistent ? '48' : '128',
        ...(service.pe !== undefined ? { pe: service.pe } : {}),
      });
      ops.push({ op: 'editService', service });
    }
    const dests: IpvsDest[] = [];
    e.dests.forEach((d, i) => {
      if (i === 0) {
        const nd = canonicalIpvsDest({ ...d, weight: d.weight + 10, upperThreshold: d.upperThreshold + 1, lowerThreshold: 0 });
        ops.push({ op: 'editDest', key: e.service.key, dest: nd });
        dests.push(nd);
      } else if (i === 1 && n % 2 === 0) {
        const nd = canonicalIpvsDest({ ...d, forward: 'tunnel', tunnelType: 'gue', tunnelPort: 7777, tunnelFlags: 1 });
        ops.push({ op: 'editDest', key: e.service.key, dest: nd });
        dests.push(nd);
      } else if (i === 2 && n % 4 === 3) {
        ops.push({ op: 'deleteDest', key: e.service.key, dest: { family: d.family, address: d.address, port: d.port } });
      } else {
        dests.push(d);
      }
    });
    after.push({ service, dests });
  });
  return { ops, after };
}

export function deleteAllOps(table: readonly IpvsEntry[]): IpvsOp[] {
  return table.map((e) => ({ op: 'deleteService', key: e.service.key }));
}

/** Order-independent comparison form: services by key text, dests by key text. */
export function sortTable(t: readonly IpvsEntry[]): IpvsEntry[] {
  return [...t]
    .map((e) => ({ service: e.service, dests: [...e.dests].sort((a, b) => destKeyText(a).localeCompare(destKeyText(b))) }))
    .sort((a, b) => serviceKeyText(a.service.key).localeCompare(serviceKeyText(b.service.key)));
}
