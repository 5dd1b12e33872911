// Twenty reloads of the LVS director in one VM boot (this machine's kernel has no IPVS), with the
// kernel operations counted from outside the daemon: an nlmon device shows every netlink message
// of the guest, tcpdump records them, and test/vm/nlmon-capture.ts lists the IPVS requests that
// change the table, cut into steps by the times the guest marked (guest/lvs-reload-guest.mjs).
//
// The plan (STEPS): unchanged configs (by SIGHUP and by `keepalived-ts reload` over the control
// socket), a comment added, a weight changed and back, a real server added and removed, a virtual
// server added and removed, a scheduler changed, a refusing real server added and removed, and
// one broken config among them. Real servers A, B and C listen; D and F refuse, so their checkers
// hold them out of the table. What must hold for ours:
//   * every step's table is the one its config and the health say (EXPECTED lines of
//     `ipvsadm -Sn`), the same as keepalived 2.2.7's after the same SIGHUPs in the same boot;
//   * the kernel operations of each step are exactly the ones its change needs: none for an
//     unchanged config, one SET_DEST for a weight, one NEW_DEST / DEL_DEST for a real server, ...
//     and none at all after the broken config, which `keepalived-ts reload` answers with exit 1
//     and the diagnostic's file:line:col;
//   * health is kept: D is never put back (no NEW_DEST then DEL_DEST), A and B never leave;
//   * a real server added by a reload is checked: F, which refuses, goes in and out again with
//     the same operations as keepalived's; C, which listens, stays;
//   * the status document's ipvs.stats count the same operations as the capture.
// keepalived's own operations per step are printed beside ours (it is given reload_check_config,
// which every config carries, so it refuses the broken file as we do).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect } from 'vitest';
import { itWhen } from '../helpers/require.js';
import { runInVm, vmMissing, type VmResult } from './vm.js';
import { genericMessages, ipvsFamilyId, ipvsWriteOps, opLine, readNetlinkPcap, type IpvsWriteOp } from './nlmon-capture.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '../..');
const bundle = join(repo, 'dist/bin/keepalived-ts.mjs');
const bundleMissing = (): string | undefined => (existsSync(bundle) ? undefined : 'no bundle: npm run build:ts && npm run build:bundle');
const itVm = itWhen(vmMissing);
const itOurs = itWhen(vmMissing, bundleMissing);

const VS1 = '192.0.2.1';
const VS2 = '192.0.2.2';
const A = '198.51.100.11';
const B = '198.51.100.12';
const C = '198.51.100.13';
/** Nothing listens: its checker fails, so it is never in the table. */
const D = '198.51.100.14';
/** Only in the broken config. */
const E = '198.51.100.15';
/** Added by a reload while nothing listens: its new checker must take it out again, as keepalived's does. */
const F = '198.51.100.16';
const LISTENING = [A, B, C];

interface Shape {
  readonly weightB: number;
  readonly withC: boolean;
  readonly withF?: boolean;
  readonly withVs2: boolean;
  readonly algo: 'rr' | 'wlc';
  /** A comment and blank lines that change nothing. */
  readonly note?: boolean;
  /** A real server with an invalid weight (`2x`) and a changed weight beside it. */
  readonly broken?: boolean;
}

const rs = (addr: string, weight: number | string): string => `    real_server ${addr} 8080 {
        weight ${weight}
        TCP_CHECK {
            connect_timeout 1
            retry 0
        }
    }
`;

function conf(s: Shape): string {
  let t = `global_defs {
    reload_check_config
}
${s.note ? '\n# Comments and blank lines are not configuration.\n\n' : ''}virtual_server ${VS1} 80 {
    delay_loop 1
    lb_algo ${s.algo}
    lb_kind NAT
    protocol TCP
${rs(A, s.broken ? 5 : 1)}${rs(B, s.weightB)}${s.withC ? rs(C, 1) : ''}${rs(D, 1)}${s.withF ? rs(F, 1) : ''}${s.broken ? rs(E, '2x') : ''}}
`;
  if (s.withVs2) t += `virtual_server ${VS2} 80 {\n    delay_loop 1\n    lb_algo rr\n    lb_kind NAT\n    protocol TCP\n${rs(A, 1)}}\n`;
  return t;
}

