// The typed keepalived configuration produced by build-model.ts from a ConfigTree. Field names
// are the keepalived keywords in camelCase (DESIGN.md style 11) so the man page can be grepped:
// `advert_int` -> `advertInt`. Times carry their unit in the type (src/lib/units.ts). Defaults
// are keepalived 2.2.7's (reference/keepalived-behaviour.md section 2), already applied.
// Keywords that are recognised but not acted on are kept verbatim in `other`.
import type { SourceLoc } from '../lib/diagnostics.js';
import type { Centiseconds, Ms, Seconds } from '../lib/units.js';
import type { IpAddr, IpFamily, IpPrefix } from './values.js';

/** Recognised keywords this project does not interpret yet: keyword -> each occurrence's args. */
export type OtherKeywords = Record<string, string[][]>;

/** A script command from a quoted keyword (notify*, script, misc_path, quorum_up ...). */
export interface ScriptSpec {
  /** The command string as keepalived sees it after quote processing. */
  readonly cmd: string;
  /** `cmd` split into argv with keepalived's shell-like escapes. */
  readonly argv: readonly string[];
  readonly user?: string;
  readonly group?: string;
  readonly loc: SourceLoc;
}

// ------------------------------------------------------------------------------ global_defs

export interface GlobalDefs {
  routerId?: string;
  notificationEmail: string[];
  notificationEmailFrom?: string;
  smtpServer?: { host: string; port: number };
  smtpHeloName?: string;
  /** Default 30 s. */
  smtpConnectTimeout: Seconds;
  smtpAlert?: boolean;
  smtpAlertVrrp?: boolean;
  smtpAlertChecker?: boolean;
  noEmailFaults: boolean;
  noCheckerEmails: boolean;
  checkerLogAllFailures: boolean;
  scriptUser?: { user: string; group?: string };
  enableScriptSecurity: boolean;
  vrrpMcastGroup4: string;
  vrrpMcastGroup6: string;
  vrrpVersion: 2 | 3;
  vrrpGarpMasterDelay: Ms;
  vrrpGarpMasterRepeat: number;
  /** checker_priority: nice value of the checker process (-20..19); unset = our default (10). */
  checkerPriority?: number;
  vrrpGarpMasterRefresh: Ms;
  vrrpGarpMasterRefreshRepeat: number;
  vrrpGarpLowerPrioDelay?: Ms;
  vrrpGarpLowerPrioRepeat?: number;
  vrrpGarpInterval: Ms;
  vrrpGnaInterval: Ms;
  vrrpMinGarp: boolean;
  vrrpGarpExtraIf?: { all: boolean; interval: Ms };
  vrrpDownTimerAdverts: number;
  vrrpLowerPrioNoAdvert?: boolean;
  vrrpHigherPrioSendAdvert?: boolean;
  vrrpCheckUnicastSrc: boolean;
  vrrpSkipCheckAdvAddr: boolean;
  vrrpStrict: boolean;
  /** `nftables [TABLE]`: the table no_accept's drop rules go in (keepalived's default "keepalived"). */
  nftables?: string;
  /** `nftables_priority`: the base chains' hook priority (default -1). */
  nftablesPriority: number;
  /** `nftables_ifindex`: link-local VIPs keyed by interface index, never by name. */
  nftablesIfindex: boolean;
  /** `nftables_counters`: a counter on every rule. */
  nftablesCounters: boolean;
  vrrpNotifyPriorityChanges: boolean;
  vrrpStartupDelay: Ms;
  notifyFifo?: FifoSpec;
  vrrpNotifyFifo?: FifoSpec;
  lvsNotifyFifo?: FifoSpec;
  fifoWriteVrrpStatesOnReload: boolean;
  /** lvs_sync_daemon: the kernel's IPVS connection-sync daemon on `interface`, following `vrrpInstance` (master/backup) or, without one, both states at once. */
  lvsSyncDaemon?: { interface: string; vrrpInstance?: string; syncId?: number; maxLen?: number; port?: number; ttl?: number; group?: string };
  lvsTimeouts?: { tcp?: Seconds; tcpfin?: Seconds; udp?: Seconds };
  lvsFlush: boolean;
  lvsFlushOnStop?: 'all' | 'vs';
  defaultInterface?: string;
  dynamicInterfaces?: { allowIfChanges: boolean };
  startupScript?: ScriptSpec;
  startupScriptTimeout: Seconds;
  shutdownScript?: ScriptSpec;
  shutdownScriptTimeout: Seconds;
  reloadCheckConfig?: { logFile?: string };
  logUnknownVrids: boolean;
  rsInitNotifies: boolean;
  other: OtherKeywords;
}

