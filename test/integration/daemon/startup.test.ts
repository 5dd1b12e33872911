// Start-up and stop edges with our daemon as a real process: a missing interface is one clear
// line and keepalived's exit code; a VIP already on the interface is adopted (no duplicate) and
// left in place at stop, because we remove only what we added.
import { describe, expect } from 'vitest';
import { GLOBAL_DEFS, instanceConf, sleep, vipCount, waitStates, waitVip } from './daemon-lab.js';
import { netnsIt, V4_PAIR } from '../../helpers/netns-fixture.js';

const VIP = '192.0.2.100';

describe('daemon start-up and stop edges (real processes)', () => {
  netnsIt('dsu')('missing interface: keepalived\'s lines with file:line:col, no stack trace, exit code 2 (keepalived: permanent error CONFIG)', 60_000, async (f) => {
    const { lab } = f;
    f.hosts({ a: V4_PAIR.a });
    const a = f.daemon('a', GLOBAL_DEFS + instanceConf({ iface: 'eth9', priority: 100, vips: [`${VIP}/24`] }));
    const code = await a.exitCode();
    expect(code).toBe(2);
    // After the start-up banner (log lines), the problem: keepalived's words at the config line.
    const text = a.lines.filter((l) => l.trim() !== '' && !/^\d\d:\d\d:\d\d\.\d{3} INFO /.test(l));
    expect(text).toEqual([
      `${a.conf}:6:13: warning[no-interface]: WARNING - interface eth9 for vrrp_instance VI_1 doesn't exist (no such interface on this host)`,
      `${a.conf}:6:13: error[bad-interface]: Non-existent interface specified in configuration (1 missing on this host)`,
    ]);
    expect(a.lines.join('\n')).not.toMatch(/^\s+at /m);
    expect(lab.addresses('a').filter((x) => !x.includes(':'))).toEqual(['192.0.2.11/24']);
  });

  netnsIt('dsu')('address owner: a VIP already present is adopted, not duplicated, and not removed at stop', 60_000, async (f) => {
    const { lab } = f;
    f.hosts({ a: V4_PAIR.a });
    lab.exec('a', ['ip', 'addr', 'add', `${VIP}/24`, 'dev', 'eth0']);
    const a = f.daemon('a', GLOBAL_DEFS + instanceConf({ state: 'MASTER', priority: 255, vips: [`${VIP}/24`] }));
    await a.waitFor(/\(VI_1\) Entering MASTER STATE/, 15_000);
    await a.waitFor(/VIP already present: adopted/, 3000);
    expect(vipCount(lab, 'a', VIP)).toBe(1);
    a.signal('SIGTERM');
    expect(await a.exitCode()).toBe(0);
    expect(vipCount(lab, 'a', VIP)).toBe(1);
  });

  netnsIt('dsu')('non-owner: a VIP that appears while BACKUP is adopted on becoming MASTER and kept at stop; ours is removed', 60_000, async (f) => {
    const { lab } = f;
    f.hosts({ a: V4_PAIR.a });
    const OURS = '192.0.2.101';
    const a = f.daemon('a', GLOBAL_DEFS + instanceConf({ priority: 150, vips: [`${VIP}/24`, `${OURS}/24`] }));
    await a.waitFor(/\(VI_1\) Entering BACKUP STATE/, 15_000);
    // Let the start-up clean-up (keepalived removes leftover VIPs at init) finish first.
    await sleep(1000);
    // An operator (or another tool) adds one of the VIPs during the 3.4 s down interval.
    lab.exec('a', ['ip', 'addr', 'add', `${VIP}/24`, 'dev', 'eth0']);
    await waitVip(lab, 'a', OURS, true, 10_000);
    await waitStates(a, 'VI_1', ['BACKUP', 'MASTER']);
    await a.waitFor(/VIP already present: adopted.*192\.0\.2\.100/, 3000);
    expect(vipCount(lab, 'a', VIP)).toBe(1);
    expect(vipCount(lab, 'a', OURS)).toBe(1);
    a.signal('SIGTERM');
    expect(await a.exitCode()).toBe(0);
    expect(vipCount(lab, 'a', VIP)).toBe(1);
    expect(vipCount(lab, 'a', OURS)).toBe(0);
  });

  netnsIt('dsu')('no_accept picks nftables with keepalived\'s line and is not reported as missing; the instance runs (use_vmac: vmac.test.ts)', 60_000, async (f) => {
    const { lab } = f;
    f.hosts({ a: V4_PAIR.a });
    const a = f.daemon('a', GLOBAL_DEFS + instanceConf({ priority: 150, vips: [`${VIP}/24`], extra: ['no_accept'] }));
    await waitVip(lab, 'a', VIP, true, 15_000);
    expect(a.lines.filter((l) => /use_vmac is not supported/.test(l))).toEqual([]);
    expect(a.lines.filter((l) => /no_accept .* is not enforced yet/.test(l))).toHaveLength(0);
    expect(a.lines.filter((l) => l.includes('use_vmac or no_accept/strict specified, but no firewall configured - using nftables'))).toHaveLength(1);
    a.signal('SIGTERM');
    expect(await a.exitCode()).toBe(0);
  });
});
