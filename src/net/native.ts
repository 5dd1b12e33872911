// Typed loader of the project's N-API addon (native/, built by scripts/build-native.mjs into
// build/Release/keepalived_ts_native.node). The addon is thin: syscalls and uv_poll
// registration. Everything here is a typed view of it; behaviour lives in the callers.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Socket kinds as the addon numbers them (native/socket.h `Kind`). */
export interface NativeKinds {
  readonly raw4: 0;
  readonly raw6: 1;
  readonly packet: 2;
  readonly icmp6: 3;
  readonly netlink: 4;
}

/** What recvmsg reported with one datagram. Fields depend on the socket kind. */
export interface NativeRecvMeta {
  /** raw4/raw6: source address (text). */
  readonly src?: string;
  /** raw4 (IP_PKTINFO) / raw6 (IPV6_PKTINFO): destination address of the datagram. */
  readonly dst?: string;
  /** raw4/raw6: interface the datagram arrived on. */
  readonly ifindex?: number;
  /** raw4: TTL (IP_RECVTTL); raw6: hop limit (IPV6_RECVHOPLIMIT). */
  readonly ttl?: number;
  /** raw6: scope id of the source (link-local senders). */
  readonly scopeId?: number;
  /** packet: sll_pkttype (0 to us, 1 broadcast, 2 multicast, 3 other host, 4 our own outgoing). */
  readonly pktType?: number;
  /** netlink: sender port id (0 = the kernel). */
  readonly pid?: number;
  /** netlink: multicast groups bitmask the message was sent to (0 = unicast reply). */
  readonly groups?: number;
  /** The datagram was larger than the receive buffer and was cut. */
  readonly truncated?: boolean;
}

/** A receive error as the addon reports it (the socket stays open). */
export interface NativeRecvError {
  readonly code: string;
  readonly errno: number;
  /** Netlink ENOBUFS: the kernel dropped messages because the receive queue was full. */
  readonly overflow: boolean;
}

export type NativeCallback = (data: Buffer | null, meta: NativeRecvMeta | NativeRecvError) => void;

export interface Raw4Options {
  /** IP protocol: 112 VRRP (default) or 51 AH. */
  protocol?: number;
  /** Send datagrams whose IPv4 header the caller built (default true). */
  hdrincl?: boolean;
  /** SO_BINDTODEVICE. */
  device?: string;
  /** bind(): the socket then only receives datagrams addressed to it (unicast). */
  bindAddress?: string;
  multicastLoop?: boolean;
  /** IP_MULTICAST_ALL (default false: only groups this socket joined are delivered). */
  multicastAll?: boolean;
  multicastIfindex?: number;
  recvBuffer?: number;
}

export interface Raw6Options {
  protocol?: number;
  /** IPV6_CHECKSUM offset; default 6 (VRRP), -1 leaves it off. */
  checksumOffset?: number;
  device?: string;
  bindAddress?: string;
  /** Scope of a link-local bindAddress (default multicastIfindex). */
  scopeId?: number;
  multicastHops?: number;
  unicastHops?: number;
  multicastLoop?: boolean;
  /** IPV6_MULTICAST_ALL (default false). */
  multicastAll?: boolean;
  multicastIfindex?: number;
  recvBuffer?: number;
}

export interface Icmp6Options {
  device?: string;
  multicastHops?: number;
  unicastHops?: number;
  multicastIfindex?: number;
  /** ICMPv6 types to receive (ICMP6_FILTER); without it the socket is send-only. */
  receiveTypes?: number[];
}

export interface PacketOptions {
  /** EtherType to receive (e.g. 0x0806 for ARP); without it the socket is send-only. */
  receiveEthertype?: number;
  /** Interface to receive on (0 or absent: every interface). */
  ifindex?: number;
}

export interface NetlinkOptions {
  /** Netlink family, default NETLINK_ROUTE (0). */
  protocol?: number;
  /** Legacy multicast group bitmask for bind() (RTMGRP_*). */
  groups?: number;
  /** Receive buffer in bytes (SO_RCVBUFFORCE, falling back to SO_RCVBUF). */
  recvBuffer?: number;
}

export interface Send6Options {
  ifindex?: number;
  /** Source address (IPV6_PKTINFO). */
  src?: string;
  hopLimit?: number;
}

export interface NativeSocket {
  /** Starts delivering datagrams to `cb` (uv_poll); keeps the loop alive unless unref()'d. */
  start(cb: NativeCallback): void;
  stop(): void;
  /** Idempotent; the socket no longer holds the event loop afterwards. */
  close(): void;
  ref(): void;
  unref(): void;
  send(data: Uint8Array, ...rest: unknown[]): number;
  addMembership(group: string | number, ifindex?: number): void;
  dropMembership(group: string | number, ifindex?: number): void;
  setRecvBuffer(bytes: number, force?: boolean): void;
  getRecvBuffer(): number;
  readonly fd: number;
  localPort(): number;
}

interface NativeSocketCtor {
  new (kind: number, options?: object): NativeSocket;
}

/** A one-shot CLOCK_MONOTONIC timerfd polled by the event loop (native/timer.h). */
export interface NativeTimer {
  /** Fires the callback once, delayMs (fractional) from now; replaces an earlier arm. */
  arm(delayMs: number): void;
  disarm(): void;
  close(): void;
  /** An armed timer no longer keeps the event loop alive. */
  unref(): void;
}

