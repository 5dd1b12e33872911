// vrrp_script tracking with our daemon as real processes: the script is `test -f FLAGFILE`;
// removing the flag moves the VIP to the backup, restoring it moves it back (default preempt).
import { describe, expect } from 'vitest';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GLOBAL_DEFS, instanceConf, nodeDir, waitStates, waitLastStates, sleep, waitSoleHolder } from './daemon-lab.js';
import { netnsIt, V4_PAIR, type NetnsFixture } from '../../helpers/netns-fixture.js';

const VIP = '192.0.2.100';

function scriptConf(flag: string, weight: number): string {
  return `vrrp_script chk_flag {\n  script "/usr/bin/test -f ${flag}"\n  interval 1\n  weight ${weight}\n  rise 1\n  fall 1\n}\n`;
}

async function scenario(f: NetnsFixture, weight: number, expectA: string[]): Promise<void> {
  const { lab } = f;
  f.hosts(V4_PAIR);
  const dirA = nodeDir('a');
  const flag = join(dirA, 'healthy');
  writeFileSync(flag, '');
  const a = f.daemon('a', GLOBAL_DEFS + scriptConf(flag, weight) + instanceConf({ priority: 150, vips: [`${VIP}/24`], extra: ['track_script {', '  chk_flag', '}'] }), { dir: dirA });
  const b = await f.backup('b', GLOBAL_DEFS + instanceConf({ priority: 100, vips: [`${VIP}/24`] }));
  await waitSoleHolder(lab, ['a', 'b'], 'a', VIP, 20_000);

  const t0 = performance.now();
  rmSync(flag);
  const t1 = await waitSoleHolder(lab, ['a', 'b'], 'b', VIP, 15_000, 10);
  console.log(`[measure] track_script weight ${weight}: flag removed -> VIP on backup after ${(t1 - t0).toFixed(0)} ms`);

  const t2 = performance.now();
  writeFileSync(flag, '');
  const t3 = await waitSoleHolder(lab, ['a', 'b'], 'a', VIP, 15_000, 10);
  console.log(`[measure] track_script weight ${weight}: flag restored -> VIP back after ${(t3 - t2).toFixed(0)} ms`);
  await waitStates(a, 'VI_1', expectA);
  await waitLastStates(b, 'VI_1', ['MASTER', 'BACKUP']);
}

const labIt = netnsIt('dts');

describe('track_script (real processes)', () => {
  labIt('weight 0: failing script faults the master, the backup takes over; success brings it back', 90_000, async (f) => {
    // The instance waits silently for the weight-0 script's first result and enters BACKUP on its
    // first success, with no FAULT before it (keepalived 2.2.7, tracker-startup.test.ts).
    // FAULT from MASTER sends priority 0, so the backup takes over after Skew_Time.
    await scenario(f, 0, ['BACKUP', 'MASTER', 'FAULT', 'BACKUP', 'MASTER']);
  });

  labIt('negative weight: 150 - 60 = 90 < 100, the backup preempts; success restores 150 and a preempts back', 90_000, async (f) => {
    await scenario(f, -60, ['BACKUP', 'MASTER', 'BACKUP', 'MASTER']);
  });

  labIt('a hanging script times out as a failure (weight 0: FAULT) and its process is killed', 90_000, async (f) => {
    const { lab } = f;
    f.hosts(V4_PAIR);
    const dirA = nodeDir('a');
    const flag = join(dirA, 'hang');
    const script = join(dirA, 'check.sh');
    writeFileSync(script, `#!/bin/sh\n[ -f ${flag} ] && exec sleep 300\nexit 0\n`);
    chmodSync(script, 0o755);
    const conf = `vrrp_script chk_hang {\n  script "${script}"\n  interval 1\n  timeout 1\n  weight 0\n}\n`;
    const a = await f.backup('a', GLOBAL_DEFS + conf + instanceConf({ priority: 150, vips: [`${VIP}/24`], extra: ['track_script {', '  chk_hang', '}'] }), { dir: dirA }, 15_000);
    const b = await f.backup('b', GLOBAL_DEFS + instanceConf({ priority: 100, vips: [`${VIP}/24`] }));
    await waitSoleHolder(lab, ['a', 'b'], 'a', VIP, 20_000);

    const t0 = performance.now();
    writeFileSync(flag, '');
    const t1 = await waitSoleHolder(lab, ['a', 'b'], 'b', VIP, 15_000, 10);
    console.log(`[measure] hanging track_script (interval 1, timeout 1): VIP on backup after ${(t1 - t0).toFixed(0)} ms`);
    expect(t1 - t0).toBeLessThan(4000);
    rmSync(flag);
    await waitSoleHolder(lab, ['a', 'b'], 'a', VIP, 15_000, 10);
    await waitStates(a, 'VI_1', ['BACKUP', 'MASTER', 'FAULT', 'BACKUP', 'MASTER']);
    // Timed-out runs were killed: no `sleep 300` left in a's namespace.
    await sleep(2500);
    const pids = lab.ns(lab.host('a').netns, ['ip', 'netns', 'pids', lab.host('a').netns]).split('\n').filter(Boolean);
    const sleeping = pids.filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith('sleep');
      } catch {
        return false;
      }
    });
    expect(sleeping).toEqual([]);
  });
});
