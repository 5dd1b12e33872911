// A config with nothing to run (no vrrp_instance): keepalived 2.2.7 logs "no configuration to
// run", keeps running (writing its main pid file, not the VRRP one: no VRRP child starts) and
// waits for a reload or a stop. Exiting instead would make systemd restart it in a loop. Both
// daemons side by side in the same run.
import { describe, expect } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Lab } from '../../../src/lab/lab.js';
import { startKeepalived, type KeepalivedPeer } from '../../../src/lab/keepalived-peer.js';
import { itWhen, isRoot } from '../../helpers/require.js';
import { hasKeepalived } from '../../acceptance/lib/keepalived.js';
import { GLOBAL_DEFS, sleep, startDaemonNode, waitUntil, type DaemonNode } from './daemon-lab.js';

describe('an empty configuration (ours and keepalived 2.2.7)', () => {
  for (const [label, config] of [
    ['an empty file', ''],
    ['global_defs only', GLOBAL_DEFS],
  ] as const) {
    itWhen(isRoot, hasKeepalived)(`${label}: keeps running, logs it, main pid file only; INT/TERM stop it with exit 0`, { timeout: 60_000 }, async () => {
      const lab = new Lab('demp');
      const nodes: DaemonNode[] = [];
      const peers: KeepalivedPeer[] = [];
      try {
        lab.addHost({ name: 'k', addresses: ['192.0.2.21/24'] });
        lab.addHost({ name: 'a', addresses: ['192.0.2.11/24'] });
        const k = startKeepalived(lab, 'k', config);
        peers.push(k);
        const a = startDaemonNode(lab, 'a', config);
        nodes.push(a);
        await k.waitFor(/no configuration to run/, 10_000);
        await a.waitFor(/no vrrp_instance or virtual_server in .*nothing to run; staying up, idle, until stopped/, 15_000);
        await sleep(2000);
        expect(k.child.exitCode).toBeNull();
        expect(a.child.exitCode).toBeNull();
        // keepalived: the parent's pid file, no VRRP child and so no vrrp.pid. Ours the same.
        expect(existsSync(join(k.dir, 'keepalived.pid'))).toBe(true);
        expect(existsSync(join(k.dir, 'vrrp.pid'))).toBe(false);
        expect(readFileSync(a.pidFile, 'utf8').trim()).toBe(String(a.child.pid));
        expect(existsSync(a.vrrpPidFile)).toBe(false);
        // HUP (reload, not implemented yet) does not stop it either. (The dump signals are
        // exercised in signals.test.ts, the one file that writes /tmp/keepalived.*.)
        a.signal('SIGHUP');
        await sleep(500);
        expect(a.child.exitCode).toBeNull();

        k.signal('SIGTERM');
        await k.exited();
        expect(k.child.exitCode).toBe(0);
        expect(existsSync(join(k.dir, 'keepalived.pid'))).toBe(false);
        a.signal('SIGINT');
        expect(await a.exitCode()).toBe(0);
        expect(existsSync(a.pidFile)).toBe(false);
        expect(a.lines.some((l) => /Stopped Keepalived v2\.2\.7/.test(l))).toBe(true);
      } finally {
        for (const n of nodes) n.cleanup();
        for (const p of peers) p.cleanup();
        lab.destroy();
      }
    });
  }

  itWhen(isRoot, hasKeepalived)('--all: the VRRP pid file is written too, as keepalived --all starts its VRRP child', { timeout: 60_000 }, async () => {
    const lab = new Lab('dema');
    const nodes: DaemonNode[] = [];
    const peers: KeepalivedPeer[] = [];
    try {
      lab.addHost({ name: 'k', addresses: ['192.0.2.21/24'] });
      lab.addHost({ name: 'a', addresses: ['192.0.2.11/24'] });
      const k = startKeepalived(lab, 'k', GLOBAL_DEFS, ['--all']);
      peers.push(k);
      const a = startDaemonNode(lab, 'a', GLOBAL_DEFS, { extraArgs: ['--all'] });
      nodes.push(a);
      await a.waitFor(/nothing to run/, 15_000);
      await waitUntil('keepalived vrrp.pid', () => existsSync(join(k.dir, 'vrrp.pid')), 10_000);
      await waitUntil('our VRRP pid file', () => existsSync(a.vrrpPidFile), 5000);
      expect(k.child.exitCode).toBeNull();
      expect(readFileSync(a.vrrpPidFile, 'utf8').trim()).toBe(String(a.child.pid));
      a.signal('SIGTERM');
      expect(await a.exitCode()).toBe(0);
      expect(existsSync(a.vrrpPidFile)).toBe(false);
      expect(existsSync(a.pidFile)).toBe(false);
      k.signal('SIGTERM');
      await k.exited();
      expect(k.child.exitCode).toBe(0);
    } finally {
      for (const n of nodes) n.cleanup();
      for (const p of peers) p.cleanup();
      lab.destroy();
    }
  });
});