export interface FifoSpec {
  readonly path: string;
  readonly user?: string;
  readonly group?: string;
  script?: ScriptSpec;
}

// ------------------------------------------------------------------------------ trackers

export interface VrrpScript {
  readonly name: string;
  readonly loc: SourceLoc;
  script?: ScriptSpec;
  /** Default 1 s; 0 becomes 1 s. */
  interval: Ms;
  /** Default = interval. */
  timeout: Ms;
  /** -253..253, default 0 (0 = FAULT on failure). */
  weight: number;
  weightReverse: boolean;
  rise: number;
  fall: number;
  user?: { user: string; group?: string };
  initFail: boolean;
}

export interface TrackFile {
  readonly name: string;
  readonly loc: SourceLoc;
  file?: string;
  /** Default 1; -254..254. */
  weight: number;
  weightReverse: boolean;
  initFile?: { value: number; overwrite: boolean };
}

export interface VrrpTrackProcess {
  readonly name: string;
  readonly loc: SourceLoc;
  process?: string[];
  paramMatch?: 'initial' | 'partial';
  weight: number;
  weightReverse: boolean;
  quorum: number;
  quorumMax?: number;
  delay?: Ms;
  forkDelay?: Ms;
  terminateDelay?: Ms;
  fullCommand: boolean;
}

/** One entry of a `track_script { NAME [weight W [reverse|noreverse]] }` style list. */
export interface TrackRef {
  readonly name: string;
  /** Undefined: use the tracked object's own weight. */
  readonly weight?: number;
  readonly reverse: boolean;
  readonly loc: SourceLoc;
}

// ------------------------------------------------------------------------------ VRRP

/** rt_scope as iproute2 names it (`/etc/iproute2/rt_scopes` defaults), or a number 0..255. */
export type RtScope = 'global' | 'site' | 'link' | 'host' | 'nowhere' | number;

/**
 * One `virtual_ipaddress` / `virtual_ipaddress_excluded` / `static_ipaddress` line, parsed:
 * `ADDR[/LEN] [dev IF] [scope S] [brd X|+|-] [label L] [peer P[/LEN]] [home] [-nodad]
 * [mngtmpaddr] [noprefixroute] [autojoin] [no_track] [preferred_lft N|forever] [use_vmac]
 * [track_group G]` (keepalived vrrp_ipaddress.c alloc_ipaddress).
 */
export interface VipEntry {
  /** With a peer, the prefix length is the peer's (keepalived). */
  readonly ip: IpPrefix;
  readonly dev?: string;
  /** IPv4 broadcast: an address, or `+` / `-` (host bits set / clear); never with a peer. */
  readonly brd?: string;
  /** IPv4 only (keepalived ignores it on IPv6 with a warning). */
  readonly scope?: RtScope;
  /** IPv4 only, at most 15 characters. */
  readonly label?: string;
  /** Point-to-point peer (a bare address: keepalived takes no prefix on it). */
  readonly peer?: IpAddr;
  readonly noTrack: boolean;
  /** `-nodad`: IPv6 duplicate address detection is done (keepalived's default is IFA_F_NODAD). */
  readonly dad: boolean;
  readonly home: boolean;
  readonly mngtmpaddr: boolean;
  readonly noPrefixRoute: boolean;
  readonly autojoin: boolean;
  /** Seconds, or `forever`; IPv6 default (keepalived): 0 for a /128, else forever. */
  readonly preferredLft?: number | 'forever';
  /** virtual_ipaddress only: the address goes on the instance's VMAC interface. */
  readonly useVmac: boolean;
  /** static_ipaddress only. */
  readonly trackGroup?: string;
  readonly loc: SourceLoc;
}

