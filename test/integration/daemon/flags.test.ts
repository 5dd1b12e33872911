// The keepalived flags the daemon implements, each shown by its effect on a real process in a
// lab namespace, beside keepalived 2.2.7 where its behaviour is the reference:
//   -V  --dont-release-vrrp    the stop leaves the VIP and sends no priority-0 advert
//   -a  --address-monitoring   address additions/removals (any interface) are logged
//   -u  --umask                pid files stay 0644 as keepalived's; files created get the mask
//                              (the dump files' modes under -u: signals.test.ts, which owns /tmp/keepalived.*)
//   -d  --dump-conf            the parsed configuration is in the log at start
//   -g  --log-file             log lines also go to the file
//   -e  --all-config           a missing included file stops the start with exit 6
import { describe, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Lab } from '../../../src/lab/lab.js';
import { startKeepalived, watchProcess, type KeepalivedPeer, type PeerProcess } from '../../../src/lab/keepalived-peer.js';
import { itWhen, isRoot } from '../../helpers/require.js';
import { hasKeepalived } from '../../acceptance/lib/keepalived.js';
import { GLOBAL_DEFS, instanceConf, nodeDir, sleep, startDaemonNode, waitUntil, waitVip, type DaemonNode } from './daemon-lab.js';

const hasTcpdump = () => (existsSync('/usr/bin/tcpdump') || existsSync('/usr/sbin/tcpdump') ? undefined : 'tcpdump not installed');

