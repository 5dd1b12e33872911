// SubsystemSet: the daemon's subsystems start in order, stop in reverse order, and a failed start
// stops what was already started (the failed one too) before the error goes on.
import { describe, expect, it } from 'vitest';
import { SubsystemSet } from '../../../src/core/subsystem-set.js';
import type { ReloadOutcome, StopReason, Subsystem } from '../../../src/core/subsystem.js';
import { memoryLogger } from '../../../src/lib/log.js';
import type { KeepalivedConfig } from '../../../src/config/model.js';

/** A subsystem that writes what happens to it into `journal`. */
function part(name: string, journal: string[], o: { failStart?: boolean; failStop?: boolean; reload?: ReloadOutcome } = {}): Subsystem<{ name: string; up: boolean }> {
  let up = false;
  return {
    name,
    async start() {
      await Promise.resolve();
      journal.push(`start ${name}`);
      if (o.failStart) throw new Error(`${name} cannot start`);
      up = true;
    },
    async stop(reason: StopReason) {
      await Promise.resolve();
      journal.push(`stop ${name} ${reason}`);
      up = false;
      if (o.failStop) throw new Error(`${name} cannot stop`);
    },
    status: () => ({ name, up }),
    reload: () => Promise.resolve(o.reload ?? { kind: 'unchanged' }),
  };
}

const model = {} as KeepalivedConfig;

describe('SubsystemSet', () => {
  it('starts in order, stops in reverse order, once', async () => {
    const journal: string[] = [];
    const set = new SubsystemSet([part('vrrp', journal), part('ipvs', journal), part('checkers', journal)], memoryLogger().log);
    await set.start();
    expect(set.status()).toEqual({ vrrp: { name: 'vrrp', up: true }, ipvs: { name: 'ipvs', up: true }, checkers: { name: 'checkers', up: true } });
    await set.stop('signal');
    await set.stop('signal');
    expect(journal).toEqual(['start vrrp', 'start ipvs', 'start checkers', 'stop checkers signal', 'stop ipvs signal', 'stop vrrp signal']);
  });

  it('a failed start stops the failed one and those before it, in reverse, and rethrows; later ones never start', async () => {
    const journal: string[] = [];
    const { log, records } = memoryLogger();
    const set = new SubsystemSet([part('vrrp', journal), part('ipvs', journal, { failStart: true }), part('checkers', journal)], log);
    await expect(set.start()).rejects.toThrow('ipvs cannot start');
    expect(journal).toEqual(['start vrrp', 'start ipvs', 'stop ipvs failure', 'stop vrrp failure']);
    expect(records.some((r) => r.subsystem === 'ipvs' && r.level === 50)).toBe(true);
    await set.stop('signal');
    expect(journal).toHaveLength(4);
  });

  it('a failing stop is logged and the others still stop', async () => {
    const journal: string[] = [];
    const { log, records } = memoryLogger();
    const set = new SubsystemSet([part('vrrp', journal), part('ipvs', journal, { failStop: true })], log);
    await set.start();
    await set.stop('signal');
    expect(journal.slice(2)).toEqual(['stop ipvs signal', 'stop vrrp signal']);
    expect(records.map((r) => r.msg)).toContain('ipvs: stop failed');
  });

  it('hands every subsystem the old and new model and reports each outcome by name', async () => {
    const journal: string[] = [];
    const set = new SubsystemSet([part('vrrp', journal, { reload: { kind: 'rejected', reason: 'not yet' } }), part('ipvs', journal, { reload: { kind: 'applied', changes: 1 } })], memoryLogger().log);
    expect(await set.reload(model, model)).toEqual({ vrrp: { kind: 'rejected', reason: 'not yet' }, ipvs: { kind: 'applied', changes: 1 } });
  });

  it('refuses two subsystems with one name', () => {
    expect(() => new SubsystemSet([part('vrrp', []), part('vrrp', [])], memoryLogger().log)).toThrow('two subsystems named vrrp');
  });

  it('a reload may add subsystems (grow): started after the others reloaded, then in status, later reloads and the stop; one that fails to start is stopped and rejected', async () => {
    const journal: string[] = [];
    const offered: string[][] = [];
    let round = 0;
    const set = new SubsystemSet([part('vrrp', journal)], memoryLogger().log, (_next, running) => {
      offered.push([...running]);
      round++;
      if (round === 1) return Promise.resolve([part('ipvs', journal, { reload: { kind: 'applied', changes: 1 } })]);
      if (round === 2) return Promise.resolve([part('bfd', journal, { failStart: true })]);
      return Promise.resolve([]);
    });
    await set.start();
    expect(await set.reload(model, model)).toEqual({ vrrp: { kind: 'unchanged' }, ipvs: { kind: 'applied', changes: 1, details: ['started'] } });
    expect(Object.keys(set.status())).toEqual(['vrrp', 'ipvs']);
    expect(await set.reload(model, model)).toEqual({ vrrp: { kind: 'unchanged' }, ipvs: { kind: 'applied', changes: 1 }, bfd: { kind: 'rejected', reason: 'start failed: bfd cannot start' } });
    expect(Object.keys(set.status())).toEqual(['vrrp', 'ipvs']);
    expect(offered).toEqual([['vrrp'], ['vrrp', 'ipvs']]);
    await set.stop('signal');
    expect(journal).toEqual(['start vrrp', 'start ipvs', 'start bfd', 'stop bfd failure', 'stop ipvs signal', 'stop vrrp signal']);
  });
});

