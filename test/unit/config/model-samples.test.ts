// Every field config and keepalived sample must build with the same unknown and invalid
// keywords keepalived 2.2.7 reports for it (`keepalived -t -f FILE`). EXPECTED_UNKNOWN pins what
// the installed binary reported when these tables were written; the live test re-runs the
// binary (inside a private network namespace) and compares line by line.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { buildModel } from '../../../src/config/build-model.js';
import { parseConfigFile } from '../../../src/config/parse.js';
import { DiagnosticSink } from '../../../src/lib/diagnostics.js';
import { isRoot, itWhen, type Prereq } from '../../helpers/require.js';
import { hasSamples, sampleFiles } from '../../helpers/samples.js';

const files = sampleFiles;

/** `line:keyword` pairs keepalived 2.2.7 reported as "Unknown keyword". */
const EXPECTED_UNKNOWN: Record<string, string[]> = {
  'haproxy-nopreempt.conf': ['4:notificationd'],
  'mysql-dual-master-tcp-check.conf': ['67:nb_get_retry'],
  'mysql-lvs-dr-wrr.conf': ['27:nat_mask', '35:nb_get_retry', '44:nb_get_retry'],
  'proxysql-node0.conf': ['22:rize'],
  'proxysql-node1.conf': ['21:rize'],
  'keepalived.conf.vrrp.lvs_syncd': ['4:VI_2', '5:VI_3'],
};
/** Lines keepalived 2.2.7 reported an invalid value/address on. */
const EXPECTED_INVALID: Record<string, number[]> = {
  'keepalived.conf.vrrp.rules': [11, 26],
};

const INVALID_CODES = new Set(['invalid-address', 'invalid-value', 'invalid-number', 'value-out-of-range']);

function ours(file: string) {
  const sink = new DiagnosticSink();
  const model = buildModel(parseConfigFile(file, { configId: 'none' }, sink), sink);
  const unknown = sink.items.filter((d) => d.code === 'unknown-keyword').map((d) => `${d.loc.line}:${d.text}`);
  const invalid = [...new Set(sink.items.filter((d) => INVALID_CODES.has(d.code)).map((d) => d.loc.line))];
  return { model, sink, unknown: unknown.sort(), invalid: invalid.sort((a, b) => a - b) };
}


describe('field configs and keepalived samples', () => {
  itWhen(hasSamples)('report the unknown and invalid keywords keepalived 2.2.7 reported', () => {
    for (const file of files) {
      const name = file.split('/').pop() as string;
      const r = ours(file);
      expect(r.unknown, name).toEqual((EXPECTED_UNKNOWN[name] ?? []).sort());
      expect(r.invalid, name).toEqual(EXPECTED_INVALID[name] ?? []);
      expect(r.sink.items.filter((d) => d.code === 'missing-parameter'), name).toEqual([]);
    }
  });

  itWhen(hasSamples)('build usable models (instances, virtual servers, checkers)', () => {
    const byName = new Map(files.map((f) => [f.split('/').pop() as string, ours(f).model]));
    const sample = byName.get('keepalived.conf.sample');
    expect(sample?.vrrpInstances.length).toBeGreaterThan(0);
    expect(sample?.virtualServers.length).toBeGreaterThan(0);
    const dr = byName.get('mysql-lvs-dr-wrr.conf');
    expect(dr?.virtualServers[0]).toMatchObject({ lbAlgo: 'wrr', lbKind: 'DR', protocol: 'TCP' });
    // nb_get_retry is unknown inside TCP_CHECK (as in keepalived), so retry keeps its default.
    expect(dr?.virtualServers[0].realServers[0].checkers[0]).toMatchObject({ kind: 'TCP_CHECK', connectPort: 3306 });
    expect(dr?.virtualServers[0].realServers[0].checkers[0].timing.retry).toBe(1);
  });
});

const hasKeepalived: Prereq = () =>
  spawnSync('keepalived', ['--version']).error ? 'keepalived binary not installed' : undefined;

describe('live comparison with keepalived -t', () => {
  itWhen(hasSamples, isRoot, hasKeepalived)('same unknown keywords, same invalid-value lines', { timeout: 60_000 }, () => {
    for (const file of files) {
      const name = file.split('/').pop() as string;
      const r = spawnSync('unshare', ['-n', 'keepalived', '-t', '-f', file], { encoding: 'utf8' });
      const out = `${r.stdout}${r.stderr}`;
      const lineOf = (m: string) => Number(/Line (\d+)\)/.exec(m)?.[1] ?? 0);
      const kaUnknown = [...out.matchAll(/^.*Unknown keyword '([^']*)'.*$/gm)].map((m) => `${lineOf(m[0])}:${m[1]}`);
      const kaInvalid = [
        ...new Set(
          out
            .split('\n')
            .filter((l) => /invalid IP|Invalid rule|outside range|unknown state|invalid number/.test(l))
            .map(lineOf),
        ),
      ];
      const o = ours(file);
      expect(o.unknown, name).toEqual([...new Set(kaUnknown)].sort());
      expect(o.invalid, name).toEqual(kaInvalid.sort((a, b) => a - b));
    }
  });
});
