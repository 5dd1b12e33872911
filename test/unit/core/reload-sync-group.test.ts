// Sync groups changed by a reload, in process and in virtual time (our daemon on a RecordingKernel
// beside a peer daemon on a MemoryLan): the scenario of test/helpers/sync-group-reload.ts, whose
// expected notifies and state lines were recorded from keepalived 2.2.7 (the namespace test
// reload-sync-group.test.ts compares the two live). Also counted here: instances outside the
// changed groups never change state and their adverts keep an exact 1 s rhythm, and a reload
// that changes nothing about the groups is "unchanged".
import { describe, expect, it } from 'vitest';
import type { RunningDaemon } from '../../../src/core/daemon.js';
import type { VrrpStatus } from '../../../src/core/vrrp-subsystem.js';
import { FakeProcessRunner } from '../../../src/notify/process-runner.js';
import { reloadLan } from '../../helpers/reload-lan.js';
import { HOLDERS, START, STEPS, nodeConf, peerConf, vipOf, type Scripts } from '../../helpers/sync-group-reload.js';

const SCRIPTS: Scripts = { instance: '/usr/bin/true', group: '/usr/bin/echo', group2: '/usr/bin/false' };

const stateLine = /^\((VI_\d)\) Entering (\w+) STATE/;

/** State lines per instance among `msgs`. */
function statesOf(msgs: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const m of msgs) {
    const x = stateLine.exec(m);
    if (x) (out[x[1]] ??= []).push(x[2]);
  }
  return out;
}

describe('reload: vrrp_sync_group changes applied as keepalived 2.2.7 applies them', () => {
  it('groups formed, deleted, shrunk, grown, a member added and deleted, notify changed', async () => {
    const { node, run, adverts } = reloadLan();
    const runner = new FakeProcessRunner();
    const a = node('a', 11, nodeConf(START, SCRIPTS), runner);
    const b = node('b', 12, peerConf());
    let da: RunningDaemon | undefined;
    let db: RunningDaemon | undefined;
    try {
      db = await b.start();
      da = await a.start();
      await run(9000);
      const state = (d: RunningDaemon, name: string) => (d.status() as { vrrp: VrrpStatus }).vrrp.instances.find((x) => x.name === name)?.state;
      expect(['VI_1', 'VI_2', 'VI_3', 'VI_4'].map((n) => state(da!, n))).toEqual(['MASTER', 'BACKUP', 'MASTER', 'MASTER']);
      const held = (k: typeof a.kernel) => new Set(k.snapshot().addresses.map((x) => x.address));
      for (const [i, s] of STEPS.entries()) {
        const calls = runner.calls.length;
        const lines = a.msgs().length;
        const firstAdvert = adverts.length;
        a.write(nodeConf(s, SCRIPTS));
        const r = await da.reload();
        expect(r.outcome, `${s.title}: ${JSON.stringify(r)}`).toBe('applied');
        await run(9000);
        const notifies = runner.calls.slice(calls).map((c) => c.spec.argv.slice(1).join(' ')).sort();
        expect(notifies, s.title).toEqual(s.notifies);
        expect(statesOf(a.msgs().slice(lines)), s.title).toEqual(s.states);
        // Each group runs its own script as the step's config names it (step (f) changes GA's).
        for (const c of runner.calls.slice(calls).filter((x) => x.spec.argv[1] === 'GROUP')) {
          const g = s.groups.find((x) => x.name === c.spec.argv[2]);
          expect(c.spec.argv[0], s.title).toBe(SCRIPTS[g?.notify ?? 'group']);
        }
        const ha = held(a.kernel);
        const hb = held(b.kernel);
        for (const [inst, who] of Object.entries(HOLDERS[i])) {
          const vip = vipOf(Number(inst.slice(3)) + 50);
          expect([ha.has(vip), hb.has(vip)], `${s.title}: ${inst} held by the ${who}`).toEqual([who === 'node', who === 'peer']);
        }
        // Instances the step leaves alone: no state line, and (masters) adverts every second exactly.
        for (const name of ['VI_1', 'VI_2', 'VI_3', 'VI_4'].filter((n) => !(n in s.states) && !s.notifies.some((x) => x.includes(` ${n} `)))) {
          const vrid = Number(name.slice(3)) + 50;
          const mine = adverts.slice(firstAdvert).filter((x) => x.from === 'a' && x.vrid === vrid);
          if (state(da, name) !== 'MASTER') {
            expect(mine, `${s.title}: ${name} sends nothing`).toEqual([]);
            continue;
          }
          const gaps = mine.slice(1).map((x, k) => x.at - mine[k].at);
          expect(gaps.length, `${s.title}: ${name} adverts`).toBeGreaterThan(6);
          expect(Math.max(...gaps), `${s.title}: ${name}`).toBeCloseTo(1000, 3);
          expect(Math.min(...gaps), `${s.title}: ${name}`).toBeCloseTo(1000, 3);
        }
      }
      // VI_5 deleted as a MASTER: it sent priority 0.
      expect(adverts.some((x) => x.from === 'a' && x.vrid === 55 && x.prio === 0)).toBe(true);
      // The same groups again: nothing to do.
      expect((await da.reload()).outcome).toBe('unchanged');
    } finally {
      await da?.stop();
      await db?.stop();
    }
  }, 120_000);
});
