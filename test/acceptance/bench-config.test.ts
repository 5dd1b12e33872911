// The parse benchmark's input (bench/lib/gen-config.mjs) is what BENCHMARKS.md says it is: a
// clean config of the stated shape, so the benchmark times real work and not error paths.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/pipeline.js';
import { DiagnosticSink, formatDiagnostic } from '../../src/lib/diagnostics.js';
import { generateConfig } from '../../bench/lib/gen-config.mjs';

const gen = generateConfig as (o?: { instances?: number; vipsPerInstance?: number; virtualServers?: number; realServers?: number }) => string; // JSDoc-typed JS
const dir = mkdtempSync(join(tmpdir(), 'kt-benchcfg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('benchmark config generator', () => {
  it('the default file has ~58k lines: 200 instances, 1,000 x 10 real servers', () => {
    const text = gen();
    expect(text.split('\n').length - 1).toBeGreaterThan(50_000);
    expect(text.match(/^vrrp_instance /gm)?.length).toBe(200);
    expect(text.match(/^virtual_server /gm)?.length).toBe(1000);
    expect(text.match(/^ {4}real_server /gm)?.length).toBe(10_000);
    expect(text.match(/TCP_CHECK \{/g)?.length).toBe(10_000);
  });

  it('a scaled-down file goes through the pipeline with zero diagnostics and the stated counts', () => {
    const f = join(dir, 'small.conf');
    writeFileSync(f, gen({ instances: 20, vipsPerInstance: 2, virtualServers: 30, realServers: 4 }));
    const sink = new DiagnosticSink();
    const { model } = loadConfig(f, { configId: 'bench' }, sink);
    expect(sink.items.map(formatDiagnostic)).toEqual([]);
    expect(model.vrrpInstances).toHaveLength(20);
    expect(model.vrrpInstances.every((i) => i.virtualIpaddress.length === 2)).toBe(true);
    expect(model.virtualServers).toHaveLength(30);
    expect(model.virtualServers.every((v) => v.realServers.length === 4 && v.realServers.every((r) => r.checkers[0]?.kind === 'TCP_CHECK'))).toBe(true);
    const rsAddrs = new Set(model.virtualServers.flatMap((v) => v.realServers.map((r) => r.ip.text)));
    expect(rsAddrs.size).toBe(120);
    for (const a of rsAddrs) expect(a).toMatch(/^198\.1[89]\./);
  });

  it('refuses more instances than VRIDs', () => {
    expect(() => gen({ instances: 256 })).toThrow(RangeError);
  });
});
