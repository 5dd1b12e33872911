import { describe, expect, it } from 'vitest';
import type { TrackerConfig } from '../../../src/vrrp/tracking.js';
import { applyScriptResult, evaluateTracking, initialTracking, trackersForOwner, trackersForSyncMember, updateTracker } from '../../../src/vrrp/tracking.js';

const script = (name: string, weight: number, extra: Partial<{ rise: number; fall: number; reverse: boolean; initFail: boolean }> = {}): TrackerConfig => ({
  type: 'script', name, weight, reverse: extra.reverse ?? false, rise: extra.rise ?? 1, fall: extra.fall ?? 1, initFail: extra.initFail ?? false,
});

describe('script rise/fall', () => {
  it('needs rise successes from failed and fall failures from OK', () => {
    const cfg = { rise: 3, fall: 2 };
    let st = { status: 'failed' as const, result: 0 } as { status: 'init' | 'ok' | 'failed'; result: number };
    st = applyScriptResult(cfg, st, true);
    st = applyScriptResult(cfg, st, true);
    expect(st.status).toBe('failed');
    st = applyScriptResult(cfg, st, true);
    expect(st.status).toBe('ok');
    st = applyScriptResult(cfg, st, false);
    expect(st.status).toBe('ok');
    st = applyScriptResult(cfg, st, true); // success resets the failure run
    st = applyScriptResult(cfg, st, false);
    expect(st.status).toBe('ok');
    st = applyScriptResult(cfg, st, false);
    expect(st.status).toBe('failed');
  });
  it('undecided script: first success OK, first failure failed', () => {
    const t = [script('a', 0, { rise: 5, fall: 5 })];
    const s0 = initialTracking(t);
    expect(updateTracker(t, s0, 'script', 'a', { ok: true }).entries[0]).toMatchObject({ status: 'ok' });
    expect(updateTracker(t, s0, 'script', 'a', { ok: false }).entries[0]).toMatchObject({ status: 'failed' });
  });
});

describe('effective priority', () => {
  it('adds positive weights while OK, negative while failed, and clamps to 1..254', () => {
    const t = [script('up', 30), script('down', -60)];
    let s = initialTracking(t);
    expect(evaluateTracking(t, s, 100).effectivePriority).toBe(100);
    s = updateTracker(t, s, 'script', 'up', { ok: true });
    expect(evaluateTracking(t, s, 100).effectivePriority).toBe(130);
    expect(evaluateTracking(t, s, 240).effectivePriority).toBe(254);
    s = updateTracker(t, s, 'script', 'down', { ok: false });
    expect(evaluateTracking(t, s, 100).effectivePriority).toBe(70);
    expect(evaluateTracking(t, s, 20).effectivePriority).toBe(1);
    expect(evaluateTracking(t, s, 255).effectivePriority).toBe(255);
  });
  it('reverse inverts the direction', () => {
    const t = [script('r', 10, { reverse: true }), { type: 'interface', name: 'eth1', weight: -5, reverse: true } as TrackerConfig];
    let s = updateTracker(t, initialTracking(t), 'script', 'r', { ok: true });
    expect(evaluateTracking(t, s, 100).effectivePriority).toBe(90);
    s = updateTracker(t, s, 'interface', 'eth1', { up: false });
    expect(evaluateTracking(t, s, 100).effectivePriority).toBe(95);
  });
  it('weight 0 trackers fault; track_file value x weight, < -253 faults', () => {
    const t: TrackerConfig[] = [
      { type: 'interface', name: 'eth0', weight: 0, reverse: false },
      { type: 'file', name: 'f', weight: 10, reverse: false },
      { type: 'file', name: 'z', weight: 0, reverse: false },
      script('s', 0),
    ];
    let s = initialTracking(t);
    // Undecided weight-0 script: pending, not a fault (keepalived num_script_init).
    expect(evaluateTracking(t, s, 100)).toMatchObject({ faults: [], pending: ['script:s'] });
    s = updateTracker(t, s, 'script', 's', { ok: true });
    s = updateTracker(t, s, 'file', 'f', { value: 3 });
    expect(evaluateTracking(t, s, 100)).toEqual({ effectivePriority: 130, faults: [], pending: [] });
    s = updateTracker(t, s, 'file', 'f', { value: -26 });
    expect(evaluateTracking(t, s, 100).faults).toEqual(['file:f']);
    s = updateTracker(t, s, 'file', 'f', { value: 0 });
    s = updateTracker(t, s, 'file', 'z', { value: 7 });
    s = updateTracker(t, s, 'interface', 'eth0', { up: false });
    expect(evaluateTracking(t, s, 100).faults).toEqual(['interface:eth0', 'file:z']);
  });
  it('init_fail changes nothing for a tracked script (keepalived 2.2.7 resets it to undecided)', () => {
    const t = [script('s', -10, { initFail: true })];
    expect(evaluateTracking(t, initialTracking(t), 100).effectivePriority).toBe(100);
    const z = [script('z', 0, { initFail: true })];
    expect(evaluateTracking(z, initialTracking(z), 100)).toMatchObject({ faults: [], pending: ['script:z'] });
    // The first failure fails it at once; the first success is enough (result starts at rise-1).
    expect(evaluateTracking(t, updateTracker(t, initialTracking(t), 'script', 's', { ok: false }), 100).effectivePriority).toBe(90);
  });
  it('weight 0 with reverse: FAULT while the script succeeds', () => {
    const t = [script('s', 0, { reverse: true })];
    expect(evaluateTracking(t, updateTracker(t, initialTracking(t), 'script', 's', { ok: true }), 100).faults).toEqual(['script:s']);
    expect(evaluateTracking(t, updateTracker(t, initialTracking(t), 'script', 's', { ok: false }), 100).faults).toEqual([]);
  });
});

describe('sync-group member and owner rules (3.9)', () => {
  const t: TrackerConfig[] = [
    { type: 'interface', name: 'eth1', weight: 20, reverse: false },
    script('w', 10),
    script('f', 0),
    { type: 'file', name: 'tf', weight: 3, reverse: false },
  ];
  it('member: weighted interfaces become weight 0, weighted scripts/files are dropped', () => {
    expect(trackersForSyncMember(t, false).map((x) => `${x.type}:${x.name}:${x.weight}`)).toEqual(['interface:eth1:0', 'script:f:0']);
    expect(trackersForSyncMember(t, true)).toEqual(t);
  });
  it('owner keeps only fault trackers', () => {
    expect(trackersForOwner(t).map((x) => x.name)).toEqual(['f']);
  });
});
