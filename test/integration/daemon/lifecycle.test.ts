// Process lifecycle of our daemon as a real process: a stopping BACKUP sends nothing (only a
// master resigns with priority 0) and still runs notify STOP; SIGINT stops like SIGTERM; a
// second daemon on the same pid files refuses to start and leaves the first one untouched.
import { describe, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Lab } from '../../../src/lab/lab.js';
import { watchProcess, type PeerProcess } from '../../../src/lab/keepalived-peer.js';
import { itWhen, isRoot } from '../../helpers/require.js';
import {
  GLOBAL_DEFS,
  assertStableHolder,
  instanceConf,
  nodeDir,
  notifyScript,
  sleep,
  startDaemonNode,
  waitSoleHolder,
  waitStates,
  waitUntil,
  waitVip,
  type DaemonNode,
} from './daemon-lab.js';

const VIP = '192.0.2.100';

describe('daemon lifecycle (real processes)', () => {
  itWhen(isRoot)('SIGTERM of a BACKUP: no advert at all, notify STOP, exit 0; SIGINT of the master: priority 0 and exit 0', { timeout: 90_000 }, async () => {
    const lab = new Lab('dlc');
    const nodes: DaemonNode[] = [];
    const caps: PeerProcess[] = [];
    try {
      lab.addHost({ name: 'a', addresses: ['192.0.2.11/24'] });
      lab.addHost({ name: 'b', addresses: ['192.0.2.12/24'] });
      const a = startDaemonNode(lab, 'a', GLOBAL_DEFS + instanceConf({ priority: 150, vips: [`${VIP}/24`] }));
      nodes.push(a);
      await a.waitFor(/Entering BACKUP STATE/, 15_000);
      const dirB = nodeDir('b');
      const b = startDaemonNode(lab, 'b', GLOBAL_DEFS + instanceConf({ priority: 100, vips: [`${VIP}/24`], extra: [`notify_stop ${notifyScript(dirB, 'ns')}`] }), { dir: dirB });
      nodes.push(b);
      await b.waitFor(/Entering BACKUP STATE/, 20_000); // b runs before the test acts
      await waitSoleHolder(lab, ['a', 'b'], 'a', VIP, 20_000);
      await waitStates(b, 'VI_1', ['BACKUP']);

      // Everything b sends, from its switch port.
      const cap = watchProcess(
        spawn('ip', ['netns', 'exec', lab.switchNs, 'tcpdump', '-i', lab.switchPort('b'), '-Q', 'in', '-n', '-l', 'ip proto 112 or arp'], { stdio: ['ignore', 'pipe', 'pipe'] }),
      );
      caps.push(cap);
      await cap.waitFor(/listening on/, 10_000);
      b.signal('SIGTERM');
      expect(await b.exitCode()).toBe(0);
      await sleep(300);
      cap.signal('SIGTERM');
      await cap.exited();
      expect(cap.lines.filter((l) => /VRRP|ARP/.test(l))).toEqual([]);
      expect(b.notifications()).toEqual(['ns']);
      expect(existsSync(b.pidFile)).toBe(false);
      await assertStableHolder(lab, ['a'], 'a', VIP, 1500);

      // SIGINT is a stop too: the master resigns and removes its VIP.
      const cap2 = watchProcess(
        spawn('ip', ['netns', 'exec', lab.switchNs, 'tcpdump', '-i', lab.switchPort('a'), '-Q', 'in', '-n', '-l', '-v', 'ip proto 112'], { stdio: ['ignore', 'pipe', 'pipe'] }),
      );
      caps.push(cap2);
      await cap2.waitFor(/listening on/, 10_000);
      a.signal('SIGINT');
      expect(await a.exitCode()).toBe(0);
      await waitVip(lab, 'a', VIP, false, 1000);
      await sleep(300);
      cap2.signal('SIGTERM');
      await cap2.exited();
      const text = cap2.lines.join('\n');
      expect(text).toMatch(/prio 0\b/);
    } finally {
      for (const n of nodes) n.cleanup();
      for (const c of caps) c.signal('SIGKILL');
      lab.destroy();
    }
  });

  itWhen(isRoot)('a second daemon on the same pid files refuses to start; the first keeps running and keeps its pid files', { timeout: 60_000 }, async () => {
    const lab = new Lab('dlc');
    const nodes: DaemonNode[] = [];
    try {
      lab.addHost({ name: 'a', addresses: ['192.0.2.11/24'] });
      const dir = nodeDir('a');
      const conf = GLOBAL_DEFS + instanceConf({ priority: 150, vips: [`${VIP}/24`] });
      const a = startDaemonNode(lab, 'a', conf, { dir });
      nodes.push(a);
      await waitVip(lab, 'a', VIP, true, 15_000);
      const a2 = startDaemonNode(lab, 'a', conf, { dir });
      nodes.push(a2);
      const code = await a2.exitCode();
      // keepalived 2.2.7 logs "daemon is already running" and exits 0; we exit 1 (fatal) so a
      // supervisor sees the refused start.
      expect(code).toBe(1);
      // After the start-up banner (INFO log lines, as keepalived's), the one refusal line.
      expect(a2.lines.filter((l) => l.trim() !== '' && !/^\d\d:\d\d:\d\d\.\d{3} INFO /.test(l))).toEqual([`keepalived-ts: daemon is already running (pid ${a.child.pid} in ${a.pidFile})`]);
      expect(readFileSync(a.pidFile, 'utf8').trim()).toBe(String(a.child.pid));
      expect(readFileSync(a.vrrpPidFile, 'utf8').trim()).toBe(String(a.child.pid));
      await sleep(500);
      expect(a.child.exitCode).toBeNull();
      await waitUntil('VIP still on a', () => lab.addresses('a').includes(`${VIP}/24`), 100);
      a.signal('SIGTERM');
      expect(await a.exitCode()).toBe(0);
      expect(existsSync(a.pidFile)).toBe(false);
    } finally {
      for (const n of nodes) n.cleanup();
      lab.destroy();
    }
  });

  itWhen(isRoot)('SIGHUP and SIGUSR1 neither stop the daemon nor move the VIP', { timeout: 60_000 }, async () => {
    const lab = new Lab('dlc');
    const nodes: DaemonNode[] = [];
    try {
      lab.addHost({ name: 'a', addresses: ['192.0.2.11/24'] });
      const a = startDaemonNode(lab, 'a', GLOBAL_DEFS + instanceConf({ priority: 150, vips: [`${VIP}/24`] }));
      nodes.push(a);
      await waitVip(lab, 'a', VIP, true, 15_000);
      a.signal('SIGHUP');
      a.signal('SIGUSR1');
      await a.waitFor(/status/, 3000);
      await sleep(1500);
      expect(a.child.exitCode).toBeNull();
      expect(lab.addresses('a')).toContain(`${VIP}/24`);
      await waitStates(a, 'VI_1', ['BACKUP', 'MASTER']);
      a.signal('SIGTERM');
      expect(await a.exitCode()).toBe(0);
    } finally {
      for (const n of nodes) n.cleanup();
      lab.destroy();
    }
  });

  itWhen(isRoot)('a second SIGTERM/SIGINT during the stop does not cut it short: exit 0, VIP removed, STOP notify ran', { timeout: 60_000 }, async () => {
    const lab = new Lab('dlc');
    const nodes: DaemonNode[] = [];
    try {
      lab.addHost({ name: 'a', addresses: ['192.0.2.11/24'] });
      const dir = nodeDir('a');
      // A STOP script that takes 0.6 s keeps the stop going while the next signals arrive.
      const slow = join(dir, 'slow-stop.sh');
      writeFileSync(slow, `#!/bin/sh\nsleep 0.6\nexec ${notifyScript(dir, 'ns')}\n`);
      chmodSync(slow, 0o755);
      const a = startDaemonNode(lab, 'a', GLOBAL_DEFS + instanceConf({ priority: 150, vips: [`${VIP}/24`], extra: [`notify_stop ${slow}`] }), { dir });
      nodes.push(a);
      await waitVip(lab, 'a', VIP, true, 15_000);
      a.signal('SIGTERM');
      await a.waitFor(/Entering STOP STATE/, 3000);
      a.signal('SIGTERM');
      await sleep(100);
      a.signal('SIGINT');
      expect(await a.exitCode()).toBe(0);
      expect(lab.addresses('a')).not.toContain(`${VIP}/24`);
      expect(a.notifications()).toEqual(['ns']);
      expect(existsSync(a.pidFile)).toBe(false);
    } finally {
      for (const n of nodes) n.cleanup();
      lab.destroy();
    }
  });
});
