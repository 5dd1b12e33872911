// Process lifecycle of our daemon as a real process: a stopping BACKUP sends nothing (only a
// master resigns with priority 0) and still runs notify STOP; SIGINT stops like SIGTERM; a
// second daemon on the same pid files refuses to start and leaves the first one untouched.
import { describe, expect } from 'vitest';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { V4_PAIR, netnsIt } from '../../helpers/netns-fixture.js';
import { GLOBAL_DEFS, assertStableHolder, instanceConf, nodeDir, notifyScript, sleep, waitSoleHolder, waitStates, waitUntil, waitVip } from './daemon-lab.js';

const VIP = '192.0.2.100';
const conf = (priority: number, extra: string[] = []) => GLOBAL_DEFS + instanceConf({ priority, vips: [`${VIP}/24`], extra });
const labIt = netnsIt('dlc');

describe('daemon lifecycle (real processes)', () => {
  labIt('SIGTERM of a BACKUP: no advert at all, notify STOP, exit 0; SIGINT of the master: priority 0 and exit 0', 90_000, async (f) => {
    const { lab } = f;
    f.hosts(V4_PAIR);
    const a = await f.backup('a', conf(150), {}, 15_000);
    const dirB = nodeDir('b');
    const b = await f.backup('b', conf(100, [`notify_stop ${notifyScript(dirB, 'ns')}`]), { dir: dirB });
    await waitSoleHolder(lab, ['a', 'b'], 'a', VIP, 20_000);
    await waitStates(b, 'VI_1', ['BACKUP']);

    // Everything b sends, from its switch port.
    const cap = await f.capture('ip proto 112 or arp', { port: 'b' });
    b.signal('SIGTERM');
    expect(await b.exitCode()).toBe(0);
    await sleep(300);
    expect((await cap.stop()).filter((l) => /VRRP|ARP/.test(l))).toEqual([]);
    expect(b.notifications()).toEqual(['ns']);
    expect(existsSync(b.pidFile)).toBe(false);
    await assertStableHolder(lab, ['a'], 'a', VIP, 1500);

    // SIGINT is a stop too: the master resigns and removes its VIP.
    const cap2 = await f.capture('ip proto 112', { port: 'a', args: ['-v'] });
    a.signal('SIGINT');
    expect(await a.exitCode()).toBe(0);
    await waitVip(lab, 'a', VIP, false, 1000);
    await sleep(300);
    const text = (await cap2.stop()).join('\n');
    expect(text).toMatch(/prio 0\b/);
  });

  labIt('a second daemon on the same pid files refuses to start; the first keeps running and keeps its pid files', 60_000, async (f) => {
    const { lab } = f;
    f.hosts({ a: V4_PAIR.a });
    const dir = nodeDir('a');
    const a = f.daemon('a', conf(150), { dir });
    await waitVip(lab, 'a', VIP, true, 15_000);
    const a2 = f.daemon('a', conf(150), { dir });
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
  });

  labIt('SIGHUP and SIGUSR1 neither stop the daemon nor move the VIP', 60_000, async (f) => {
    const { lab } = f;
    f.hosts({ a: V4_PAIR.a });
    const a = f.daemon('a', conf(150));
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
  });

  labIt('a second SIGTERM/SIGINT during the stop does not cut it short: exit 0, VIP removed, STOP notify ran', 60_000, async (f) => {
    const { lab } = f;
    f.hosts({ a: V4_PAIR.a });
    const dir = nodeDir('a');
    // A STOP script that takes 0.6 s keeps the stop going while the next signals arrive.
    const slow = join(dir, 'slow-stop.sh');
    writeFileSync(slow, `#!/bin/sh\nsleep 0.6\nexec ${notifyScript(dir, 'ns')}\n`);
    chmodSync(slow, 0o755);
    const a = f.daemon('a', conf(150, [`notify_stop ${slow}`]), { dir });
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
  });
});