/** Route types keepalived accepts (`ip route` names; `brd` is `broadcast`). */
export type RouteTypeName = 'unicast' | 'local' | 'broadcast' | 'anycast' | 'multicast' | 'blackhole' | 'unreachable' | 'prohibit' | 'throw' | 'nat' | 'xresolve';

/**
 * One `virtual_routes` / `static_routes` line, parsed (keepalived vrrp_iproute.c alloc_route).
 * Options keepalived accepts that this daemon does not apply are listed in `unsupported`.
 */
export interface RouteEntry {
  readonly family: IpFamily;
  /** `default` (also written `any` / `all`). */
  readonly dst: IpPrefix | 'default';
  readonly type?: RouteTypeName;
  readonly src?: IpAddr;
  readonly via?: IpAddr;
  readonly dev?: string;
  readonly metric?: number;
  /** Routing table id; keepalived's default is main (254). */
  readonly table?: number;
  readonly scope?: RtScope;
  /** rtm_protocol, 0..255. */
  readonly protocol?: number;
  /** TOS / dsfield, 0..255. */
  readonly tos?: number;
  readonly onlink: boolean;
  readonly noTrack: boolean;
  /** static_routes only. */
  readonly trackGroup?: string;
  /** keepalived options on the line that this daemon does not carry out (mtu, nexthop ...). */
  readonly unsupported: readonly string[];
  readonly loc: SourceLoc;
}

/** Rule actions besides `table` (keepalived vrrp_iprule.c). */
export type RuleAction = 'blackhole' | 'unreachable' | 'prohibit' | 'nop' | 'goto' | 'l3mdev';

/** One `virtual_rules` / `static_rules` line, parsed (keepalived vrrp_iprule.c alloc_rule). */
export interface RuleEntry {
  readonly family: IpFamily;
  readonly from?: IpPrefix | 'all';
  readonly to?: IpPrefix | 'all';
  readonly not: boolean;
  /** Written or, as keepalived does, numbered from 16384 down in file order. */
  readonly preference: number;
  readonly preferenceWritten: boolean;
  readonly table?: number;
  readonly action?: RuleAction;
  readonly gotoTarget?: number;
  readonly tos?: number;
  readonly fwmark?: { readonly value: number; readonly mask?: number };
  readonly iif?: string;
  readonly oif?: string;
  readonly noTrack: boolean;
  /** static_rules only. */
  readonly trackGroup?: string;
  /** keepalived options on the line that this daemon does not carry out. */
  readonly unsupported: readonly string[];
  readonly loc: SourceLoc;
}

export interface UnicastPeer {
  readonly ip: IpAddr;
  readonly minTtl?: number;
  readonly maxTtl?: number;
  readonly loc: SourceLoc;
}

export type VrrpState = 'MASTER' | 'BACKUP';

