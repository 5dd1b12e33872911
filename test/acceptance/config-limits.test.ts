// Config input limits with `-t`, each compared with keepalived 2.2.7's `-t` on the same file in
// the same run: duplicate VRIDs (keepalived's words, its exit code), nesting thousands of
// blocks deep (a report and keepalived's exit code, never an internal error from running out
// of stack: we used to exit 70 with "Maximum call stack size exceeded"), and thousands of
// unknown keywords (the first 100 shown, the rest counted, and the count adds up to the
// number keepalived reports one by one).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect } from 'vitest';
import { isRoot, itWhen } from '../helpers/require.js';
import { hasStackTrace, runCli } from './lib/cli.js';
import { hasKeepalived, hasUnshare, keepalivedConfigTest } from './lib/keepalived.js';

const dir = mkdtempSync(join(tmpdir(), 'kt-limits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

const instance = (name: string, vrid: number, vip: string): string =>
  `vrrp_instance ${name} {\n  state BACKUP\n  interface eth0\n  virtual_router_id ${vrid}\n  priority 100\n  advert_int 1\n  virtual_ipaddress {\n    ${vip}\n  }\n}\n`;

const ka = itWhen(isRoot, hasKeepalived, hasUnshare);

describe('-t on config input limits, compared with keepalived -t', () => {
  ka('duplicate VRID on one interface and family: keepalived\'s line and exit code', { timeout: 90_000 }, async () => {
    const f = write('dup.conf', instance('VI_1', 51, '192.0.2.10/24') + instance('VI_2', 51, '192.0.2.20/24') + instance('VI_3', 52, '192.0.2.30/24'));
    const [k, ours] = await Promise.all([keepalivedConfigTest(f, 'x', { interfaces: ['eth0'] }), runCli(['-t', '-f', f], { timeoutMs: 60_000 })]);
    const kaMsgs = k.lines.filter((l) => /both use VRID/.test(l));
    expect(kaMsgs).toEqual(['VI_1 and VI_2 both use VRID 51 with IPv4 on interface eth0']);
    const ourMsgs = ours.stderr.split('\n').filter((l) => /error\[duplicate-vrid\]/.test(l));
    expect(ourMsgs).toEqual([`${f}:11:1: error[duplicate-vrid]: ${kaMsgs[0]}`]);
    expect(ours.status).toBe(k.status);
  });

  ka('duplicate VRID variants: the same conflicts as keepalived, pair by pair', { timeout: 120_000 }, async () => {
    const inst = (name: string, vrid: number, body: string): string =>
      `vrrp_instance ${name} {\n  interface eth0\n  virtual_router_id ${vrid}\n  priority 100\n${body}}\n`;
    const vips = (...a: string[]): string => `  virtual_ipaddress {\n${a.map((x) => `    ${x}\n`).join('')}  }\n`;
    const uni = (src: string, ...peers: string[]): string => `  unicast_src_ip ${src}\n  unicast_peer {\n${peers.map((x) => `    ${x}\n`).join('')}  }\n`;
    const cases: Record<string, string> = {
      // Every pair is reported.
      three: inst('A', 5, vips('192.0.2.1/24')) + inst('B', 5, vips('192.0.2.2/24')) + inst('C', 5, vips('192.0.2.3/24')),
      // Different multicast groups: no conflict; the same group written out: conflict.
      groups:
        inst('A', 6, vips('192.0.2.1/24') + '  mcast_dst_ip 224.0.0.19\n') +
        inst('B', 6, vips('192.0.2.2/24')) +
        inst('C', 6, vips('192.0.2.3/24') + '  mcast_dst_ip 224.0.0.18\n'),
      // Unicast: conflict only with the same source and a shared peer; unicast and multicast
      // are separate VRID spaces.
      unicast:
        inst('A', 7, vips('192.0.2.1/24') + uni('192.0.2.10', '192.0.2.20')) +
        inst('B', 7, vips('192.0.2.2/24') + uni('192.0.2.10', '192.0.2.20', '192.0.2.21')) +
        inst('C', 7, vips('192.0.2.3/24') + uni('192.0.2.10', '192.0.2.22')) +
        inst('D', 7, vips('192.0.2.4/24') + uni('192.0.2.11', '192.0.2.20')) +
        inst('E', 7, vips('192.0.2.5/24')),
    };
    const conflict = /both use VRID|duplicate VRID conflict/;
    for (const [name, text] of Object.entries(cases)) {
      const f = write(`dup-${name}.conf`, text);
      const [k, ours] = await Promise.all([keepalivedConfigTest(f, 'x', { interfaces: ['eth0'] }), runCli(['-t', '-f', f], { timeoutMs: 60_000 })]);
      const kaMsgs = [...new Set(k.lines.filter((l) => conflict.test(l)).map((l) => l.replace(/^\(.*?Line \d+\) /, '')))].sort();
      const ourMsgs = ours.stderr
        .split('\n')
        .filter((l) => /error\[duplicate-vrid\]/.test(l))
        .map((l) => l.replace(/^.*?error\[duplicate-vrid\]: /, ''))
        .sort();
      expect(kaMsgs.length, name).toBeGreaterThan(0);
      expect(ourMsgs, name).toEqual(kaMsgs);
      expect(ours.status, name).toBe(k.status);
    }
  });

  for (const levels of [3_500, 100_000]) {
    ka(`${levels} nested blocks: reported, finished, keepalived's exit code (never 70)`, { timeout: 180_000 }, async () => {
      // Unknown keywords opening blocks inside global_defs, and bare braces at top level.
      const named = write(`nest-kw-${levels}.conf`, `global_defs {\n${'a {\n'.repeat(levels)}${'}\n'.repeat(levels + 1)}`);
      const bare = write(`nest-bare-${levels}.conf`, `${'{\n'.repeat(levels)}${'}\n'.repeat(levels)}`);
      for (const f of [named, bare]) {
        const [k, ours] = await Promise.all([keepalivedConfigTest(f, 'x', { timeoutMs: 120_000 }), runCli(['-t', '-f', f], { timeoutMs: 120_000 })]);
        expect(ours.stderr).not.toMatch(/internal error|call stack/);
        expect(hasStackTrace(ours.stderr)).toBe(false);
        // Levels 1-100 are blocks; the '{' of level 101 (line 101 in both files) is the first
        // reported, and every deeper one is too: 100 shown, the rest counted.
        const tooDeep = levels - 100 + (f === named ? 1 : 0);
        expect(ours.stderr).toContain(`${f}:101:${f === named ? 3 : 1}: error[nesting-too-deep]: `);
        expect(ours.stderr.split('\n').filter((l) => /error\[nesting-too-deep\]: blocks nested too deep/.test(l))).toHaveLength(100);
        expect(ours.stderr).toContain(`error[nesting-too-deep]: ${tooDeep - 100} more diagnostics like this in ${f} (not shown)`);
        expect(k.status).toBe(5);
        expect(ours.status).toBe(k.status);
      }
    });
  }

  ka('5,000 unknown keywords: 100 shown and the rest counted, adding up to keepalived\'s count', { timeout: 120_000 }, async () => {
    const lines = Array.from({ length: 5_000 }, (_, i) => `unknown_kw_${i} one two three\n`).join('');
    // At top level and inside one block (global_defs).
    for (const [name, text] of [
      ['unknown-top.conf', lines],
      ['unknown-block.conf', `global_defs {\n${lines}}\n`],
    ] as const) {
      const f = write(name, text);
      const [k, ours] = await Promise.all([keepalivedConfigTest(f, 'x', { timeoutMs: 100_000 }), runCli(['-t', '-f', f], { timeoutMs: 100_000 })]);
      // Its processes repeat each other with different prefixes: count distinct keywords.
      const kaUnknown = new Set(k.lines.map((l) => /Unknown keyword '(unknown_kw_\d+)'/.exec(l)?.[1]).filter((x) => x !== undefined)).size;
      expect(kaUnknown).toBe(5_000);
      const out = ours.stderr.split('\n');
      const shown = out.filter((l) => /error\[unknown-keyword\]: unknown keyword 'unknown_kw_\d+'/i.test(l));
      expect(shown).toHaveLength(100);
      // The first 100 in file order.
      expect(shown.map((l) => /'(unknown_kw_\d+)'/.exec(l)?.[1])).toEqual(Array.from({ length: 100 }, (_, i) => `unknown_kw_${i}`));
      const summary = out.filter((l) => /error\[unknown-keyword\]: \d+ more diagnostics like this in /.test(l));
      expect(summary).toHaveLength(1);
      const counted = Number(/: (\d+) more diagnostics/.exec(summary[0])?.[1]);
      expect(shown.length + counted).toBe(kaUnknown);
      // It stands where the first one left out is (line 101, or 102 inside global_defs).
      expect(summary[0].startsWith(`${f}:${name === 'unknown-top.conf' ? 101 : 102}:`)).toBe(true);
      expect(ours.status).toBe(k.status);
    }
  });
});
