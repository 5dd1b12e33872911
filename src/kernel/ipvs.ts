// The kernel's IPVS table as one interface (DESIGN.md seam 2, second half). Two implementations:
// a generic netlink one (family "IPVS", linux/ip_vs.h) and a recording one that keeps the table
// in memory and logs every operation, so "a no-op pass issues zero kernel operations" is a test.
//
// Value types are plain, JSON-serialisable objects. Addresses are canonical text (IPv4 dotted
// quad, IPv6 RFC 5952), so entries from either implementation compare with `===`.

import { canonicalIp, LENIENT, type Family } from '../lib/ip.js';

export type IpvsProtocol = 'tcp' | 'udp' | 'sctp';

/** How a service is addressed: address + port + protocol, or a firewall mark. */
export type IpvsServiceKey =
  | { readonly kind: 'addr'; readonly family: Family; readonly protocol: IpvsProtocol; readonly address: string; readonly port: number }
  | { readonly kind: 'fwmark'; readonly family: Family; readonly fwmark: number };

/** linux/ip_vs.h IP_VS_SVC_F_*. */
export const IPVS_SVC_FLAG = {
  PERSISTENT: 0x0001,
  HASHED: 0x0002,
  ONEPACKET: 0x0004,
  SCHED1: 0x0008,
  SCHED2: 0x0010,
  SCHED3: 0x0020,
} as const;

export interface IpvsService {
  readonly key: IpvsServiceKey;
  /** Scheduler name as the kernel knows it: rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh. */
  readonly scheduler: string;
  /** IP_VS_SVC_F_* without HASHED (the kernel sets that one itself). */
  readonly flags: number;
  /** Persistence timeout in seconds; 0 when not persistent. */
  readonly timeout: number;
  /** Persistence granularity: an IPv4 netmask as dotted quad, or an IPv6 prefix length as text. */
  readonly netmask: string;
  /** Persistence engine name (e.g. `sip`), when one is set. */
  readonly pe?: string;
}

export type IpvsForward = 'masq' | 'local' | 'tunnel' | 'route' | 'bypass';

/** IP_VS_TUNNEL_ENCAP_TYPE_*: ipip, gue, gre. */
export type IpvsTunnelType = 'ipip' | 'gue' | 'gre';

export interface IpvsDest {
  readonly family: Family;
  readonly address: string;
  readonly port: number;
  /** NAT = masq, DR = route, TUN = tunnel. */
  readonly forward: IpvsForward;
  readonly weight: number;
  readonly upperThreshold: number;
  readonly lowerThreshold: number;
  readonly tunnelType?: IpvsTunnelType;
  readonly tunnelPort?: number;
  /** IP_VS_TUNNEL_ENCAP_FLAG_*: bit 0 csum, bit 1 remcsum. */
  readonly tunnelFlags?: number;
}

/** One entry of the table as read back: a service and its destinations. */
export interface IpvsEntry {
  readonly service: IpvsService;
  readonly dests: readonly IpvsDest[];
}

export interface IpvsInfo {
  /** IPVS version as major.minor.patch. */
  readonly version: string;
  readonly connTableSize: number;
}

/** Connection timeouts in seconds (ipvsadm --set tcp tcpfin udp); 0 = leave unchanged. */
export interface IpvsTimeouts {
  readonly tcp: number;
  readonly tcpFin: number;
  readonly udp: number;
}

/**
 * The kernel's connection-synchronisation daemon (ipvsadm --start-daemon): one per state, sending
 * (master) or receiving (backup) connection state by multicast on `ifname`.
 */
export interface IpvsSyncDaemon {
  readonly state: 'master' | 'backup';
  readonly ifname: string;
  readonly syncId: number;
  /** UDP payload size (0 or absent: the kernel's default). */
  readonly maxLen?: number;
  /** Multicast group (absent: the kernel's default, 224.0.0.81). */
  readonly group?: string;
  readonly port?: number;
  readonly ttl?: number;
}

/** One change to the table. Reconcile produces these; `apply` runs them in order. */
export type IpvsOp =
  | { readonly op: 'addService'; readonly service: IpvsService }
  | { readonly op: 'editService'; readonly service: IpvsService }
  | { readonly op: 'deleteService'; readonly key: IpvsServiceKey }
  | { readonly op: 'addDest'; readonly key: IpvsServiceKey; readonly dest: IpvsDest }
  | { readonly op: 'editDest'; readonly key: IpvsServiceKey; readonly dest: IpvsDest }
  | { readonly op: 'deleteDest'; readonly key: IpvsServiceKey; readonly dest: Pick<IpvsDest, 'family' | 'address' | 'port'> };

/** The outcome of one op: ok, or the kernel's errno (as KernelError codes: EEXIST, ENOENT, ...). */
export type IpvsOpResult = { readonly ok: true } | { readonly ok: false; readonly code: string; readonly message: string };