interface NativeTimerCtor {
  new (callback: () => void): NativeTimer;
}

/** A signal delivered through the event loop (native/signal-watch.h), any number Node cannot name. */
export interface NativeSignalWatch {
  /** Stops watching; the signal's handler stays libuv's (it is not reset to the default). */
  close(): void;
}

interface NativeSignalWatchCtor {
  new (signum: number, callback: (signum: number) => void): NativeSignalWatch;
}

/** Non-blocking TCP connects answered by SO_ERROR (native/connect-probe.h), for TCP_CHECK. */
export interface NativeConnectProber {
  /** -1: in progress (the callback answers); otherwise the errno the connect finished with (0 = connected). Throws on a bind failure. */
  connect(id: number, host: string, port: number, bindHost?: string, bindPort?: number): number;
  /** Closes the probe's socket; its callback is not called. */
  cancel(id: number): void;
  close(): void;
  inFlight(): number;
}

interface NativeConnectProberCtor {
  new (callback: (id: number, errno: number) => void): NativeConnectProber;
}

export interface NativeAddon {
  readonly Socket: NativeSocketCtor;
  /** Absent in builds older than the connect prober (rebuild the addon). */
  readonly ConnectProber?: NativeConnectProberCtor;
  readonly Timer: NativeTimerCtor;
  /** Absent in builds older than the signal watcher (rebuild the addon). */
  readonly SignalWatch?: NativeSignalWatchCtor;
  readonly kinds: NativeKinds;
  readonly abiVersion: number;
  ifNameToIndex(name: string): number;
  /** Unix datagram client (syslog, sd_notify): fd, or -errno. Absent in older builds. */
  unixDgramOpen?(path: string): number;
  /** 0, or -errno (-11 EAGAIN when the receiver's queue is full). */
  unixDgramSend?(fd: number, data: Buffer): number;
  unixDgramClose?(fd: number): void;
  /** Absent in builds older than TCP_CHECK fwmark / bind_if (rebuild the addon). */
  readonly tcpSocket?: (family: 4 | 6, mark: number, device: string) => number;
}

/** The error every failing syscall throws. */
export interface NativeError extends Error {
  readonly code: string;
  readonly errno?: number;
  readonly syscall?: string;
}

export function isNativeError(e: unknown): e is NativeError {
  return e instanceof Error && typeof (e as { code?: unknown }).code === 'string';
}

export const ADDON_FILE = 'keepalived_ts_native.node';
const EXPECTED_ABI = 3;

/** Finds the built addon: $KEEPALIVED_TS_NATIVE, else build/Release under the package root. */
export function findAddon(): string {
  const override = process.env.KEEPALIVED_TS_NATIVE;
  if (override) return override;
  // src/net/native.ts (tsx) and dist/src/net/native.js (compiled) sit at different depths:
  // walk up to the first directory that holds the build output.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'build', 'Release', ADDON_FILE);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  const err = new Error(`native addon ${ADDON_FILE} not found; run: node scripts/build-native.mjs`) as NativeError & {
    code: string;
  };
  (err as { code: string }).code = 'ERR_NATIVE_MISSING';
  throw err;
}

let cached: NativeAddon | undefined;

/** Loads the addon once per JS environment (each worker thread loads its own). */
export function loadNative(): NativeAddon {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const addon = require(findAddon()) as NativeAddon;
  if (addon.abiVersion !== EXPECTED_ABI) {
    throw new Error(`native addon ABI ${addon.abiVersion}, expected ${EXPECTED_ABI}: rebuild it (node scripts/build-native.mjs)`);
  }
  cached = addon;
  return addon;
}

/** Whether the addon is built and loads here; the reason otherwise (for test prerequisites). */
export function nativeUnavailable(): string | undefined {
  try {
    loadNative();
    return undefined;
  } catch (e) {
    return `native addon unavailable: ${(e as Error).message}`;
  }
}

/** The options each socket kind takes. */
export interface SocketOptionsByKind {
  readonly raw4: Raw4Options;
  readonly raw6: Raw6Options;
  readonly icmp6: Icmp6Options;
  readonly packet: PacketOptions;
  readonly netlink: NetlinkOptions;
}

/** Opens a socket of `kind` (raw IPv4/IPv6, ICMPv6, packet or netlink) with that kind's options. */
export function openSocket<K extends keyof SocketOptionsByKind>(kind: K, opts: SocketOptionsByKind[K]): NativeSocket {
  const a = loadNative();
  return new a.Socket(a.kinds[kind], opts);
}

export function ifNameToIndex(name: string): number {
  return loadNative().ifNameToIndex(name);
}

/**
 * A non-blocking, unconnected TCP socket's descriptor with SO_MARK (`mark`) and/or
 * SO_BINDTODEVICE (`device`) already set, for `new net.Socket({ fd })` to connect. Throws a
 * NativeError (EPERM without CAP_NET_ADMIN/CAP_NET_RAW, ENODEV for an unknown device).
 */
export function openTcpSocketFd(family: 4 | 6, opts: { mark?: number; device?: string }): number {
  const a = loadNative();
  if (!a.tcpSocket) throw new Error('the native addon predates tcpSocket: rebuild it (npm run build:native)');
  return a.tcpSocket(family, opts.mark ?? -1, opts.device ?? '');
}
