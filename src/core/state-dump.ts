// The files keepalived writes on its dump signals, under keepalived 2.2.7's names (observed by
// running it): SIGUSR1 -> /tmp/keepalived.data, SIGUSR2 and SIGRTMAX-1 -> /tmp/keepalived.stats,
// SIGRTMIN+2 -> /tmp/keepalived.json; mode 0666 less the umask, keepalived's default umask being
// 0177 (so 0600 without -u; observed: -u 027 gives 0640, -u 0 gives 0666). The text layout is ours; the stats labels
// and the JSON field names follow keepalived's so scripts reading those files keep working.
// Formatting is pure; writeDumpFile is the only I/O.
import { maxPrefix, type IpAddress } from '../lib/ip.js';
import { closeSync, fchmodSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import type { RuntimeInstanceSpec, InstanceStatus } from '../vrrp/runtime/vrrp-runtime.js';
import type { VrrpState } from '../vrrp/fsm/types.js';
import type { VrrpCounters } from './vrrp-stats.js';

export const DUMP_FILES = {
  data: '/tmp/keepalived.data',
  stats: '/tmp/keepalived.stats',
  json: '/tmp/keepalived.json',
} as const;

/** What the dumps show of one instance. */
export interface InstanceView {
  readonly spec: RuntimeInstanceSpec;
  readonly status: InstanceStatus;
  readonly stats: VrrpCounters;
  /** Wall-clock seconds of the last state change, if any. */
  readonly lastTransition?: number;
}

export interface DumpContext {
  readonly pid: number;
  /** Wall time of the dump (ms since the epoch). */
  readonly now: number;
  readonly configFile: string;
  readonly configId: string;
  readonly instances: readonly InstanceView[];
}

/** keepalived's numeric states (vrrp/vrrp.h): INIT 0, BACKUP 1, MASTER 2, FAULT 3, STOP 98. */
const STATE_NUMBER: Readonly<Record<VrrpState, number>> = { INIT: 0, BACKUP: 1, MASTER: 2, FAULT: 3, STOP: 98 };

/** "192.0.2.100/24": the VIP with the prefix it is installed with. */
function withPrefix(spec: RuntimeInstanceSpec, vip: IpAddress): string {
  const a = spec.addresses.get(vip.text);
  const len = a?.prefixLength ?? maxPrefix(vip.family);
  return `${vip.text}/${len}`;
}

export function formatData(c: DumpContext): string {
  const out: string[] = [
    `------< keepalived-ts state, pid ${c.pid}, ${new Date(c.now).toISOString()} >------`,
    ` Configuration file = ${c.configFile}`,
    ` Config id = ${c.configId}`,
    ` VRRP instances = ${c.instances.length}`,
  ];
  for (const v of c.instances) {
    const { cfg } = v.spec;
    const installed = new Set(v.status.vipsInstalled);
    out.push(
      ` VRRP Instance = ${cfg.name}`,
      `   State = ${v.status.state}`,
      `   VRRP Version = ${cfg.version}`,
      `   Family = ${cfg.family}`,
      `   Interface = ${v.spec.ifname}`,
      `   Virtual Router ID = ${cfg.vrid}`,
      `   Priority = ${v.status.priority}`,
      `   Effective priority = ${v.status.effectivePriority}`,
      `   Advert interval = ${cfg.advertInt * 10} ms`,
      `   Preempt = ${cfg.preempt ? 'yes' : 'no'}`,
      `   Master = ${v.status.master ?? '(unknown)'}`,
      `   Source address = ${v.spec.wire.src}`,
    );
    if (v.lastTransition !== undefined) out.push(`   Last transition = ${new Date(v.lastTransition * 1000).toISOString()}`);
    if (cfg.unicastPeers.length > 0) out.push(`   Unicast peers = ${cfg.unicastPeers.map((p) => p.address).join(' ')}`);
    for (const vip of [...cfg.vips, ...cfg.evips]) out.push(`   Virtual IP = ${withPrefix(v.spec, vip)}${installed.has(vip.text) ? ' (installed)' : ''}`);
    for (const t of cfg.trackers) out.push(`   Tracks ${t.type} ${t.name}`);
  }
  return out.join('\n') + '\n';
}

export function formatStats(c: DumpContext): string {
  const out: string[] = [];
  for (const v of c.instances) {
    const s = v.stats;
    out.push(
      `VRRP Instance: ${v.spec.cfg.name}`,
      '  Advertisements:',
      `    Received: ${s.advert_rcvd}`,
      `    Sent: ${s.advert_sent}`,
      `  Became master: ${s.become_master}`,
      `  Released master: ${s.release_master}`,
      '  Packet Errors:',
      `    Length: ${s.packet_len_err}`,
      `    TTL: ${s.ip_ttl_err}`,
      `    Invalid Type: ${s.invalid_type_rcvd}`,
      `    Advertisement Interval: ${s.advert_interval_err}`,
      `    Address List: ${s.addr_list_err}`,
      '  Authentication Errors:',
      `    Invalid Type: ${s.invalid_authtype}`,
      `    Type Mismatch: ${s.authtype_mismatch}`,
      `    Failure: ${s.auth_failure}`,
      '  Priority Zero:',
      `    Received: ${s.pri_zero_rcvd}`,
      `    Sent: ${s.pri_zero_sent}`,
    );
    const other = Object.entries(s.errors);
    if (other.length > 0) {
      out.push('  Drops and warnings by reason:');
      for (const [reason, n] of other.sort()) out.push(`    ${reason}: ${n}`);
    }
    // Answers the flood limits held back (docs/adr/0011-receive-flood-limits.md).
    const held = Object.entries(v.status.suppressed ?? {});
    if (held.length > 0) {
      out.push('  Held back by flood limits:');
      for (const [reason, n] of held.sort()) out.push(`    ${reason}: ${n}`);
    }
  }
  return out.join('\n') + '\n';
}

/** keepalived's json_version 1 layout: an array of { data, stats } per instance. */
export function formatJson(c: DumpContext): string {
  const arr = c.instances.map((v) => {
    const { cfg } = v.spec;
    const { errors: _errors, ...stats } = v.stats;
    return {
      data: {
        iname: cfg.name,
        ifp_ifname: v.spec.ifname,
        vrid: cfg.vrid,
        version: cfg.version,
        base_priority: v.status.priority,
        effective_priority: v.status.effectivePriority,
        state: STATE_NUMBER[v.status.state],
        last_transition: v.lastTransition ?? 0,
        adver_int: cfg.advertInt / 100,
        nopreempt: !cfg.preempt,
        vips: cfg.vips.map((a) => `${withPrefix(v.spec, a)}${v.status.vipsInstalled.includes(a.text) ? ' set' : ''}`),
        master_ip: v.status.master,
      },
      stats,
    };
  });
  return JSON.stringify(arr) + '\n';
}

/** keepalived's umask when -u is not given (its dumps are then 0600). */
export const KEEPALIVED_DEFAULT_UMASK = 0o177;

/** The mode keepalived gives its dump files under umask `umask` (-u), default 0177. */
export function dumpFileMode(umask: number = KEEPALIVED_DEFAULT_UMASK): number {
  return 0o666 & ~umask;
}

/**
 * Writes `text` to `path` with exactly `mode`: a fresh file beside it, then rename(2), so a reader never
 * sees half a dump and a symlink planted at `path` is replaced, not followed.
 */
export function writeDumpFile(path: string, text: string, mode: number = dumpFileMode()): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    unlinkSync(tmp);
  } catch {
    /* not there */
  }
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    fchmodSync(fd, mode); // not the process umask: keepalived's default differs from ours
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