export interface IpvsKernel {
  /** Daemon info (IPVS_CMD_GET_INFO). Rejects with a KernelError code ENOENT/EAFNOSUPPORT-like when IPVS is absent. */
  info(): Promise<IpvsInfo>;
  /** The whole table: every service with its destinations (a dump of services, then one of dests per service). */
  dump(): Promise<IpvsEntry[]>;
  /** Runs the ops in order (pipelined where the implementation can); one result per op, never throws for a refused op. */
  apply(ops: readonly IpvsOp[]): Promise<IpvsOpResult[]>;
  getTimeouts(): Promise<IpvsTimeouts>;
  setTimeouts(t: IpvsTimeouts): Promise<void>;
  /** Starts a sync daemon (IPVS_CMD_NEW_DAEMON); rejects (EEXIST) when one of that state runs. */
  startSyncDaemon(d: IpvsSyncDaemon): Promise<void>;
  /** Stops the sync daemon of `state` (IPVS_CMD_DEL_DAEMON); rejects (ESRCH) when none runs. */
  stopSyncDaemon(state: IpvsSyncDaemon['state']): Promise<void>;
  /** The sync daemons running (IPVS_CMD_GET_DAEMON). */
  listSyncDaemons(): Promise<IpvsSyncDaemon[]>;
  close(): void;
}

/** A stable text key for maps: `tcp|inet|192.0.2.1|80` or `fwmark|inet6|7`. */
export function serviceKeyText(k: IpvsServiceKey): string {
  return k.kind === 'addr' ? `${k.protocol}|${k.family}|${k.address}|${k.port}` : `fwmark|${k.family}|${k.fwmark}`;
}

/** A stable text key for a destination within its service: `192.0.2.10|3306`. */
export function destKeyText(d: Pick<IpvsDest, 'address' | 'port'>): string {
  return `${d.address}|${d.port}`;
}

/** IPv4 "host" persistence granularity and its IPv6 equivalent: the kernel's defaults. */
export const IPVS_DEFAULT_NETMASK: Readonly<Record<Family, string>> = { inet: '255.255.255.255', inet6: '128' };

/**
 * The one spelling of a service both implementations read back: canonical address text, flags
 * without HASHED, PERSISTENT set exactly when a timeout is, the family's default netmask when
 * none is given, `pe` only when non-empty. Reconcile compares canonical values.
 */
export function canonicalIpvsService(s: IpvsService): IpvsService {
  const key: IpvsServiceKey =
    s.key.kind === 'addr'
      ? { kind: 'addr', family: s.key.family, protocol: s.key.protocol, address: canonicalIp(s.key.address, LENIENT) ?? s.key.address, port: s.key.port }
      : { kind: 'fwmark', family: s.key.family, fwmark: s.key.fwmark };
  const base = s.flags & ~IPVS_SVC_FLAG.HASHED & ~IPVS_SVC_FLAG.PERSISTENT;
  const netmask = s.netmask === '' ? IPVS_DEFAULT_NETMASK[key.family] : key.family === 'inet' ? (canonicalIp(s.netmask, LENIENT) ?? s.netmask) : s.netmask;
  return {
    key,
    scheduler: s.scheduler,
    flags: (base | (s.timeout > 0 ? IPVS_SVC_FLAG.PERSISTENT : 0)) >>> 0,
    timeout: s.timeout,
    netmask,
    ...(s.pe !== undefined && s.pe !== '' ? { pe: s.pe } : {}),
  };
}

/**
 * The one spelling of a destination: canonical address text; a tunnel dest always carries its
 * tunnel type (default ipip), port and flags (default 0); any other dest carries none of them.
 */
export function canonicalIpvsDest(d: IpvsDest): IpvsDest {
  const base = {
    family: d.family,
    address: canonicalIp(d.address, LENIENT) ?? d.address,
    port: d.port,
    forward: d.forward,
    weight: d.weight,
    upperThreshold: d.upperThreshold,
    lowerThreshold: d.lowerThreshold,
  };
  return d.forward === 'tunnel' ? { ...base, tunnelType: d.tunnelType ?? 'ipip', tunnelPort: d.tunnelPort ?? 0, tunnelFlags: d.tunnelFlags ?? 0 } : base;
}

/** One op as text for log lines and error messages: `addDest tcp|inet|192.0.2.1|80 [192.0.2.10]:80`. */
export function ipvsOpText(op: IpvsOp): string {
  switch (op.op) {
    case 'addService':
    case 'editService':
      return `${op.op} ${serviceKeyText(op.service.key)}`;
    case 'deleteService':
      return `${op.op} ${serviceKeyText(op.key)}`;
    case 'addDest':
    case 'editDest':
    case 'deleteDest':
      return `${op.op} ${serviceKeyText(op.key)} [${op.dest.address}]:${op.dest.port}`;
    default:
      // An op from outside the type (apply() is also handed data from callers it cannot trust).
      return String((op as { op?: unknown }).op);
  }
}