/** `ipvsadm -Sn` lines of the table a shape should give (D and F are down), sorted. */
function expectedTable(s: Shape): string[] {
  const lines = [`-A -t ${VS1}:80 -s ${s.algo}`, `-a -t ${VS1}:80 -r ${A}:8080 -m -w 1`, `-a -t ${VS1}:80 -r ${B}:8080 -m -w ${s.weightB}`];
  if (s.withC) lines.push(`-a -t ${VS1}:80 -r ${C}:8080 -m -w 1`);
  if (s.withVs2) lines.push(`-A -t ${VS2}:80 -s rr`, `-a -t ${VS2}:80 -r ${A}:8080 -m -w 1`);
  return lines.sort();
}
const tableLines = (sn: string): string[] =>
  sn
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .sort();

interface Step {
  readonly name: string;
  /** How ours is asked (keepalived always gets SIGHUP). */
  readonly via: 'hup' | 'ctl';
  readonly shape: Shape;
  /** Our kernel operations in this step (opLine), in order; or the same as keepalived's in this step. */
  readonly ops: readonly string[] | 'as keepalived';
  /** The answer of `keepalived-ts reload` (ctl steps). */
  readonly outcome?: 'applied' | 'unchanged' | 'rejected';
}

const BASE: Shape = { weightB: 1, withC: false, withVs2: false, algo: 'rr' };
const W3: Shape = { ...BASE, weightB: 3 };
const WITH_C: Shape = { ...W3, withC: true };
const WITH_F: Shape = { ...WITH_C, withF: true };
const WITH_VS2: Shape = { ...WITH_F, withVs2: true };
const WLC: Shape = { ...WITH_VS2, algo: 'wlc' };
const NO_F: Shape = { ...WLC, withF: false };
const NO_C: Shape = { ...NO_F, withC: false };
const NO_VS2: Shape = { ...NO_C, withVs2: false };
const W1: Shape = { ...NO_VS2, weightB: 1 };
const svc1 = `tcp ${VS1}:80`;
const svc2 = `tcp ${VS2}:80`;

const STEPS: readonly Step[] = [
  { name: 'unchanged', via: 'hup', shape: BASE, ops: [] },
  { name: 'unchanged', via: 'ctl', shape: BASE, ops: [], outcome: 'unchanged' },
  { name: 'a comment and blank lines added', via: 'hup', shape: { ...BASE, note: true }, ops: [] },
  { name: "B's weight 1 -> 3", via: 'ctl', shape: W3, ops: [`SET_DEST ${svc1} -> ${B}:8080 w3`], outcome: 'applied' },
  { name: 'unchanged', via: 'hup', shape: W3, ops: [] },
  { name: 'real server C added', via: 'ctl', shape: WITH_C, ops: [`NEW_DEST ${svc1} -> ${C}:8080 w1`], outcome: 'applied' },
  { name: 'real server F added, refusing', via: 'hup', shape: WITH_F, ops: 'as keepalived' },
  { name: 'broken config (weight 2x)', via: 'ctl', shape: { ...WITH_F, broken: true }, ops: [], outcome: 'rejected' },
  { name: 'the good config again', via: 'hup', shape: WITH_F, ops: [] },
  { name: 'virtual server 2 added', via: 'ctl', shape: WITH_VS2, ops: [`NEW_SERVICE ${svc2} rr`, `NEW_DEST ${svc2} -> ${A}:8080 w1`], outcome: 'applied' },
  { name: 'unchanged', via: 'hup', shape: WITH_VS2, ops: [] },
  { name: 'lb_algo rr -> wlc', via: 'ctl', shape: WLC, ops: [`SET_SERVICE ${svc1} wlc`], outcome: 'applied' },
  { name: 'real server F (down, not in the table) removed', via: 'hup', shape: NO_F, ops: [] },
  { name: 'real server C removed', via: 'ctl', shape: NO_C, ops: [`DEL_DEST ${svc1} -> ${C}:8080`], outcome: 'applied' },
  { name: 'unchanged', via: 'hup', shape: NO_C, ops: [] },
  { name: 'virtual server 2 removed', via: 'ctl', shape: NO_VS2, ops: [`DEL_SERVICE ${svc2}`], outcome: 'applied' },
  { name: 'unchanged', via: 'hup', shape: NO_VS2, ops: [] },
  { name: "B's weight 3 -> 1", via: 'ctl', shape: W1, ops: [`SET_DEST ${svc1} -> ${B}:8080 w1`], outcome: 'applied' },
  { name: 'unchanged', via: 'hup', shape: W1, ops: [] },
  { name: 'unchanged', via: 'ctl', shape: W1, ops: [], outcome: 'unchanged' },
];

