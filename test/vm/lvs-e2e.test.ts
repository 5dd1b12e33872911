// The LVS director end to end in a VM (this machine's kernel has no IPVS): real servers are TCP
// listeners on the VM's addresses; the guest (guest/lvs-e2e-guest.mjs) stops and restarts them,
// deletes an entry with ipvsadm, takes every listener down for quorum loss and watches the table
// follow: removal, return, inhibit_on_failure's weight 0, the deleted entry put back, the sorry
// server, a foreign service left alone, nothing of the director's left after SIGTERM.
// keepalived 2.2.7 runs the same steps first in the same boot: it shows the scenario is sound
// (every step but the put-back, which keepalived does not do), and its timings are the yardstick.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect } from 'vitest';
import { itWhen } from '../helpers/require.js';
import { lvsGuestSetup, OURS_BUNDLE, OURS_ENV, oursMissing, vmJson } from './lvs-vm.js';
import { runInVm, vmMissing, type VmResult } from './vm.js';

const here = dirname(fileURLToPath(import.meta.url));
const itVm = itWhen(vmMissing);
const itOurs = itWhen(vmMissing, oursMissing);

interface Step {
  name: string;
  ok: boolean;
  ms: number;
  table: string;
}
interface Run {
  who: string;
  steps: Step[];
  exit: { code: number | null; signal: string | null };
  log: string;
}

/** The step keepalived 2.2.7 does not do: it never looks at the kernel's table after start. */
const PUT_BACK = 'entry C deleted with ipvsadm: put back';

let vm: VmResult | undefined;
const runOf = (who: string): Run => vmJson<Run>(vm, `e2e.${who}.json`);
const report = (r: Run): string => `${r.who}: ${r.steps.map((s) => `${s.ok ? 'ok' : 'FAILED'} ${s.name} (${Math.round(s.ms)} ms)${s.ok ? '' : `\n${s.table}`}`).join('\n')}\nlog:\n${r.log.slice(-4000)}`;

describe('LVS director end to end with real listeners (qemu VM)', () => {
  beforeAll(async () => {
    if (vmMissing() !== undefined) return;
    const conf = join(here, 'lvs-e2e.conf');
    const guest = join(here, 'guest/lvs-e2e-guest.mjs');
    vm = await runInVm(
      `
${lvsGuestSetup(['198.51.100.1/24', '198.51.100.11/32', '198.51.100.12/32', '198.51.100.13/32'])}
node ${guest} keepalived ${conf} keepalived
${oursMissing() === undefined ? `node ${guest} ours ${conf} node ${OURS_BUNDLE}` : ''}
`,
      { timeoutMs: 420_000, env: OURS_ENV },
    );
  }, 450_000);

  itVm('keepalived passes every step but the put-back (the scenario itself is sound)', () => {
    const r = runOf('keepalived');
    console.info(`keepalived's steps:\n${r.steps.map((s) => `  ${s.ok ? 'ok' : 'not done'} ${s.name} (${Math.round(s.ms)} ms)`).join('\n')}`);
    for (const s of r.steps) expect(s.ok, report(r)).toBe(s.name !== PUT_BACK);
    expect(r.exit.code, report(r)).toBe(0);
  });

  itOurs('our daemon passes every step, and exits 0 at SIGTERM', () => {
    const r = runOf('ours');
    console.info(`our steps:\n${r.steps.map((s) => `  ${s.ok ? 'ok' : 'FAILED'} ${s.name} (${Math.round(s.ms)} ms)`).join('\n')}`);
    for (const s of r.steps) expect(s.ok, report(r)).toBe(true);
    expect(r.exit.code, report(r)).toBe(0);
  });
});
