// Interface faults and notify scripts with our daemon as real processes: the master's link goes
// down (FAULT, the backup takes over), comes back (BACKUP, then preempts back to MASTER), and
// every notify script receives exactly keepalived's argv, phase by phase, ending with STOP.
import { describe, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { V4_PAIR, netnsIt } from '../../helpers/netns-fixture.js';
import { GLOBAL_DEFS, instanceConf, nodeDir, notifyScript, vrrpTimes, waitSoleHolder, waitUntil, waitVip, waitStates, waitLastStates } from './daemon-lab.js';

const VIP = '192.0.2.100';

/** Splits notify lines into phases: each phase is one state's lines, sorted (scripts race). */
function phases(lines: string[]): string[][] {
  const out: string[][] = [];
  let cur: string[] = [];
  let state: string | undefined;
  for (const l of lines) {
    const s = /^(?:nm|nb|nf|ns)\b/.test(l) ? { nm: 'MASTER', nb: 'BACKUP', nf: 'FAULT', ns: 'STOP' }[l.slice(0, 2)] : l.split(' ')[3].slice(1, -1);
    // A phase is complete once both its lines are in.
    if (state !== undefined && (s !== state || cur.length === 2)) {
      out.push(cur.sort());
      cur = [];
    }
    state = s;
    cur.push(l);
  }
  if (cur.length) out.push(cur.sort());
  return out;
}

describe('link faults and notify scripts (real processes)', () => {
  netnsIt('dln')('link down on the master -> FAULT, backup takes over; link up -> BACKUP then preempt back; notify argv', 90_000, async (f) => {
    const { lab } = f;
    f.hosts(V4_PAIR);
    const dirA = nodeDir('a');
    const scripts = [
      `notify_master "${notifyScript(dirA, 'nm')} m1 'two words'"`,
      `notify_backup ${notifyScript(dirA, 'nb')}`,
      `notify_fault ${notifyScript(dirA, 'nf')}`,
      `notify_stop ${notifyScript(dirA, 'ns')}`,
      `notify ${notifyScript(dirA, 'N')}`,
    ];
    const a = f.daemon('a', GLOBAL_DEFS + instanceConf({ priority: 150, vips: [`${VIP}/24`], extra: scripts }), { dir: dirA });
    const b = await f.backup('b', GLOBAL_DEFS + instanceConf({ priority: 100, vips: [`${VIP}/24`] }));
    await waitSoleHolder(lab, ['a', 'b'], 'a', VIP, 20_000);
    await waitUntil('MASTER notifies', () => a.notifications().length >= 4, 3000);

    // Link down: the master faults and drops the VIP; the backup hears nothing and takes over.
    const t0 = performance.now();
    lab.setLink('a', false);
    await a.waitFor(/\(VI_1\) Entering FAULT STATE/, 3000);
    const tFault = performance.now();
    await waitVip(lab, 'a', VIP, false, 3000);
    const t1 = await waitVip(lab, 'b', VIP, true, 10_000);
    const { downMs } = vrrpTimes(2, 100, 1);
    console.log(`[measure] link down: FAULT after ${(tFault - t0).toFixed(0)} ms, backup holds VIP after ${(t1 - t0).toFixed(0)} ms (down interval ${downMs.toFixed(0)} ms)`);
    expect(tFault - t0).toBeLessThan(1000);
    expect(t1 - t0).toBeLessThan(downMs + 1000);
    await waitUntil('FAULT notifies', () => a.notifications().length >= 6, 3000);

    // Link up: BACKUP first, then a preempts b after its own down interval.
    const t2 = performance.now();
    lab.setLink('a', true);
    await a.waitFor(/\(VI_1\) Entering BACKUP STATE.*reason=(?!init)/, 3000);
    const t3 = await waitSoleHolder(lab, ['a', 'b'], 'a', VIP, 10_000, 10);
    console.log(`[measure] link up: preempted back after ${(t3 - t2).toFixed(0)} ms (down interval ${vrrpTimes(2, 150, 1).downMs.toFixed(0)} ms)`);
    await waitStates(a, 'VI_1', ['BACKUP', 'MASTER', 'FAULT', 'BACKUP', 'MASTER']);
    await waitLastStates(b, 'VI_1', ['MASTER', 'BACKUP']);
    await waitUntil('second MASTER notifies', () => a.notifications().length >= 10, 3000);

    a.signal('SIGTERM');
    expect(await a.exitCode()).toBe(0);
    const got = a.notifications();
    const m = ['N [INSTANCE] [VI_1] [MASTER] [150]', 'nm [m1] [two words]'];
    const bk = ['N [INSTANCE] [VI_1] [BACKUP] [150]', 'nb'];
    expect(phases(got)).toEqual([
      bk,
      m,
      ['N [INSTANCE] [VI_1] [FAULT] [150]', 'nf'],
      bk,
      m,
      ['N [INSTANCE] [VI_1] [STOP] [150]', 'ns'],
    ]);
  });

  netnsIt('dln')('notify_fifo: the daemon creates the FIFO and writes keepalived\'s lines in order, STOP last; removes the FIFO at exit', 60_000, async (f) => {
    const { lab } = f;
    f.hosts({ a: V4_PAIR.a });
    const dir = nodeDir('a');
    const fifo = join(dir, 'notify.fifo');
    const out = join(dir, 'fifo.out');
    const a = f.daemon('a', `global_defs {\n  script_user root\n  notify_fifo ${fifo}\n}\n` + instanceConf({ priority: 150, vips: [`${VIP}/24`] }), { dir });
    await waitUntil('FIFO created', () => existsSync(fifo) && statSync(fifo).isFIFO(), 15_000);
    const reader = f.watch(spawn('/bin/sh', ['-c', `exec cat "${fifo}" > "${out}"`], { stdio: 'ignore' }));
    const readerDone = reader.exited();
    await waitVip(lab, 'a', VIP, true, 15_000);
    a.signal('SIGTERM');
    expect(await a.exitCode()).toBe(0);
    await readerDone; // EOF once the daemon closed its end
    expect(readFileSync(out, 'utf8')).toBe('INSTANCE "VI_1" BACKUP 150\nINSTANCE "VI_1" MASTER 150\nINSTANCE "VI_1" STOP 150\n');
    expect(existsSync(fifo)).toBe(false);
  });
});
