// Conformance runner: every folder under test/conformance/vrrp/ is one case (see README.md
// there). The runner drives step() / syncStep() in virtual time: the deadline each instance asks
// for (setDeadline) goes into a TimerQueue on a VirtualTime, the runtime's own timer machinery
// (src/lib/timer-queue.ts, src/lib/virtual-time.ts), which fires it in time order between input
// events; the complete action stream is compared with expected.jsonl.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ipOf } from '../../src/lib/ip.js';
import { TimerQueue } from '../../src/lib/timer-queue.js';
import type { Us } from '../../src/lib/units.js';
import { us } from '../../src/lib/units.js';
import { VirtualTime } from '../../src/lib/virtual-time.js';
import type { InstanceConfig, InstanceState, VrrpAction, VrrpEvent } from '../../src/vrrp/fsm/index.js';
import { authPassBytes, initialState, step } from '../../src/vrrp/fsm/index.js';
import type { GroupState, SyncGroupConfig } from '../../src/vrrp/sync-group.js';
import { syncStep } from '../../src/vrrp/sync-group.js';
import { loadCaseConfig } from './load-case-config.js';

const CASES = join(import.meta.dirname, 'vrrp');

interface InputLine {
  at: number;
  instance?: string;
  event?: Record<string, unknown>;
  until?: boolean;
}
interface OutLine {
  at: number;
  instance?: string;
  action: Record<string, unknown>;
}

function readJsonl<T>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => JSON.parse(l) as T);
}

/** Fills the fields a case may leave out of an advert from the receiving instance's config. */
export function completeEvent(cfg: InstanceConfig, ev: Record<string, unknown>): VrrpEvent {
  if (ev.kind !== 'advertReceived') return ev as unknown as VrrpEvent;
  const a = ev.advert as Record<string, unknown> | undefined;
  const m = (ev.meta ?? {}) as Record<string, unknown>;
  // Case files write addresses as text: parsed here, as the socket layer's edge would.
  const meta = {
    src: ipOf((m.src as string | undefined) ?? '192.0.2.99'),
    dst: ipOf((m.dst as string | undefined) ?? (cfg.family === 'inet6' ? 'ff02::12' : '224.0.0.18')),
    ttl: m.ttl ?? 255,
    ifindex: m.ifindex ?? 1,
  };
  const advert =
    a === undefined
      ? undefined
      : {
          version: a.version ?? cfg.version,
          family: a.family ?? cfg.family,
          vrid: a.vrid ?? cfg.vrid,
          priority: a.priority,
          advertInt: a.advertInt ?? cfg.advertInt,
          authType: a.authType ?? (cfg.version === 2 ? cfg.authType : 0),
          authData: typeof a.authData === 'string' ? authPassBytes(a.authData) : cfg.authType === 1 ? authPassBytes(cfg.authPass) : undefined,
          addresses: Array.isArray(a.addresses) ? (a.addresses as string[]).map((t) => ipOf(t)) : cfg.vips,
        };
  const out: Record<string, unknown> = { kind: 'advertReceived', meta };
  if (advert) out.advert = advert;
  if (ev.rawCheck) out.rawCheck = ev.rawCheck;
  return out as unknown as VrrpEvent;
}

/** setDeadline.at is shown in ms in case files, like every other time there. */
function present(a: VrrpAction): Record<string, unknown> {
  if (a.kind === 'setDeadline') return { kind: 'setDeadline', at: a.at === null ? null : a.at / 1000 };
  return JSON.parse(JSON.stringify(a)) as Record<string, unknown>;
}

export function runCase(confText: string, input: InputLine[]): OutLine[] {
  const { instances, groups } = loadCaseConfig(confText);
  const multi = instances.length > 1;
  const states: InstanceState[] = instances.map((c) => initialState(c));
  const time = new VirtualTime();
  const groupOfIdx = instances.map((c) => groups.findIndex((g) => g.members.includes(c.name)));
  const groupStates: GroupState[] = groups.map(() => 'INIT');
  const out: OutLine[] = [];
  const idxByName = new Map(instances.map((c, i) => [c.name, i]));

  const record = (now: Us, instance: string, a: VrrpAction) => {
    const i = idxByName.get(instance);
    if (a.kind === 'setDeadline' && i !== undefined) {
      if (a.at === null) timers.delete(i);
      else timers.set(i, a.at / 1000);
    }
    const line: OutLine = { at: now / 1000, action: present(a) };
    if (multi) line.instance = instance;
    out.push(line);
  };

  const deliver = (i: number, ev: VrrpEvent, now: Us) => {
    const gi = groupOfIdx[i];
    if (gi < 0) {
      const r = step(instances[i], states[i], ev, now);
      states[i] = r.state;
      for (const a of r.actions) record(now, instances[i].name, a);
      return;
    }
    const g: SyncGroupConfig = groups[gi];
    const memberIdx = g.members.map((n) => idxByName.get(n)!).filter((x) => x !== undefined);
    const members = memberIdx.map((k) => ({ cfg: instances[k], state: states[k] }));
    const r = syncStep(g, members, groupStates[gi], memberIdx.indexOf(i), ev, now);
    memberIdx.forEach((k, j) => (states[k] = r.states[j]));
    groupStates[gi] = r.groupState;
    for (const t of r.actions) record(now, t.instance, t.action);
  };

  // Each instance's deadline (ms in the queue, as the runtime keeps it); a firing delivers the
  // deadline event at its own instant, and re-arms from the state when step did not.
  const timers: TimerQueue<number> = new TimerQueue<number>(
    time,
    (i, at) => {
      if (time.executed > 100_000) throw new Error('deadline storm');
      deliver(i, { kind: 'deadline' }, us(Math.round(at * 1000)));
      const d = states[i].deadline;
      if (timers.get(i) === undefined && d !== null) timers.set(i, d / 1000);
    },
    undefined,
    Infinity,
    time.oneShot,
  );

  for (const line of input) {
    const now = us(Math.round(line.at * 1000));
    time.runUntilUs(now);
    if (line.until || !line.event) continue;
    const targets = line.instance !== undefined ? [idxByName.get(line.instance)!] : instances.map((_, i) => i);
    for (const i of targets) deliver(i, completeEvent(instances[i], line.event), now);
  }
  return out;
}

const caseDirs = existsSync(CASES)
  ? readdirSync(CASES, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort()
  : [];

describe('VRRP conformance cases', () => {
  it('has at least 40 cases', () => {
    expect(caseDirs.length).toBeGreaterThanOrEqual(40);
  });
  for (const name of caseDirs) {
    it(name, () => {
      const dir = join(CASES, name);
      for (const f of ['keepalived.conf', 'input.jsonl', 'expected.jsonl', 'README.md']) expect(existsSync(join(dir, f)), `${name}/${f}`).toBe(true);
      expect(readFileSync(join(dir, 'README.md'), 'utf8').trim().length).toBeGreaterThan(80);
      const actual = runCase(readFileSync(join(dir, 'keepalived.conf'), 'utf8'), readJsonl<InputLine>(join(dir, 'input.jsonl')));
      const expected = readJsonl<OutLine>(join(dir, 'expected.jsonl'));
      const show = (ls: OutLine[]) => ls.map((l) => JSON.stringify(l)).join('\n');
      // Compare as parsed objects (key order free), print as JSONL on failure.
      if (JSON.stringify(actual.map(norm)) !== JSON.stringify(expected.map(norm))) expect(show(actual)).toBe(show(expected));
    });
  }
});

function norm(l: OutLine): unknown {
  const sortKeys = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(sortKeys) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, sortKeys(x)])) : v;
  return sortKeys(l);
}
