// The RecordingKernel's model must answer like the real kernel where the daemon depends on it:
// the same call sequence runs on NetlinkKernel (inside a namespace this file creates) and on a
// RecordingKernel, and outcomes (added / adopted / error code) and resulting address lists match.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { isRoot, itWhen } from '../../helpers/require.js';
import { RecordingKernel } from '../../../src/kernel/recording-kernel.js';
import { KernelError } from '../../../src/kernel/errors.js';

const here = dirname(fileURLToPath(import.meta.url));
const NS = `ktkp${process.pid}`;
const it = itWhen(isRoot);

type Call = { op: string; arg: unknown[] };
const add = (spec: object): Call => ({ op: 'addAddress', arg: [{ dev: 'a0', ...spec }] });
const del = (spec: object): Call => ({ op: 'deleteAddress', arg: [{ dev: 'a0', ...spec }] });

const SCENARIO: Call[] = [
  add({ address: '192.0.2.1', prefixLength: 24 }),
  add({ address: '192.0.2.2', prefixLength: 24 }), // secondary of .1
  add({ address: '192.0.2.1', prefixLength: 24 }), // adopted
  add({ address: '192.0.2.1', prefixLength: 32 }), // a different address to the kernel
  add({ address: '198.51.100.1', prefixLength: 24, label: 'a0:x' }),
  add({ address: '2001:db8::1', prefixLength: 64, noDad: true }),
  add({ address: '2001:db8::1', prefixLength: 128, noDad: true }), // IPv6: same address, EEXIST
  add({ address: '192.0.2.9', dev: 'nosuch' }),
  { op: 'listAddresses', arg: [] },
  del({ address: '192.0.2.1', prefixLength: 24 }), // primary: its secondary .2 goes too
  del({ address: '192.0.2.2', prefixLength: 24 }), // hence EADDRNOTAVAIL
  del({ address: '2001:db8::1', prefixLength: 128 }), // wrong prefix
  del({ address: '2001:db8::1', prefixLength: 64 }),
  { op: 'listAddresses', arg: [] },
  { op: 'addRoute', arg: [{ dst: '203.0.113.0', prefixLength: 24, type: 'blackhole', table: 1000 }] },
  { op: 'addRoute', arg: [{ dst: '203.0.113.0', prefixLength: 24, type: 'blackhole', table: 1000 }] },
  { op: 'addRoute', arg: [{ dst: '203.0.113.0', prefixLength: 24, type: 'blackhole', table: 1000, metric: 9 }] },
  { op: 'deleteRoute', arg: [{ dst: '203.0.113.0', prefixLength: 24, table: 1000, metric: 9 }] },
  { op: 'deleteRoute', arg: [{ dst: '203.0.113.0', prefixLength: 24, table: 1000, metric: 9 }] },
  { op: 'listRoutes', arg: ['inet', 1000] },
];

/** Outcomes reduced to what must agree; address lists keep only our test ranges, in order. */
function normalise(results: unknown[]): unknown[] {
  return results.map((r: any) => {
    if (!r.ok) return { error: r.code };
    if (Array.isArray(r.value)) {
      return r.value
        .filter((x: any) => x.dst !== undefined || /^(192\.0\.2|198\.51\.100|2001:db8)/.test(x.address))
        .map((x: any) => (x.dst !== undefined ? `${x.dst}/${x.prefixLength} t${x.table} m${x.metric ?? 0} ${x.type}` : `${x.address}/${x.prefixLength} f${x.flags & 0x03} ${x.label ?? ''}`));
    }
    return r.value ?? null;
  });
}

async function runRecording(ifindex: number): Promise<unknown[]> {
  const k = new RecordingKernel([{ name: 'lo', ifindex: 1 }, { name: 'a0', ifindex }]);
  const out: unknown[] = [];
  for (const c of SCENARIO) {
    try {
      const value = await (k as any)[c.op](...c.arg);
      out.push({ ok: true, value });
    } catch (e) {
      out.push({ ok: false, code: (e as KernelError).code });
    }
  }
  return out;
}

describe('RecordingKernel agrees with the real kernel', () => {
  beforeAll(() => {
    if (isRoot() !== undefined) return;
    execFileSync('ip', ['netns', 'add', NS]);
    execFileSync('ip', ['-n', NS, 'link', 'add', 'a0', 'type', 'veth', 'peer', 'name', 'b0']);
    execFileSync('ip', ['-n', NS, 'link', 'set', 'a0', 'up']);
  });
  afterAll(() => {
    try {
      execFileSync('ip', ['netns', 'del', NS], { stdio: 'ignore' });
    } catch {
      // not created
    }
  });

  it('on adds, adoption, secondaries, deletes and route keys', async () => {
    const ifindex = JSON.parse(execFileSync('ip', ['-n', NS, '-j', 'link', 'show', 'a0'], { encoding: 'utf8' }))[0].ifindex as number;
    const real = JSON.parse(
      execFileSync('ip', ['netns', 'exec', NS, process.execPath, '--import', 'tsx', join(here, 'kernel-driver.ts'), 'ops', JSON.stringify(SCENARIO)], {
        encoding: 'utf8',
        cwd: join(here, '../../..'),
      }),
    ) as unknown[];
    const model = await runRecording(ifindex);
    expect(normalise(model)).toEqual(normalise(real));
    // And the scenario really exercised each outcome.
    const flat = JSON.stringify(normalise(real));
    for (const want of ['EADDRNOTAVAIL', 'ENODEV', 'ESRCH']) expect(flat).toContain(want);
    expect(flat).toContain('"alreadyPresent":true');
  });
});