/** The table a step must leave: a rejected config leaves the one before it. */
const standing = (i: number): Shape => (STEPS[i].shape.broken ? standing(i - 1) : STEPS[i].shape);

interface GuestStep {
  name: string;
  via: 'hup' | 'ctl';
  t0: number;
  answer: { code: number | null; stdout: string; stderr: string } | null;
  outcomeSeen: boolean | null;
  /** From the request to our outcome line or answer (ms). */
  reloadMs: number;
  table: string;
  settled: boolean;
  stats: { opsApplied: number; opsRefused: number } | null;
}
interface GuestRun {
  who: string;
  startedAt: number;
  start: { table: string; settled: boolean; stats: GuestStep['stats'] };
  steps: GuestStep[];
  stopAt: number;
  exit: { code: number | null; signal: string | null };
  after: string;
  log: string;
}

let vm: VmResult | undefined;
const runOf = (who: string): GuestRun => {
  const b = vm?.files.get(`reload.${who}.json`);
  if (!b) {
    const partial = vm?.files.get(`reload.${who}.partial.json`)?.toString('utf8');
    const steps = partial ? (JSON.parse(partial) as GuestRun).steps.map((s, i) => `${i + 1} ${s.name}: reload ${s.reloadMs} ms, settled ${s.settled}`).join('\n') : 'no step done';
    const log = vm?.files.get(`reload.${who}.log`)?.toString('utf8').slice(-3000) ?? '';
    throw new Error(`the VM left no reload.${who}.json (exit ${vm?.exitCode}, timed out ${vm?.timedOut})\n${vm?.output ?? ''}\nsteps done:\n${steps}\nlog:\n${log}`);
  }
  return JSON.parse(b.toString('utf8')) as GuestRun;
};

/** Every IPVS write in the capture. */
let captured: IpvsWriteOp[] | undefined;
function capture(): IpvsWriteOp[] {
  if (captured) return captured;
  const file = vm?.files.get('nl.pcap');
  if (!file) throw new Error(`the VM left no capture\n${vm?.output ?? ''}`);
  const msgs = genericMessages(readNetlinkPcap(file));
  const family = ipvsFamilyId(msgs);
  if (family === undefined) throw new Error('no lookup of the IPVS family in the capture');
  captured = ipvsWriteOps(msgs, family);
  return captured;
}

/** The operations of each part of a run: [start, step 1 ... step 20, stop]. */
function windows(r: GuestRun): IpvsWriteOp[][] {
  const marks = [r.startedAt, ...r.steps.map((s) => s.t0), r.stopAt, Number.POSITIVE_INFINITY];
  const end = r.stopAt + 30_000;
  // From the run's own start: the `ipvsadm -C` that ends the run before it (keepalived's) can fall
  // within a second of it and is not this daemon's.
  const ops = capture().filter((o) => o.atMs >= r.startedAt && o.atMs < end);
  return marks.slice(0, -1).map((m, i) => ops.filter((o) => o.atMs >= m && o.atMs < Math.min(marks[i + 1], end)));
}

const report = (r: GuestRun): string =>
  r.steps
    .map((s, i) => {
      const ops = windows(r)[i + 1].map(opLine);
      return `${String(i + 1).padStart(2)} ${s.via.padEnd(3)} ${STEPS[i].name}: ${ops.length} op(s)${ops.length ? ` [${ops.join('; ')}]` : ''}${s.answer ? ` exit ${s.answer.code}` : ''}, ${s.reloadMs} ms${s.settled ? '' : ' (table not settled)'}`;
    })
    .join('\n');
const withLog = (r: GuestRun): string => `${report(r)}\nlog (end):\n${r.log.slice(-4000)}`;

