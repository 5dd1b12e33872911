// FRR's vrrpd (Debian's frr 8.4.4) as a VRRP peer in one lab host. FRR runs a virtual router on
// macvlan devices that the operator creates (one per VRID and family, named vrrp4-IF-VRID /
// vrrp6-IF-VRID by convention, with the virtual MAC and the virtual addresses already on them);
// vrrpd finds them by MAC and toggles their protodown flag through zebra: up while master,
// protodown while backup. So "FRR holds the VIP" is "its macvlan is not protodown", read here
// from `show vrrp json`.
//
// zebra and vrrpd run as FRR's own user with every path (zserv socket, pid files, vty sockets,
// config) in a temporary directory of the test, so nothing under /etc/frr or /run/frr is used
// and two labs never share anything. Processes are started through the lab (inside the host's
// namespace) and ended by PID.
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Lab } from '../../src/lab/lab.js';
import { watchProcess, type PeerProcess } from '../../src/lab/keepalived-peer.js';
import type { Prereq } from '../helpers/require.js';
import { waitUntil } from '../helpers/netns-fixture.js';

const FRR_LIB = '/usr/lib/frr';

export const hasFrr: Prereq = () =>
  existsSync(join(FRR_LIB, 'vrrpd')) && existsSync(join(FRR_LIB, 'zebra')) && spawnSync('id', ['-u', 'frr'], { stdio: 'ignore' }).status === 0
    ? undefined
    : 'FRR vrrpd not installed (apt-get install frr)';

export interface FrrRouterSpec {
  vrid: number;
  version: 2 | 3;
  family: 'inet' | 'inet6';
  priority: number;
  /** Advertisement interval in ms (v2: a multiple of 1000). */
  intervalMs: number;
  /** Virtual addresses with their prefix length, all of `family`. */
  vips: string[];
  preempt?: boolean;
}

/** One VRRP family's view from `show vrrp json`. */
export interface FrrFamilyStatus {
  interface: string;
  vmac: string;
  status: 'Initialize' | 'Backup' | 'Master' | string;
  effectivePriority: number;
  stats: { adverTx: number; adverRx: number; garpTx: number; transitions: number };
  addresses: string[];
}

export interface FrrRouter {
  readonly dir: string;
  readonly macvlan: string;
  readonly vrrpd: PeerProcess;
  /** Runs vtysh commands (each a `-c`) against this router's daemons; returns stdout. */
  vtysh(...commands: string[]): string;
  /** This router's family status. */
  status(): FrrFamilyStatus;
  /** `vrrp VRID shutdown` (on) or `no vrrp VRID shutdown` (off) on eth0. */
  shutdown(on: boolean): void;
  /** Waits for the status, returns performance.now() then. */
  waitStatus(status: string, timeoutMs: number): Promise<number>;
  /** Sends a signal to vrrpd (by PID). */
  signalVrrpd(sig: NodeJS.Signals): void;
  cleanup(): void;
}