describe('implemented daemon flags (ours beside keepalived 2.2.7)', () => {
  itWhen(isRoot, hasKeepalived, hasTcpdump)('-V: after TERM the VIP stays and no priority-0 advert is sent, like keepalived -V', { timeout: 90_000 }, async () => {
    const lab = new Lab('dflv');
    const nodes: DaemonNode[] = [];
    const peers: KeepalivedPeer[] = [];
    const caps: PeerProcess[] = [];
    try {
      lab.addHost({ name: 'k', addresses: ['192.0.2.21/24'] });
      lab.addHost({ name: 'a', addresses: ['192.0.2.11/24'] });
      // Different VRIDs and VIPs: two independent masters on one segment.
      // Without -V the stop removes the VIP (so the flag is what makes the difference below).
      const a0 = startDaemonNode(lab, 'a', GLOBAL_DEFS + instanceConf({ vrid: 51, priority: 150, vips: ['192.0.2.100/24'] }));
      nodes.push(a0);
      await a0.waitFor(/Entering MASTER STATE/, 15_000);
      await waitVip(lab, 'a', '192.0.2.100', true, 5000);
      a0.signal('SIGTERM');
      expect(await a0.exitCode()).toBe(0);
      expect(lab.addresses('a')).not.toContain('192.0.2.100/24');

      const k = startKeepalived(lab, 'k', GLOBAL_DEFS + instanceConf({ vrid: 52, priority: 150, vips: ['192.0.2.101/24'] }), ['-V']);
      peers.push(k);
      const a = startDaemonNode(lab, 'a', GLOBAL_DEFS + instanceConf({ vrid: 51, priority: 150, vips: ['192.0.2.100/24'] }), { extraArgs: ['-V'] });
      nodes.push(a);
      await waitVip(lab, 'k', '192.0.2.101', true, 15_000);
      await waitVip(lab, 'a', '192.0.2.100', true, 15_000);

      // Everything either sends at stop, from the switch side.
      const cap = watchProcess(
        spawn('ip', ['netns', 'exec', lab.switchNs, 'tcpdump', '-i', 'br0', '-n', '-l', '-v', 'ip proto 112'], { stdio: ['ignore', 'pipe', 'pipe'] }),
      );
      caps.push(cap);
      await cap.waitFor(/listening on/, 10_000);
      await cap.waitFor(/vrid 51/, 5000); // the capture sees our adverts
      await cap.waitFor(/vrid 52/, 5000);
      k.signal('SIGTERM');
      a.signal('SIGTERM');
      await k.exited();
      expect(k.child.exitCode).toBe(0);
      expect(await a.exitCode()).toBe(0);
      await sleep(500);
      cap.signal('SIGTERM');
      await cap.exited();
      expect(cap.lines.filter((l) => /prio 0\b/.test(l))).toEqual([]);
      // keepalived -V leaves its VIP; so do we.
      expect(lab.addresses('k')).toContain('192.0.2.101/24');
      expect(lab.addresses('a')).toContain('192.0.2.100/24');
      expect(k.lines.some((l) => /sent 0 priority/.test(l))).toBe(false);
      expect(a.lines.some((l) => /dont-release-vrrp: virtual addresses left in place/.test(l))).toBe(true);
      expect(existsSync(a.pidFile)).toBe(false);

    } finally {
      for (const n of nodes) n.cleanup();
      for (const p of peers) p.cleanup();
      for (const c of caps) c.signal('SIGKILL');
      lab.destroy();
    }
  });

  itWhen(isRoot, hasKeepalived)('-a logs address additions and removals like keepalived -a; -u sets modes like keepalived -u; -d and -g take effect', { timeout: 90_000 }, async () => {
    const lab = new Lab('dfla');
    const nodes: DaemonNode[] = [];
    const peers: KeepalivedPeer[] = [];
    try {
      lab.addHost({ name: 'k', addresses: ['192.0.2.21/24'] });
      lab.addHost({ name: 'a', addresses: ['192.0.2.11/24'] });
      const conf = (vrid: number, vip: string) => GLOBAL_DEFS + instanceConf({ vrid, priority: 150, vips: [`${vip}/24`] });
      let k = startKeepalived(lab, 'k', conf(52, '192.0.2.101'), ['-a', '-u', '027']);
      peers.push(k);
      // keepalived 2.2.7 has twice here said "daemon is already running" on a fresh pid directory
      // while another test's keepalived started in another namespace (cause not found); it then
      // exits, so it is started once more in that case.
      if (/already running/.test(await k.waitFor(/Entering MASTER STATE|daemon is already running/, 15_000))) {
        await k.exited();
        k = startKeepalived(lab, 'k', conf(52, '192.0.2.101'), ['-a', '-u', '027']);
        peers.push(k);
      }
      const dir = nodeDir('a');
      const logFile = join(dir, 'daemon.log');
      const a = startDaemonNode(lab, 'a', conf(51, '192.0.2.100'), { dir, extraArgs: ['-a', '-u', '027', '-d', `--log-file=${logFile}`] });
      nodes.push(a);
      await k.waitFor(/Entering MASTER STATE/, 15_000);
      await a.waitFor(/Entering MASTER STATE/, 15_000);

      // An address someone adds and removes on each host.
      for (const h of ['k', 'a']) {
        lab.exec(h, ['ip', 'addr', 'add', '198.51.100.5/24', 'dev', 'eth0']);
        lab.exec(h, ['ip', 'addr', 'del', '198.51.100.5/24', 'dev', 'eth0']);
      }
      await k.waitFor(/198\.51\.100\.5 removed from eth0/, 5000);
      await a.waitFor(/198\.51\.100\.5\/24 removed from eth0/, 5000);
      const events = (lines: string[]) =>
        lines.flatMap((l) => {
          const m = /(198\.51\.100\.5)(?:\/24)? (added to|removed from) eth0/.exec(l);
          return m ? [`${m[1]} ${m[2]}`] : [];
        });
      expect(events(a.lines)).toEqual(events(k.lines));
      expect(events(a.lines)).toEqual(['198.51.100.5 added to', '198.51.100.5 removed from']);
      // Both also report what was there at start.
      expect(k.lines.some((l) => /192\.0\.2\.21 added to eth0/.test(l))).toBe(true);
      expect(a.lines.some((l) => /192\.0\.2\.11\/24 added to eth0/.test(l))).toBe(true);

      // -u 027: keepalived's pid files stay 0644; ours the same.
      const modeOf = (f: string) => (statSync(f).mode & 0o777).toString(8);
      for (const f of [join(k.dir, 'keepalived.pid'), join(k.dir, 'vrrp.pid'), a.pidFile, a.vrrpPidFile]) expect(modeOf(f), f).toBe('644');
      // The log file is ours alone (Debian's keepalived is built without -g): created under the umask.
      expect(modeOf(logFile)).toBe('640');
      // -d: the configuration as parsed, in the log.
      expect(a.lines.some((l) => /configuration of .*keepalived\.conf/.test(l))).toBe(true);
      expect(a.lines.some((l) => /"virtualRouterId": 51|"vrid": 51/.test(l))).toBe(true);
      // -g: the same lines in the file, as text.
      await waitUntil('log file has the state line', () => /\(VI_1\) Entering MASTER STATE/.test(readFileSync(logFile, 'utf8')), 2000);

      a.signal('SIGTERM');
      expect(await a.exitCode()).toBe(0);
      expect(readFileSync(logFile, 'utf8')).toMatch(/Stopped Keepalived v2\.2\.7/);
      k.signal('SIGTERM');
      await k.exited();
    } finally {
      for (const n of nodes) n.cleanup();
      for (const p of peers) p.cleanup();
      lab.destroy();
    }
  });

  itWhen(isRoot, hasKeepalived)('-e: a missing included file stops the start with exit 6 like keepalived -e; without -e both run', { timeout: 60_000 }, async () => {
    const lab = new Lab('dfle');
    const nodes: DaemonNode[] = [];
    const peers: KeepalivedPeer[] = [];
    const dir = nodeDir('e');
    try {
      lab.addHost({ name: 'k', addresses: ['192.0.2.21/24'] });
      lab.addHost({ name: 'a', addresses: ['192.0.2.11/24'] });
      const missing = join(dir, 'not-there.conf');
      const conf = (vrid: number, vip: string) => `include ${missing}\n` + GLOBAL_DEFS + instanceConf({ vrid, priority: 150, vips: [`${vip}/24`] });
      const k = startKeepalived(lab, 'k', conf(52, '192.0.2.101'), ['-e']);
      peers.push(k);
      const a = startDaemonNode(lab, 'a', conf(51, '192.0.2.100'), { extraArgs: ['-e'] });
      nodes.push(a);
      await k.exited();
      expect(k.child.exitCode).toBe(6);
      expect(k.lines.some((l) => l.includes(`Config files missing '${missing}'`))).toBe(true);
      expect(await a.exitCode()).toBe(6);
      expect(a.lines.filter((l) => l.startsWith('keepalived-ts:'))).toEqual([expect.stringMatching(new RegExp(`^keepalived-ts: -e/--all-config: .*keepalived\\.conf:1:\\d+: .*${missing.replace(/[.]/g, '\\.')}`))]);
      expect(existsSync(a.pidFile)).toBe(false);

      // The same configs without -e: both start and become master.
      const k2 = startKeepalived(lab, 'k', conf(52, '192.0.2.101'));
      peers.push(k2);
      const a2 = startDaemonNode(lab, 'a', conf(51, '192.0.2.100'));
      nodes.push(a2);
      await k2.waitFor(/Entering MASTER STATE/, 15_000);
      await a2.waitFor(/Entering MASTER STATE/, 15_000);
      a2.signal('SIGTERM');
      expect(await a2.exitCode()).toBe(0);
    } finally {
      for (const n of nodes) n.cleanup();
      for (const p of peers) p.cleanup();
      rmSync(dir, { recursive: true, force: true });
      lab.destroy();
    }
  });
});