export interface VrrpInstance {
  readonly name: string;
  readonly loc: SourceLoc;
  /** Initial wish; default from priority (255 -> MASTER). */
  state: VrrpState;
  interface?: string;
  /** 1..255; undefined is a config error (instance dropped). */
  virtualRouterId?: number;
  /** 1..255; 100, or 255 with `state MASTER` and no priority. */
  priority: number;
  /** Default 100 cs (1 s). */
  advertInt: Centiseconds;
  nopreempt: boolean;
  preemptDelay: Ms;
  authentication?: { authType: 'PASS' | 'AH'; authPass?: string };
  virtualIpaddress: VipEntry[];
  virtualIpaddressExcluded: VipEntry[];
  virtualRoutes: RouteEntry[];
  virtualRules: RuleEntry[];
  promoteSecondaries: boolean;
  unicastSrcIp?: IpAddr;
  mcastSrcIp?: IpAddr;
  unicastPeer: UnicastPeer[];
  /** True when a unicast_peer block or unicast_src_ip was written. */
  unicast: boolean;
  unicastFaultNoPeer: boolean;
  unicastTtl?: number;
  checkUnicastSrc: boolean;
  mcastDstIp?: IpAddr;
  trackSrcIp: boolean;
  /** 2 or 3; IPv6 instances are forced to 3. */
  version: 2 | 3;
  /** Address family of the VIPs (inet when there are none). */
  family: IpFamily;
  oldUnicastChecksum?: 'auto' | 'never' | 'always';
  trackInterface: TrackRef[];
  trackScript: TrackRef[];
  trackFile: TrackRef[];
  trackProcess: TrackRef[];
  trackBfd: TrackRef[];
  dontTrackPrimary: boolean;
  notifyMaster?: ScriptSpec;
  notifyBackup?: ScriptSpec;
  notifyFault?: ScriptSpec;
  notifyStop?: ScriptSpec;
  notifyDeleted?: ScriptSpec;
  notifyMasterRxLowerPri?: ScriptSpec;
  notify?: ScriptSpec;
  notifyPriorityChanges: boolean;
  smtpAlert?: boolean;
  garpMasterDelay: Ms;
  garpMasterRepeat: number;
  garpMasterRefresh: Ms;
  garpMasterRefreshRepeat: number;
  garpLowerPrioDelay: Ms;
  garpLowerPrioRepeat: number;
  downTimerAdverts: number;
  lowerPrioNoAdvert: boolean;
  higherPrioSendAdvert: boolean;
  accept: boolean;
  /** use_vmac [NAME] [MAC]: `mac` lower-case, five octets when the VRID is to be the sixth. */
  useVmac?: { name?: string; mac?: string; options: string[] };
  /** use_ipvlan [NAME] [ADDR[/LEN]] [bridge|private|vepa] an L2 ipvlan made by VmacSet.bringUpIpvlan. */
  useIpvlan?: { name?: string; address?: IpPrefix; type: 'bridge' | 'private' | 'vepa' };
  vmacXmitBase: boolean;
  strictMode: boolean;
  skipCheckAdvAddr: boolean;
  /** Name of the sync group this instance belongs to, filled by validation. */
  syncGroup?: string;
  other: OtherKeywords;
}

export interface VrrpSyncGroup {
  readonly name: string;
  readonly loc: SourceLoc;
  group: string[];
  trackInterface: TrackRef[];
  trackScript: TrackRef[];
  trackFile: TrackRef[];
  trackProcess: TrackRef[];
  trackBfd: TrackRef[];
  notifyMaster?: ScriptSpec;
  notifyBackup?: ScriptSpec;
  notifyFault?: ScriptSpec;
  notifyStop?: ScriptSpec;
  notify?: ScriptSpec;
  smtpAlert?: boolean;
  notifyPriorityChanges?: boolean;
  syncGroupTrackingWeight: boolean;
  other: OtherKeywords;
}

export interface StaticConfig {
  staticIpaddress: VipEntry[];
  staticRoutes: RouteEntry[];
  staticRules: RuleEntry[];
}

export interface GarpGroup {
  readonly loc: SourceLoc;
  garpInterval?: Ms;
  gnaInterval?: Ms;
  interfaces: string[];
}

// ------------------------------------------------------------------------------ IPVS / checkers

export type LbKind = 'NAT' | 'DR' | 'TUN';
export type Protocol = 'TCP' | 'UDP' | 'SCTP';

