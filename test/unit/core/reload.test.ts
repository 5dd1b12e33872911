// The daemon's reload in-process (startDaemon on a RecordingKernel and a MemoryLan in virtual
// time): 20 reloads in a row on a master, one of them a broken config, while a backup watches.
// Counted through the seams: no transition on either node, the master's adverts keep their
// 1 s rhythm exactly, the kernel sees exactly the address changes the configs call for (none
// for an unchanged config), a broken config changes nothing, an added instance starts and a
// removed one sends priority 0 and takes its VIP away. Then sync groups changed by reloads: the
// scenario of test/helpers/sync-group-reload.ts, whose notifies and state lines were recorded from
// keepalived 2.2.7 (the namespace test reload-sync-group.test.ts compares the two live).
import { describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import type { RunningDaemon } from '../../../src/core/daemon.js';
import { reloadPlan } from '../../../src/core/reload-plan.js';
import type { VrrpStatus } from '../../../src/core/vrrp-subsystem.js';
import { FakeProcessRunner, type ProcessRunner } from '../../../src/notify/process-runner.js';
import { daemonLan } from '../../helpers/memory-daemon.js';
import { FAULT_STEPS, START, STEPS, TRACKED, holdersOf, nodeConf, peerConf, vipOf, type Scripts, type Step } from '../../helpers/sync-group-reload.js';

interface Conf {
  readonly priority?: number;
  readonly vips?: readonly string[];
  readonly second?: boolean;
  readonly advertInt?: number;
  readonly broken?: boolean;
}

/**
 * VI_1 with 192.0.2.100 and, from `vips`, more addresses in virtual_ipaddress_excluded: those
 * are not in the adverts, so the backup (which is not reloaded) keeps accepting them (keepalived
 * 2.2.7 drops an advert whose address list differs from its own).
 */
function conf(c: Conf = {}): string {
  const vips = (c.vips ?? ['192.0.2.100/24']).slice(1).map((v) => `    ${v}\n`).join('');
  let s = `vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  priority ${c.priority ?? 150}\n  advert_int ${c.advertInt ?? 1}\n  virtual_ipaddress {\n    192.0.2.100/24\n  }\n  virtual_ipaddress_excluded {\n${vips}  }\n}\n`;
  if (c.second) s += `vrrp_instance VI_2 {\n  interface eth0\n  virtual_router_id 52\n  priority 120\n  advert_int 1\n  virtual_ipaddress {\n    192.0.2.200/24\n  }\n}\n`;
  if (c.broken) s += `vrrp_instance VI_3 {\n  interface eth0\n  virtual_router_id 300\n  priority 100\n}\n`;
  return s;
}

function setup() {
  const { node: daemonNode, run, lan, time, electPair, stopAll } = daemonLan();
  const node = (name: string, n: number, text: string, runner?: ProcessRunner) => {
    const d = daemonNode(name, n, text);
    const start = (inProcess = true, watchConfig = false) => d.start({ reloadOptions: { inProcess, watchDebounceMs: 100 }, watchConfig, ...(runner ? { runner } : {}) });
    return { ...d, start };
  };
  // Adverts on the LAN: sender, VRID, priority, virtual time.
  const adverts: { from: string; vrid: number; prio: number; at: number }[] = [];
  lan.onFrame((f) => {
    if (f.kind !== 'ip' || f.protocol !== 112) return;
    const ihl = (f.bytes[0] & 0x0f) * 4;
    adverts.push({ from: f.from, vrid: f.bytes[ihl + 1], prio: f.bytes[ihl + 2], at: time.now() });
  });
  return { node, run, adverts, time, electPair, stopAll };
}

const transitions = (msgs: readonly string[]) => msgs.filter((m) => /Entering (MASTER|BACKUP|FAULT) STATE/.test(m));

describe('reload: 20 in a row on a master', () => {
  it('keeps state and advert rhythm, applies exactly the diff, rejects a broken config untouched', async () => {
    const { node, run, adverts, electPair, stopAll } = setup();
    const a = node('a', 11, conf());
    const b = node('b', 12, conf({ priority: 100 }));
    try {
      const [da] = await electPair(a, b);
      const aTransitions = transitions(a.msgs()).length;
      const bTransitions = transitions(b.msgs()).length;
      a.kernel.clearOps();
      const firstAdvert = adverts.length;

      // Each step: the config written, a reload, then 1.5 s of protocol time.
      const steps: { c: Conf; outcome: string; ops: string[] }[] = [
        { c: {}, outcome: 'unchanged', ops: [] },
        { c: { vips: ['192.0.2.100/24', '192.0.2.101/24'] }, outcome: 'applied', ops: ['addAddress 192.0.2.101'] },
        { c: { vips: ['192.0.2.100/24', '192.0.2.101/24'] }, outcome: 'unchanged', ops: [] },
        { c: { vips: ['192.0.2.100/24'] }, outcome: 'applied', ops: ['deleteAddress 192.0.2.101'] },
        { c: { priority: 160 }, outcome: 'applied', ops: [] },
        { c: { priority: 160 }, outcome: 'unchanged', ops: [] },
        { c: { priority: 160, broken: true }, outcome: 'rejected', ops: [] },
        { c: { priority: 160 }, outcome: 'unchanged', ops: [] },
        { c: { priority: 160, second: true }, outcome: 'applied', ops: [] },
        { c: { priority: 160, second: true }, outcome: 'unchanged', ops: [] },
        { c: { priority: 160 }, outcome: 'applied', ops: ['deleteAddress 192.0.2.200'] },
        { c: { priority: 150 }, outcome: 'applied', ops: [] },
      ];
      while (steps.length < 20) steps.push({ c: {}, outcome: 'unchanged', ops: [] });
      const results = [];
      for (const [i, s] of steps.entries()) {
        a.write(conf(s.c));
        const r = await da.reload();
        results.push(r);
        expect(r.outcome, `reload ${i}: ${JSON.stringify(r)}`).toBe(s.outcome);
        // VI_2 (added at step 8) starts as at start-up: the clean-up of its VIP a previous run may
        // have left (keepalived's "removing VIPs" at init), then, master after its down timer, the add.
        await run(i === 8 ? 4000 : 1500);
        const ops = a.kernel.mutations().map((o) => `${o.op} ${(o.args[0] as { address?: string }).address ?? ''}`);
        a.kernel.clearOps();
        const expected = i === 8 ? ['deleteAddress 192.0.2.200', 'addAddress 192.0.2.200'] : s.ops;
        expect(ops, `kernel operations of reload ${i}`).toEqual(expected);
      }
      // The broken one: every diagnostic with file:line:col, nothing applied.
      const broken = results[6];
      expect(broken.diagnostics.some((d) => d.startsWith(`${a.file}:`) && /:\d+:\d+: error\[/.test(d))).toBe(true);
      expect(a.msgs().some((m) => m.startsWith('Reload rejected: ') && m.includes('the running configuration is unchanged'))).toBe(true);
      expect(results[8].changes).toContain('vrrp: instance VI_2 added');
      expect(results[10].changes).toContain('vrrp: instance VI_2 removed');

      // VI_1 never changed state on either node; VI_2 came up on its own (INIT->BACKUP->MASTER) once.
      const aNew = transitions(a.msgs()).slice(aTransitions);
      expect(aNew.filter((m) => m.startsWith('(VI_1)'))).toEqual([]);
      expect(aNew.filter((m) => m.startsWith('(VI_2)'))).toEqual(['(VI_2) Entering BACKUP STATE (init)', '(VI_2) Entering MASTER STATE']);
      expect(transitions(b.msgs()).slice(bTransitions)).toEqual([]);
      // VI_2 removed as master: a priority-0 advert, its VIP gone.
      expect(adverts.some((x) => x.from === 'a' && x.vrid === 52 && x.prio === 0)).toBe(true);
      expect(a.kernel.snapshot().addresses.map((x) => x.address)).toEqual(expect.not.arrayContaining(['192.0.2.200', '192.0.2.101']));

      // The master's VI_1 adverts: one per second all along, never late, never doubled; priority follows the config.
      const vi1 = adverts.slice(firstAdvert).filter((x) => x.from === 'a' && x.vrid === 51);
      const gaps = vi1.slice(1).map((x, i) => x.at - vi1[i].at);
      expect(gaps.length).toBeGreaterThan(25);
      // Virtual time: exact, up to float rounding.
      expect(Math.max(...gaps)).toBeCloseTo(1000, 3);
      expect(Math.min(...gaps)).toBeCloseTo(1000, 3);
      expect(new Set(vi1.map((x) => x.prio))).toEqual(new Set([150, 160]));
      expect(da.status()).toMatchObject({ vrrp: { instances: [{ name: 'VI_1', state: 'MASTER', priority: 150 }] } });
    } finally {
      await stopAll();
    }
  }, 60_000);

  it('reads the config in a worker thread and rejects a missing file without touching anything', async () => {
    const { node, run } = setup();
    const a = node('a', 11, conf());
    const d = await a.start(false);
    try {
      await run(4000);
      a.kernel.clearOps();
      a.write(conf({ vips: ['192.0.2.100/24', '192.0.2.102/24'] }));
      const r = await d.reload();
      expect(r).toMatchObject({ outcome: 'applied', changes: ['vrrp: instance VI_1 changed'] });
      await run(100);
      expect(a.kernel.mutations().map((o) => o.op)).toEqual(['addAddress']);
      rmSync(a.file);
      const gone = await d.reload();
      expect(gone.outcome).toBe('rejected');
      expect(gone.diagnostics.join('\n')).toContain(a.file);
      expect(d.status()).toMatchObject({ vrrp: { instances: [{ name: 'VI_1', state: 'MASTER' }] } });
    } finally {
      await d.stop();
    }
  }, 60_000);
});

describe('--watch-config', () => {
  it('an edit of the config file starts the reload SIGHUP starts', async () => {
    const { node, run } = setup();
    const a = node('a', 11, conf());
    const d = await a.start(true, true);
    try {
      await run(4000);
      a.kernel.clearOps();
      a.write(conf({ vips: ['192.0.2.100/24', '192.0.2.103/24'] }));
      const deadline = Date.now() + 10_000;
      while (!a.msgs().some((m) => m.startsWith('Reload applied')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await run(100);
      expect(a.msgs().filter((m) => m.startsWith('configuration changed ('))).toHaveLength(1);
      expect(a.kernel.mutations().map((o) => `${o.op} ${(o.args[0] as { address: string }).address}`)).toEqual(['addAddress 192.0.2.103']);
    } finally {
      await d.stop();
    }
  }, 30_000);
});

describe('reloadPlan: keepalived matches instances by VRID, family, interface and addressing', () => {
  const spec = (name: string, vrid: number, prio = 100, ifname = 'eth0') =>
    ({
      cfg: { name, vrid, family: 'inet', priority: prio, unicastPeers: [] },
      ifname,
      wire: { src: { text: '192.0.2.1' }, group: { text: '224.0.0.18' } },
      addresses: new Map(),
    }) as never;
  it('sorts instances into unchanged, changed, added and removed', () => {
    const p = reloadPlan([spec('A', 1), spec('B', 2), spec('C', 3), spec('D', 4)], [spec('A', 1), spec('B', 2, 120), spec('C', 3, 100, 'eth1'), spec('E', 5), spec('D2', 4)]);
    expect(p.unchanged).toEqual(['A']);
    expect(p.changed.map((s) => (s as { cfg: { name: string } }).cfg.name)).toEqual(['B']);
    expect(p.removed.map((s) => (s as { cfg: { name: string } }).cfg.name)).toEqual(['C', 'D']);
    expect(p.added.map((s) => (s as { cfg: { name: string } }).cfg.name)).toEqual(['C', 'E', 'D2']);
  });
});

describe('reload: vrrp_sync_group changes applied as keepalived 2.2.7 applies them', () => {
  const SCRIPTS: Scripts = { instance: '/usr/bin/true', group: '/usr/bin/echo', group2: '/usr/bin/false' };
  /** State lines per instance among `msgs`. */
  const statesOf = (msgs: readonly string[]): Record<string, string[]> => {
    const out: Record<string, string[]> = {};
    for (const m of msgs) {
      const x = /^\((VI_\d)\) Entering (\w+) STATE/.exec(m);
      if (x) (out[x[1]] ??= []).push(x[2]);
    }
    return out;
  };

  async function scenario(steps: readonly Step[]): Promise<void> {
    const { node, run, adverts } = setup();
    const runner = new FakeProcessRunner();
    const a = node('a', 11, nodeConf(START, SCRIPTS), runner);
    const b = node('b', 12, peerConf());
    a.kernel.addLink({ name: TRACKED, up: true, carrier: true });
    const daemons: RunningDaemon[] = [];
    try {
      daemons.push(await b.start(), await a.start());
      const da = daemons[1];
      await run(9000);
      const state = (name: string) => (da.status() as { vrrp: VrrpStatus }).vrrp.instances.find((x) => x.name === name)?.state;
      expect(['VI_1', 'VI_2', 'VI_3', 'VI_4'].map(state)).toEqual(['MASTER', 'BACKUP', 'MASTER', 'MASTER']);
      const held = (k: typeof a.kernel) => new Set(k.snapshot().addresses.map((x) => x.address));
      for (const s of steps) {
        const calls = runner.calls.length;
        const lines = a.msgs().length;
        const firstAdvert = adverts.length;
        if (s.link) a.kernel.setLinkState(TRACKED, { up: s.link === 'up', carrier: s.link === 'up' });
        else {
          a.write(nodeConf(s, SCRIPTS));
          const r = await da.reload();
          expect(r.outcome, `${s.title}: ${JSON.stringify(r)}`).toBe('applied');
        }
        await run(9000);
        const notifies = runner.calls.slice(calls).map((c) => c.spec.argv.slice(1).join(' ')).sort();
        expect(notifies, s.title).toEqual(s.notifies);
        expect(statesOf(a.msgs().slice(lines)), s.title).toEqual(s.states);
        // Each group runs its own script as the step's config names it (step (f) changes GA's).
        for (const c of runner.calls.slice(calls).filter((x) => x.spec.argv[1] === 'GROUP')) {
          const g = s.groups.find((x) => x.name === c.spec.argv[2]);
          expect(c.spec.argv[0], s.title).toBe(SCRIPTS[g?.notify ?? 'group']);
        }
        const [ha, hb] = [held(a.kernel), held(b.kernel)];
        for (const [inst, who] of Object.entries(holdersOf(s))) {
          const vip = vipOf(Number(inst.slice(3)) + 50);
          expect([ha.has(vip), hb.has(vip)], `${s.title}: ${inst} held by the ${who}`).toEqual([who === 'node', who === 'peer']);
        }
        // Instances the step leaves alone: no state line, and (masters) adverts every second exactly.
        for (const name of ['VI_1', 'VI_2', 'VI_3', 'VI_4'].filter((n) => !(n in s.states) && !s.notifies.some((x) => x.includes(` ${n} `)))) {
          const mine = adverts.slice(firstAdvert).filter((x) => x.from === 'a' && x.vrid === Number(name.slice(3)) + 50);
          if (state(name) !== 'MASTER') {
            expect(mine, `${s.title}: ${name} sends nothing`).toEqual([]);
            continue;
          }
          const gaps = mine.slice(1).map((x, k) => x.at - mine[k].at);
          expect(gaps.length, `${s.title}: ${name} adverts`).toBeGreaterThan(6);
          expect([Math.min(...gaps), Math.max(...gaps)].map((x) => Math.round(x * 1000) / 1000), `${s.title}: ${name}`).toEqual([1000, 1000]);
        }
      }
      // The same config again: nothing to do.
      expect((await da.reload()).outcome).toBe('unchanged');
    } finally {
      for (const d of daemons.reverse()) await d.stop();
    }
  }

  it('groups formed, deleted, shrunk, grown, a member added and deleted, notify changed; the other instances untouched', async () => {
    await scenario(STEPS);
  }, 120_000);

  it('group tracking and faults: a FAULT group shrunk, its tracking dropped, a new group over a down link', async () => {
    await scenario(FAULT_STEPS);
  }, 120_000);
});