describe('LVS director: 20 reloads with the kernel operations counted on nlmon, against keepalived 2.2.7 (qemu VM)', () => {
  beforeAll(async () => {
    if (vmMissing() !== undefined) return;
    const files: Record<string, string> = { 'reload-start.conf': conf(BASE) };
    STEPS.forEach((s, i) => (files[`reload-${String(i + 1).padStart(2, '0')}.conf`] = conf(s.shape)));
    const plan = {
      start: 'reload-start.conf',
      startTable: expectedTable(BASE),
      listening: LISTENING,
      steps: STEPS.map((s, i) => ({ name: s.name, via: s.via, conf: `reload-${String(i + 1).padStart(2, '0')}.conf`, table: expectedTable(standing(i)) })),
      // delay_loop 1 with connect_timeout 1: a checker runs at least once in settleMs.
      settleMs: 1500,
      quietMs: 1000,
      startLimitMs: 40_000,
      stepLimitMs: 15_000,
    };
    files['plan.json'] = JSON.stringify(plan);
    const guest = join(here, 'guest/lvs-reload-guest.mjs');
    vm = await runInVm(
      `
modprobe ip_vs
modprobe nlmon
ip link add nlmon0 type nlmon
ip link set nlmon0 up
ip link add dummy0 type dummy
ip link set dummy0 up
ip addr add 198.51.100.1/24 dev dummy0
for a in ${[A, B, C, D, E, F].join(' ')}; do ip addr add $a/32 dev dummy0; done
tcpdump -i nlmon0 -U -w nl.pcap 2> tcpdump.log &
TD=$!
i=0; while ! grep -q listening tcpdump.log && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
date +%T; node ${guest} keepalived plan.json keepalived
${bundleMissing() === undefined ? `date +%T; node ${guest} ours plan.json node ${bundle}` : ''}
date +%T
sleep 1
kill $TD
wait $TD
`,
      { timeoutMs: 900_000, files, env: { KEEPALIVED_TS_NATIVE: join(repo, 'build/Release/keepalived_ts_native.node') } },
    );
    console.info(`VM run: ${Math.round(vm.elapsedMs / 1000)} s, exit ${vm.exitCode}`);
  }, 940_000);

  itVm('keepalived: every step leaves the table its config says, D never in, nothing after SIGTERM (the scenario is sound)', () => {
    const k = runOf('keepalived');
    console.info(`keepalived 2.2.7, kernel operations per reload (capture):\n${report(k)}`);
    expect(tableLines(k.start.table), withLog(k)).toEqual(expectedTable(BASE));
    k.steps.forEach((s, i) => expect({ step: i + 1, table: tableLines(s.table) }, withLog(k)).toEqual({ step: i + 1, table: expectedTable(standing(i)) }));
    expect(k.after.trim(), withLog(k)).toBe('');
    expect(k.exit.code, withLog(k)).toBe(0);
  });

  itOurs('ours: every step leaves the same table as its config says and as keepalived left after the same reload', () => {
    const o = runOf('ours');
    const k = runOf('keepalived');
    expect(tableLines(o.start.table), withLog(o)).toEqual(expectedTable(BASE));
    o.steps.forEach((s, i) => {
      expect({ step: i + 1, settled: s.settled, table: tableLines(s.table) }, withLog(o)).toEqual({ step: i + 1, settled: true, table: expectedTable(standing(i)) });
      expect({ step: i + 1, table: tableLines(s.table) }, withLog(o)).toEqual({ step: i + 1, table: tableLines(k.steps[i].table) });
    });
    expect(o.after.trim(), withLog(o)).toBe('');
    expect(o.exit.code, withLog(o)).toBe(0);
  });

  itOurs('ours: each reload issues exactly the kernel operations its change needs (nlmon capture); unchanged and broken configs none', () => {
    const o = runOf('ours');
    console.info(`ours, kernel operations per reload (capture):\n${report(o)}`);
    const w = windows(o);
    // The start put the table in place (D may go in and out before its first check fails).
    expect(w[0].map(opLine), withLog(o)).toEqual(expect.arrayContaining([`NEW_SERVICE ${svc1} rr`, `NEW_DEST ${svc1} -> ${A}:8080 w1`, `NEW_DEST ${svc1} -> ${B}:8080 w1`]));
    const theirs = windows(runOf('keepalived'));
    STEPS.forEach((s, i) => {
      const want = s.ops === 'as keepalived' ? theirs[i + 1].map(opLine) : s.ops;
      expect({ step: i + 1, name: s.name, ops: w[i + 1].map(opLine) }, withLog(o)).toEqual({ step: i + 1, name: s.name, ops: want });
    });
    expect(STEPS.filter((s) => s.ops.length === 0).length).toBeGreaterThanOrEqual(10);
  });

  itOurs('ours: a real server added by a reload gets its checkers: F (refusing) goes in and out as in keepalived, C (listening) stays', () => {
    const o = runOf('ours');
    const k = runOf('keepalived');
    const i = STEPS.findIndex((s) => s.shape.withF === true);
    const fOps = (r: GuestRun) => windows(r)[i + 1].filter((op) => op.dest === `${F}:8080`).map(opLine);
    // keepalived adds a new real server at once and takes it out after its first failed check.
    expect(fOps(k), withLog(k)).toEqual([`NEW_DEST ${svc1} -> ${F}:8080 w1`, `DEL_DEST ${svc1} -> ${F}:8080`]);
    expect(fOps(o), withLog(o)).toEqual(fOps(k));
    for (const s of o.steps) expect({ step: s.name, F: s.table.includes(`${F}:8080`) }).toEqual({ step: s.name, F: false });
    expect(o.steps.filter((s) => s.table.includes(`-r ${C}:8080`)).length).toBe(STEPS.filter((_, j) => standing(j).withC).length);
  });

  itOurs("ours: health is kept across reloads: D (refusing) is never put back, A and B never leave, no operation names them but B's weight edits", () => {
    const o = runOf('ours');
    const named = (addr: string) => windows(o).slice(1, -1).flat().filter((op) => op.dest?.startsWith(`${addr}:`) && op.service === svc1).map(opLine);
    expect(named(D), withLog(o)).toEqual([]);
    expect(named(A), withLog(o)).toEqual([]);
    expect(named(B), withLog(o)).toEqual([`SET_DEST ${svc1} -> ${B}:8080 w3`, `SET_DEST ${svc1} -> ${B}:8080 w1`]);
    for (const [i, s] of o.steps.entries()) {
      const t = s.table;
      expect({ step: i + 1, D: t.includes(`${D}:8080`), A: t.includes(`-t ${VS1}:80 -r ${A}:8080`), B: t.includes(`-r ${B}:8080`) }, withLog(o)).toEqual({ step: i + 1, D: false, A: true, B: true });
    }
  });

  itOurs('ours: `keepalived-ts reload` answers each outcome; the broken config exits 1 naming file:line:col, SIGHUP reloads log theirs', () => {
    const o = runOf('ours');
    STEPS.forEach((s, i) => {
      const g = o.steps[i];
      expect({ step: i + 1, outcomeSeen: g.outcomeSeen }, withLog(o)).toEqual({ step: i + 1, outcomeSeen: true });
      if (s.via === 'hup') return;
      const a = g.answer;
      expect(a, withLog(o)).not.toBeNull();
      const text = `${a?.stdout ?? ''}${a?.stderr ?? ''}`;
      expect({ step: i + 1, code: a?.code, first: text.split('\n')[0] }, withLog(o)).toEqual({ step: i + 1, code: s.outcome === 'rejected' ? 1 : 0, first: `reload ${s.outcome}` });
      if (s.outcome === 'rejected') expect(text).toMatch(/keepalived\.conf:\d+:\d+: error\[invalid-number\]: invalid number '2x'/);
    });
  });

  itOurs("ours: the status document's ipvs.stats count the same operations as the capture, none refused", () => {
    const o = runOf('ours');
    const w = windows(o);
    let before = o.start.stats;
    expect(before, withLog(o)).not.toBeNull();
    expect(before?.opsApplied).toBe(w[0].length);
    o.steps.forEach((s, i) => {
      expect({ step: i + 1, counted: (s.stats?.opsApplied ?? NaN) - (before?.opsApplied ?? NaN), refused: s.stats?.opsRefused }, withLog(o)).toEqual({ step: i + 1, counted: w[i + 1].length, refused: 0 });
      before = s.stats;
    });
  });
});