export interface VirtualServerGroupEntry {
  readonly kind: 'address' | 'range' | 'fwmark';
  /** First address (address/range); undefined for fwmark. */
  readonly ip?: IpAddr;
  /** Last address of a range (inclusive). */
  readonly last?: IpAddr;
  readonly port?: number;
  readonly fwmark?: number;
  readonly family?: IpFamily;
  readonly loc: SourceLoc;
}

export interface VirtualServerGroup {
  readonly name: string;
  readonly loc: SourceLoc;
  entries: VirtualServerGroupEntry[];
}

export type VsTarget =
  | { readonly kind: 'address'; readonly ip: IpAddr; readonly port: number }
  | { readonly kind: 'fwmark'; readonly fwmark: number; readonly family?: IpFamily }
  | { readonly kind: 'group'; readonly group: string };

/** Timing/retry values written on a VS, RS or checker; unset ones are inherited. */
export interface CheckTiming {
  delayLoop?: Ms;
  connectTimeout?: Ms;
  retry?: number;
  delayBeforeRetry?: Ms;
  warmup?: Ms;
  alpha?: boolean;
}

export interface VirtualServer extends CheckTiming {
  readonly loc: SourceLoc;
  readonly target: VsTarget;
  /** Scheduler; default 'wlc' (with keepalived's warning). */
  lbAlgo: string;
  lbKind: LbKind;
  tunnel?: string[];
  /** Default UDP when omitted for an address VS (keepalived warns). */
  protocol: Protocol;
  /** 0 = not persistent; bare keyword = 360 s. */
  persistenceTimeout: Seconds;
  persistenceGranularity?: string;
  persistenceEngine?: string;
  inhibitOnFailure: boolean;
  omega: boolean;
  quorum: number;
  hysteresis: number;
  quorumUp?: ScriptSpec;
  quorumDown?: ScriptSpec;
  sorryServer?: { ip: IpAddr; port?: number; loc: SourceLoc };
  sorryServerInhibit: boolean;
  sorryServerLvsMethod?: LbKind;
  /** Default weight of real servers (1). */
  weight: number;
  haSuspend: boolean;
  ipFamily?: IpFamily;
  smtpAlert?: boolean;
  virtualhost?: string;
  snmpName?: string;
  ops: boolean;
  /** IPVS scheduler flags (flag-1..3, sh-port, sh-fallback, mh-port, mh-fallback). */
  schedFlags: string[];
  realServers: RealServer[];
  other: OtherKeywords;
}

export interface RealServer extends CheckTiming {
  readonly loc: SourceLoc;
  readonly ip: IpAddr;
  port?: number;
  weight: number;
  lvsMethod?: LbKind;
  /** `lvs_method TUN ...` arguments after TUN, when the real server names its own method. */
  tunnel?: string[];
  notifyUp?: ScriptSpec;
  notifyDown?: ScriptSpec;
  uthreshold: number;
  lthreshold: number;
  inhibitOnFailure?: boolean;
  /** Default true unless a global smtp_alert setting says otherwise. */
  smtpAlert?: boolean;
  virtualhost?: string;
  snmpName?: string;
  checkers: Checker[];
  other: OtherKeywords;
}

export type CheckerKind =
  | 'TCP_CHECK'
  | 'HTTP_GET'
  | 'SSL_GET'
  | 'SMTP_CHECK'
  | 'DNS_CHECK'
  | 'MISC_CHECK'
  | 'UDP_CHECK'
  | 'PING_CHECK'
  | 'FILE_CHECK'
  | 'BFD_CHECK';

export interface ConnectOptions {
  connectIp?: IpAddr;
  connectPort?: number;
  bindto?: IpAddr;
  bindPort?: number;
  bindIf?: string;
  fwmark?: number;
}

/** Effective values after inheritance checker -> real server -> virtual server -> default. */
export interface ResolvedTiming {
  delayLoop: Ms;
  connectTimeout: Ms;
  retry: number;
  delayBeforeRetry: Ms;
  warmup: Ms;
  alpha: boolean;
}

