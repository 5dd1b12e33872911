// notify_fifo / lvs_notify_fifo and notify_up / notify_down of real servers, ours against
// keepalived 2.2.7 byte for byte, in one VM boot (this machine's kernel has no IPVS, and
// keepalived's checker process does not run without it). guest/lvs-notify-guest.mjs runs each
// director with -C on the same config (a TCP virtual server with quorum 2 and a fwmark virtual
// server, notify scripts that append their argv to a file): real server A's listener stops,
// then starts again, then SIGTERM. Required: every byte each FIFO carried is the same, and the
// scripts ran with the same argv in the same order. Nothing is normalised (the lines carry no
// timestamps).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect } from 'vitest';
import { itWhen } from '../helpers/require.js';
import { lvsGuestSetup, OURS_BUNDLE, OURS_ENV, oursMissing, vmJson } from './lvs-vm.js';
import { runInVm, vmMissing, type VmResult } from './vm.js';

const here = dirname(fileURLToPath(import.meta.url));
const itOurs = itWhen(vmMissing, oursMissing);
const itVm = itWhen(vmMissing);

interface Run {
  who: string;
  steps: { name: string; ok: boolean; ms: number }[];
  exit: { code: number | null; signal: string | null };
  fifos: Record<string, string>;
  argv: string[];
  log: string;
}

let vm: VmResult | undefined;
const runOf = (who: string): Run => vmJson<Run>(vm, `lvs-notify.${who}.json`);
const fifo = (r: Run, name: string): string => Buffer.from(r.fifos[name] ?? '', 'base64').toString('latin1');
const show = (s: string): string => JSON.stringify(s);
const report = (r: Run): string =>
  `${r.who}: ${r.steps.map((s) => `${s.ok ? 'ok' : 'FAILED'} ${s.name} (${Math.round(s.ms)} ms)`).join('; ')}\n` +
  `notify_fifo ${show(fifo(r, 'notify'))}\nlvs_notify_fifo ${show(fifo(r, 'lvs'))}\nargv ${JSON.stringify(r.argv)}\nlog:\n${r.log.slice(-3000)}`;

describe('LVS notify_fifo and notify_up/notify_down against keepalived 2.2.7 (qemu VM)', () => {
  beforeAll(async () => {
    if (vmMissing() !== undefined) return;
    const guest = join(here, 'guest/lvs-notify-guest.mjs');
    vm = await runInVm(
      `
${lvsGuestSetup(['198.51.100.1/24', '198.51.100.11/32', '198.51.100.12/32'])}
node ${guest} keepalived keepalived
${oursMissing() === undefined ? `node ${guest} ours node ${OURS_BUNDLE}` : ''}
`,
      { timeoutMs: 300_000, env: OURS_ENV },
    );
  }, 330_000);

  itVm("keepalived's run is a real one: both events reached both FIFOs and both scripts", () => {
    const k = runOf('keepalived');
    console.info(report(k));
    for (const s of k.steps) expect(s.ok, report(k)).toBe(true);
    for (const name of ['notify', 'lvs']) {
      expect(fifo(k, name), report(k)).toContain('RS [198.51.100.11]:tcp:8080 [192.0.2.1]:tcp:80 DOWN\n');
      expect(fifo(k, name), report(k)).toContain('RS [198.51.100.11]:tcp:8080 [192.0.2.1]:tcp:80 UP\n');
    }
    expect(k.argv.filter((l) => l.includes('|down|198.51.100.11|')), report(k)).toHaveLength(1);
    expect(k.argv.filter((l) => l.includes('|up|198.51.100.11|')).length, report(k)).toBeGreaterThanOrEqual(1);
  });

  itOurs('ours wrote the same bytes to each FIFO and ran the scripts with the same argv, in the same order', () => {
    const k = runOf('keepalived');
    const o = runOf('ours');
    for (const s of o.steps) expect(s.ok, report(o)).toBe(true);
    expect(show(fifo(o, 'notify')), `${report(o)}\n\n${report(k)}`).toBe(show(fifo(k, 'notify')));
    expect(show(fifo(o, 'lvs')), `${report(o)}\n\n${report(k)}`).toBe(show(fifo(k, 'lvs')));
    expect(o.argv, `${report(o)}\n\n${report(k)}`).toEqual(k.argv);
    expect(o.exit.code, report(o)).toBe(0);
  });
});
