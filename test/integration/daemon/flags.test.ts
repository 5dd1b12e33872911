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
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { hasKeepalived, hasTcpdump } from '../../helpers/require.js';
import { BESIDE_KEEPALIVED, netnsIt } from '../../helpers/netns-fixture.js';
import { GLOBAL_DEFS, instanceConf, nodeDir, sleep, waitUntil, waitVip } from './daemon-lab.js';

describe('implemented daemon flags (ours beside keepalived 2.2.7)', () => {
  netnsIt('dflv', hasKeepalived, hasTcpdump)('-V: after TERM the VIP stays and no priority-0 advert is sent, like keepalived -V', 90_000, async (f) => {
    const { lab } = f;
    f.hosts(BESIDE_KEEPALIVED);
    // Different VRIDs and VIPs: two independent masters on one segment.
    // Without -V the stop removes the VIP (so the flag is what makes the difference below).
    const a0 = f.daemon('a', GLOBAL_DEFS + instanceConf({ vrid: 51, priority: 150, vips: ['192.0.2.100/24'] }));
    await a0.waitFor(/Entering MASTER STATE/, 15_000);
    await waitVip(lab, 'a', '192.0.2.100', true, 5000);
    a0.signal('SIGTERM');
    expect(await a0.exitCode()).toBe(0);
    expect(lab.addresses('a')).not.toContain('192.0.2.100/24');

    const k = f.keepalived('k', GLOBAL_DEFS + instanceConf({ vrid: 52, priority: 150, vips: ['192.0.2.101/24'] }), ['-V']);
    const a = f.daemon('a', GLOBAL_DEFS + instanceConf({ vrid: 51, priority: 150, vips: ['192.0.2.100/24'] }), { extraArgs: ['-V'] });
    await waitVip(lab, 'k', '192.0.2.101', true, 15_000);
    await waitVip(lab, 'a', '192.0.2.100', true, 15_000);

    // Everything either sends at stop, from the switch side.
    const cap = await f.capture('ip proto 112', { iface: 'br0', args: ['-v'] });
    await cap.waitFor(/vrid 51/, 5000); // the capture sees our adverts
    await cap.waitFor(/vrid 52/, 5000);
    k.signal('SIGTERM');
    a.signal('SIGTERM');
    await k.exited();
    expect(k.child.exitCode).toBe(0);
    expect(await a.exitCode()).toBe(0);
    await sleep(500);
    expect((await cap.stop()).filter((l) => /prio 0\b/.test(l))).toEqual([]);
    // keepalived -V leaves its VIP; so do we.
    expect(lab.addresses('k')).toContain('192.0.2.101/24');
    expect(lab.addresses('a')).toContain('192.0.2.100/24');
    expect(k.lines.some((l) => /sent 0 priority/.test(l))).toBe(false);
    expect(a.lines.some((l) => /dont-release-vrrp: virtual addresses left in place/.test(l))).toBe(true);
    expect(existsSync(a.pidFile)).toBe(false);
  });

  netnsIt('dfla', hasKeepalived)('-a logs address additions and removals like keepalived -a; -u sets modes like keepalived -u; -d and -g take effect', 90_000, async (f) => {
    const { lab } = f;
    f.hosts(BESIDE_KEEPALIVED);
    const conf = (vrid: number, vip: string) => GLOBAL_DEFS + instanceConf({ vrid, priority: 150, vips: [`${vip}/24`] });
    let k = f.keepalived('k', conf(52, '192.0.2.101'), ['-a', '-u', '027']);
    // keepalived 2.2.7 has twice here said "daemon is already running" on a fresh pid directory
    // while another test's keepalived started in another namespace (cause not found); it then
    // exits, so it is started once more in that case.
    if (/already running/.test(await k.waitFor(/Entering MASTER STATE|daemon is already running/, 15_000))) {
      await k.exited();
      k = f.keepalived('k', conf(52, '192.0.2.101'), ['-a', '-u', '027']);
    }
    const dir = nodeDir('a');
    const logFile = join(dir, 'daemon.log');
    const a = f.daemon('a', conf(51, '192.0.2.100'), { dir, extraArgs: ['-a', '-u', '027', '-d', `--log-file=${logFile}`] });
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
  });

  netnsIt('dfle', hasKeepalived)('-e: a missing included file stops the start with exit 6 like keepalived -e; without -e both run', 60_000, async (f) => {
    f.hosts(BESIDE_KEEPALIVED);
    const dir = nodeDir('e');
    f.onCleanup(() => rmSync(dir, { recursive: true, force: true }));
    const missing = join(dir, 'not-there.conf');
    const conf = (vrid: number, vip: string) => `include ${missing}\n` + GLOBAL_DEFS + instanceConf({ vrid, priority: 150, vips: [`${vip}/24`] });
    const k = f.keepalived('k', conf(52, '192.0.2.101'), ['-e']);
    const a = f.daemon('a', conf(51, '192.0.2.100'), { extraArgs: ['-e'] });
    await k.exited();
    expect(k.child.exitCode).toBe(6);
    expect(k.lines.some((l) => l.includes(`Config files missing '${missing}'`))).toBe(true);
    expect(await a.exitCode()).toBe(6);
    expect(a.lines.filter((l) => l.startsWith('keepalived-ts:'))).toEqual([expect.stringMatching(new RegExp(`^keepalived-ts: -e/--all-config: .*keepalived\\.conf:1:\\d+: .*${missing.replace(/[.]/g, '\\.')}`))]);
    expect(existsSync(a.pidFile)).toBe(false);

    // The same configs without -e: both start and become master.
    const k2 = f.keepalived('k', conf(52, '192.0.2.101'));
    const a2 = f.daemon('a', conf(51, '192.0.2.100'));
    await k2.waitFor(/Entering MASTER STATE/, 15_000);
    await a2.waitFor(/Entering MASTER STATE/, 15_000);
    a2.signal('SIGTERM');
    expect(await a2.exitCode()).toBe(0);
  });
});