export interface HttpUrl {
  readonly loc: SourceLoc;
  path?: string;
  digest?: string;
  /** Inclusive ranges; default [[200, 299]]. */
  statusCode: [number, number][];
  virtualhost?: string;
  regex?: string;
  regexNoMatch: boolean;
  regexOptions: string[];
  regexStack?: number;
  regexMinOffset?: number;
  regexMaxOffset?: number;
}

interface CheckerBase extends ConnectOptions {
  readonly loc: SourceLoc;
  /** Values written in the checker block itself. */
  written: CheckTiming;
  /** Effective values (filled by build-model). */
  timing: ResolvedTiming;
  logAllFailures: boolean;
  other: OtherKeywords;
}

export interface TcpCheck extends CheckerBase {
  readonly kind: 'TCP_CHECK' | 'PING_CHECK';
}
export interface HttpCheck extends CheckerBase {
  readonly kind: 'HTTP_GET' | 'SSL_GET';
  url: HttpUrl[];
  httpProtocol: '1.0' | '1.0C' | '1.1';
  virtualhost?: string;
  fastRecovery: boolean;
  enableSni: boolean;
}
export interface SmtpCheck extends CheckerBase {
  readonly kind: 'SMTP_CHECK';
  heloName: string;
  /** Legacy `host { connect_ip ... }` blocks. */
  host: (ConnectOptions & { loc: SourceLoc; written: CheckTiming })[];
}
export interface DnsCheck extends CheckerBase {
  readonly kind: 'DNS_CHECK';
  type: 'A' | 'NS' | 'CNAME' | 'SOA' | 'MX' | 'TXT' | 'AAAA';
  name: string;
}
export interface MiscCheck extends CheckerBase {
  readonly kind: 'MISC_CHECK';
  miscPath?: ScriptSpec;
  /** Default (and for 0) = the virtual server's delay_loop (resolved). */
  miscTimeout?: Ms;
  miscDynamic: boolean;
  user?: { user: string; group?: string };
}
export interface UdpCheck extends CheckerBase {
  readonly kind: 'UDP_CHECK';
  payload?: string;
  requireReply?: string;
  minReplyLength: number;
  maxReplyLength: number;
}
export interface FileCheck extends CheckerBase {
  readonly kind: 'FILE_CHECK';
  trackFile?: string;
  weight?: number;
  weightReverse: boolean;
}
export interface BfdCheck extends CheckerBase {
  readonly kind: 'BFD_CHECK';
  name?: string;
}

export type Checker = TcpCheck | HttpCheck | SmtpCheck | DnsCheck | MiscCheck | UdpCheck | FileCheck | BfdCheck;

export interface SslConfig {
  password?: string;
  ca?: string;
  certificate?: string;
  key?: string;
}

export interface BfdInstance {
  readonly name: string;
  readonly loc: SourceLoc;
  neighborIp?: IpAddr;
  sourceIp?: IpAddr;
  other: OtherKeywords;
}

// ------------------------------------------------------------------------------ whole config

export interface KeepalivedConfig {
  globalDefs: GlobalDefs;
  netNamespace?: string;
  netNamespaceIpvs?: string;
  instance?: string;
  vrrpScripts: VrrpScript[];
  trackFiles: TrackFile[];
  vrrpTrackProcesses: VrrpTrackProcess[];
  vrrpSyncGroups: VrrpSyncGroup[];
  vrrpInstances: VrrpInstance[];
  staticIpaddress: VipEntry[];
  staticRoutes: RouteEntry[];
  staticRules: RuleEntry[];
  garpGroups: GarpGroup[];
  virtualServerGroups: VirtualServerGroup[];
  virtualServers: VirtualServer[];
  bfdInstances: BfdInstance[];
  ssl?: SslConfig;
  /** Top-level keywords recognised but not interpreted (linkbeat_interfaces, track_group ...). */
  other: OtherKeywords;
}