function frrIds(): { uid: number; gid: number } {
  const id = (flag: string) => Number(spawnSync('id', [flag, 'frr'], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** The virtual MAC (RFC 3768 / 5798): 00:00:5e:00:01:VRID for IPv4, 00:00:5e:00:02:VRID for IPv6. */
export function virtualMac(family: 'inet' | 'inet6', vrid: number): string {
  return `00:00:5e:00:0${family === 'inet6' ? 2 : 1}:${vrid.toString(16).padStart(2, '0')}`;
}

/**
 * Starts zebra and vrrpd in lab host `host` with one virtual router on its eth0, after creating
 * the macvlan FRR needs. Resolves once vrrpd has read its config and the router is out of
 * Initialize.
 */
export async function startFrr(lab: Lab, host: string, spec: FrrRouterSpec): Promise<FrrRouter> {
  const dir = mkdtempSync(join(tmpdir(), `kt-frr-${host}-`));
  const { uid, gid } = frrIds();
  chownSync(dir, uid, gid);
  const v6 = spec.family === 'inet6';
  const macvlan = `vrrp${v6 ? 6 : 4}-${spec.vrid}`;
  // The device FRR expects: bridge mode (the master's own traffic to the segment), the virtual
  // MAC, the VIPs; IPv6 needs its own link-local (addrgenmode random) to source adverts from.
  lab.exec(host, ['ip', 'link', 'add', macvlan, 'link', 'eth0', 'type', 'macvlan', 'mode', 'bridge']);
  lab.exec(host, ['ip', 'link', 'set', 'dev', macvlan, 'address', virtualMac(spec.family, spec.vrid)]);
  if (v6) lab.exec(host, ['ip', 'link', 'set', 'dev', macvlan, 'addrgenmode', 'random']);
  if (v6) lab.exec(host, ['sysctl', '-qw', `net.ipv6.conf.${macvlan}.accept_dad=0`]);
  for (const vip of spec.vips) lab.exec(host, ['ip', 'addr', 'add', vip, 'dev', macvlan, ...(v6 ? ['nodad'] : [])]);
  lab.exec(host, ['ip', 'link', 'set', 'dev', macvlan, 'up']);

  const write = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    chownSync(p, uid, gid);
    return p;
  };
  const v = spec.vrid;
  const vrrpConf = [
    'log stdout informational',
    'interface eth0',
    ` vrrp ${v} version ${spec.version}`,
    ` vrrp ${v} priority ${spec.priority}`,
    ` vrrp ${v} advertisement-interval ${spec.intervalMs}`,
    ...(spec.preempt === false ? [` no vrrp ${v} preempt`] : []),
    ...spec.vips.map((a) => ` vrrp ${v} ${v6 ? 'ipv6' : 'ip'} ${a.split('/')[0]}`),
    '',
  ].join('\n');
  const common = ['-z', join(dir, 'zserv.api'), '--vty_socket', dir, '--log', 'stdout'];
  const zebra = watchProcess(lab.spawn(host, [join(FRR_LIB, 'zebra'), ...common, '-i', join(dir, 'zebra.pid'), '-f', write('zebra.conf', 'log stdout informational\n')]));
  const stops: PeerProcess[] = [zebra];
  const cleanup = () => {
    for (const p of stops.reverse()) p.signal('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitUntil('zebra socket', () => existsSync(join(dir, 'zserv.api')), 15_000, 50);
    const vrrpd = watchProcess(lab.spawn(host, [join(FRR_LIB, 'vrrpd'), ...common, '-i', join(dir, 'vrrpd.pid'), '-f', write('vrrpd.conf', vrrpConf)]));
    stops.push(vrrpd);
    const vtysh = (...commands: string[]): string => {
      const argv = ['vtysh', '--vty_socket', dir, ...commands.flatMap((c) => ['-c', c])];
      return lab.exec(host, argv);
    };
    const status = (): FrrFamilyStatus => {
      const all = JSON.parse(vtysh('show vrrp json')) as Record<string, unknown>[];
      const vr = all.find((r) => r.vrid === v);
      if (!vr) throw new Error(`FRR has no virtual router ${v}: ${JSON.stringify(all)}`);
      return vr[v6 ? 'v6' : 'v4'] as FrrFamilyStatus;
    };
    const waitStatus = (want: string, timeoutMs: number) => {
      let last = '';
      return waitUntil(`FRR ${host} ${want}`, () => {
        try {
          last = status().status;
        } catch {
          last = 'unreadable';
        }
        return last === want;
      }, timeoutMs, 50).catch((e: Error) => {
        throw new Error(`${e.message} (last status ${last}); vrrpd said:\n${vrrpd.lines.slice(-15).join('\n')}`);
      });
    };
    await waitUntil('vrrpd vty', () => existsSync(join(dir, 'vrrpd.vty')), 15_000, 50);
    return {
      dir,
      macvlan,
      vrrpd,
      vtysh,
      status,
      waitStatus,
      shutdown(on) {
        vtysh('configure terminal', 'interface eth0', `${on ? '' : 'no '}vrrp ${v} shutdown`);
      },
      signalVrrpd(sig) {
        vrrpd.signal(sig);
      },
      cleanup,
    };
  } catch (e) {
    cleanup();
    throw e;
  }
}
