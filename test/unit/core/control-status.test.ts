// The status document's schema 1 is a contract (docs/control-socket.md): these are its exact
// fields at every level, built from subsystem snapshots shaped as the subsystems give them, and
// every field name appears in the documentation. A field added, renamed or removed fails here
// until the schema text (and, for a removal or a change of meaning, the schema number) follows.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatStatusText, priorityWhy, statusDocument, STATUS_SCHEMA } from '../../../src/core/control-status.js';
import type { VrrpStatus } from '../../../src/core/vrrp-subsystem.js';
import type { LvsStatus } from '../../../src/core/lvs-subsystem.js';

const docs = readFileSync(join(import.meta.dirname, '../../../docs/control-socket.md'), 'utf8');

const vrrp = {
  instances: [
    {
      name: 'VI_1',
      state: 'FAULT',
      priority: 150,
      effectivePriority: 150,
      master: null,
      vipsInstalled: [],
      errors: { ttl: 2 },
      suppressed: {},
      externalFaults: ['sync-group'],
      interface: 'eth0',
      vrid: 51,
      version: 3,
      family: 'inet6',
      vips: [{ address: '2001:db8::100/64', installed: false }],
      trackerEffects: [
        { type: 'interface', name: 'eth1', weight: 0, reverse: false, status: 'down', effect: 'fault' },
        { type: 'file', name: 'tf', weight: 2, reverse: false, status: '5', effect: 10 },
      ],
      lastTransition: { at: Date.UTC(2026, 11, 6, 3, 0, 0), from: 'BACKUP', to: 'FAULT', reason: 'interface' },
      counters: { advertsSent: 0, advertsReceived: 4, becameMaster: 0, releasedMaster: 0, priorityZeroSent: 0, priorityZeroReceived: 0 },
      transitions: { BACKUP: 1, FAULT: 1 },
    },
  ],
} as unknown as VrrpStatus;

const ipvs = {
  ipvs: 'unavailable',
  error: 'No such file or directory',
  virtualServers: [
    {
      id: 'vs1',
      label: '[192.0.2.1]:tcp:80',
      services: [],
      quorumUp: false,
      weightSum: 0,
      suspended: true,
      sorry: { label: '[198.51.100.9]:tcp:80', active: true, inhibit: false },
      reals: [],
      realServers: [{ key: 'k', label: '[198.51.100.1]:tcp:80', alive: false, weight: 0, pool: 'live', lastResult: 'timeout', checkersUp: 0, checkers: 1 }],
    },
  ],
  stats: { passes: 3, opsApplied: 4, opsRefused: 1, repairs: 0, dumps: 2, dumpErrors: 0 },
} as unknown as LvsStatus;

const keys = (o: object) => Object.keys(o).sort();

describe('status document, schema 1', () => {
  const d = statusDocument({ pid: 7, version: '0.1.0', compatVersion: '2.2.7', configFile: '/k.conf', configId: 'lb1', startedAt: 0, now: 61_000 }, { vrrp, ipvs });

  it('has exactly the documented fields at every level', () => {
    expect(d.schema).toBe(STATUS_SCHEMA);
    expect(keys(d)).toEqual(['daemon', 'ipvs', 'schema', 'vrrp']);
    expect(keys(d.daemon)).toEqual(['compatVersion', 'configFile', 'configId', 'pid', 'startedAt', 'uptimeSeconds', 'version']);
    const i = d.vrrp!.instances[0];
    expect(keys(i)).toEqual(['counters', 'drops', 'family', 'interface', 'lastTransition', 'master', 'name', 'priority', 'state', 'transitions', 'version', 'vips', 'vrid']);
    expect(keys(i.priority)).toEqual(['base', 'effective', 'faults', 'trackers']);
    expect(keys(i.priority.trackers[0])).toEqual(['effect', 'name', 'reverse', 'status', 'type', 'weight']);
    expect(keys(i.vips[0])).toEqual(['address', 'installed']);
    expect(keys(i.lastTransition!)).toEqual(['at', 'from', 'reason', 'to']);
    expect(keys(i.counters)).toEqual(['advertsReceived', 'advertsSent', 'becameMaster', 'priorityZeroReceived', 'priorityZeroSent', 'releasedMaster']);
    expect(keys(d.ipvs!)).toEqual(['error', 'state', 'stats', 'virtualServers']);
    expect(d.ipvs!.stats).toEqual({ passes: 3, opsApplied: 4, opsRefused: 1, repairs: 0, dumps: 2, dumpErrors: 0 });
    const v = d.ipvs!.virtualServers[0];
    expect(keys(v)).toEqual(['inTable', 'name', 'quorumUp', 'realServers', 'sorryServer']);
    expect(keys(v.sorryServer!)).toEqual(['active', 'name']);
    expect(keys(v.realServers[0])).toEqual(['checkers', 'checkersUp', 'lastLatencyMs', 'lastResult', 'name', 'pool', 'up', 'weight']);
  });

  it('every field name is in docs/control-socket.md', () => {
    const i = d.vrrp!.instances[0];
    const v = d.ipvs!.virtualServers[0];
    const all = new Set([
      ...keys(d.daemon),
      ...keys(i),
      ...keys(i.priority),
      ...keys(i.priority.trackers[0]),
      ...keys(i.vips[0]),
      ...keys(i.lastTransition!),
      ...keys(i.counters),
      ...keys(d.ipvs!),
      ...keys(d.ipvs!.stats!),
      ...keys(v),
      ...keys(v.sorryServer!),
      ...keys(v.realServers[0]),
    ]);
    expect([...all].filter((k) => !new RegExp(`\\b${k}\\b`).test(docs))).toEqual([]);
  });

  it('says why: faults from trackers and elsewhere, contributions, ISO times, nulls where unknown', () => {
    const i = d.vrrp!.instances[0];
    expect(i.priority.faults).toEqual(['interface:eth1', 'sync-group']);
    expect(priorityWhy(i.priority)).toBe('base 150, interface eth1 down: fault, file tf 5 +10');
    expect(i.lastTransition).toEqual({ at: '2026-12-06T03:00:00.000Z', from: 'BACKUP', to: 'FAULT', reason: 'interface' });
    expect(i.drops).toEqual({ ttl: 2 });
    expect(d.daemon.uptimeSeconds).toBe(61);
    expect(d.ipvs!.virtualServers[0]).toMatchObject({ inTable: false, realServers: [{ lastLatencyMs: null, lastResult: 'timeout' }] });
    const text = formatStatusText(d);
    expect(text).toContain('priority 150: base 150, interface eth1 down: fault, file tf 5 +10; fault: interface:eth1, sync-group');
    expect(text).toContain('Virtual servers (IPVS unavailable: No such file or directory):');
    expect(text).toContain('[192.0.2.1]:tcp:80  quorum down, not in table (ha_suspend), sorry server [198.51.100.9]:tcp:80 (active)');
  });

  it('a side that does not run is null', () => {
    const only = statusDocument({ pid: 1, version: 'v', compatVersion: '2.2.7', configFile: 'f', configId: 'i', startedAt: 0, now: 0 }, { vrrp });
    expect(only.ipvs).toBeNull();
    const noManager = statusDocument({ pid: 1, version: 'v', compatVersion: '2.2.7', configFile: 'f', configId: 'i', startedAt: 0, now: 0 }, { ipvs: { ...ipvs, stats: undefined } as unknown as LvsStatus });
    expect(noManager.ipvs!.stats).toBeNull();
    expect(only.vrrp).not.toBeNull();
  });
});
