// Our daemon as real processes in a lab of network namespaces: election, kill -9 failover within
// Master_Down_Interval, SIGTERM (priority 0) failover within about Skew_Time, clean stop.
import { describe, expect } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { V4_PAIR, netnsIt } from '../../helpers/netns-fixture.js';
import { FAILOVER_SLACK_MS, GLOBAL_DEFS, assertStableHolder, instanceConf, nodeDir, notifyScript, stateLines, vrrpTimes, waitSoleHolder, waitVip } from './daemon-lab.js';

const VIP = '192.0.2.100';
const conf = (priority: number, extra: string[] = []) => GLOBAL_DEFS + instanceConf({ priority, vips: [`${VIP}/24`], extra });
const labIt = netnsIt('dfo');

function report(label: string, ms: number): void {
  console.log(`[measure] ${label}: ${ms.toFixed(0)} ms`);
}

describe('daemon failover (2 nodes, real processes)', () => {
  labIt('higher priority is the sole master; kill -9 -> backup within Master_Down_Interval', 60_000, async (f) => {
    const { lab } = f;
    const hosts = f.hosts(V4_PAIR);
    const a = f.daemon('a', conf(150));
    const b = await f.backup('b', conf(100));
    await waitSoleHolder(lab, hosts, 'a', VIP, 20_000);
    await assertStableHolder(lab, hosts, 'a', VIP, 3000);
    expect(stateLines(a, 'VI_1').at(-1)).toBe('MASTER');
    expect(stateLines(b, 'VI_1').at(-1)).toBe('BACKUP');

    // kill -9: no priority-0 advert, the backup waits for Master_Down_Interval.
    const t0 = performance.now();
    a.signal('SIGKILL');
    const t1 = await waitVip(lab, 'b', VIP, true, 15_000);
    const { downMs } = vrrpTimes(2, 100, 1);
    report('kill -9 failover (v2, advert_int 1, backup prio 100)', t1 - t0);
    // The backup's last advert arrived up to one advert_int before the kill.
    expect(t1 - t0).toBeGreaterThan(downMs - 1000 - 100);
    expect(t1 - t0).toBeLessThan(downMs + FAILOVER_SLACK_MS);
    await b.waitFor(/\(VI_1\) Entering MASTER STATE/, 1000);
  });

  labIt('SIGTERM of the master: priority 0, takeover within about Skew_Time, VIP removed, STOP notify, exit 0', 60_000, async (f) => {
    const { lab } = f;
    const hosts = f.hosts(V4_PAIR);
    const dirA = nodeDir('a');
    const a = f.daemon('a', conf(150, [`notify_stop ${notifyScript(dirA, 'ns')}`]), { dir: dirA });
    await f.backup('b', conf(100));
    await waitSoleHolder(lab, hosts, 'a', VIP, 20_000);
    await assertStableHolder(lab, hosts, 'a', VIP, 1500);
    // Pid files hold the daemon's pid.
    expect(readFileSync(a.pidFile, 'utf8').trim()).toBe(String(a.child.pid));
    expect(readFileSync(a.vrrpPidFile, 'utf8').trim()).toBe(String(a.child.pid));

    const t0 = performance.now();
    a.signal('SIGTERM');
    const t1 = await waitVip(lab, 'b', VIP, true, 10_000, 5);
    const { skewMs, downMs } = vrrpTimes(2, 100, 1);
    report('SIGTERM failover (v2, backup prio 100, skew 609 ms)', t1 - t0);
    expect(t1 - t0).toBeLessThan(skewMs + 700);
    expect(t1 - t0).toBeLessThan(downMs - 1000);
    expect(await a.exitCode()).toBe(0);
    expect(a.lines.some((l) => /Entering MASTER STATE/.test(l))).toBe(true);
    // Our VIP is gone from the stopped master, pid files removed, STOP notify ran.
    expect(lab.addresses('a').filter((x) => !x.includes(':'))).toEqual(['192.0.2.11/24']);
    expect(existsSync(a.pidFile)).toBe(false);
    expect(existsSync(a.vrrpPidFile)).toBe(false);
    expect(a.notifications()).toEqual(['ns']);
    await assertStableHolder(lab, hosts, 'b', VIP, 1000);
  });
});
