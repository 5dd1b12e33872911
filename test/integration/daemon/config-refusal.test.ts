// Configs keepalived's VRRP process refuses to run (vrrp_complete_init fails, exit 2 "permanent
// error CONFIG"), checked against the real keepalived 2.2.7 in the same run: both daemons start
// in lab hosts with the same config, both must exit with the same code, our output must carry
// keepalived's message word for word, and neither may have put a VIP on its interface. Before
// this check our daemon ran both instances of a duplicated VRID (two masters, adverts for one
// VRID with two address lists) and ran 255 of 256 instances when one VRID was out of range.
// The last case is the other way round: a config nested thousands of blocks deep is reported
// and run by both (ours used to exit 70 with "Maximum call stack size exceeded").
import { describe, expect } from 'vitest';
import type { Lab } from '../../../src/lab/lab.js';
import type { KeepalivedPeer } from '../../../src/lab/keepalived-peer.js';
import { hasKeepalived } from '../../acceptance/lib/keepalived.js';
import { GLOBAL_DEFS, instanceConf, sleep, type DaemonNode } from './daemon-lab.js';
import { netnsIt, type NetnsFixture } from '../../helpers/netns-fixture.js';

/** keepalived's log line without its "Sat Dec  5 20:57:35 2026: " time stamp. */
const untimed = (l: string): string => l.replace(/^\w{3} \w{3} +\d+ [\d:]+ \d{4}: /, '');

/** Exit code of a process we started, once it has exited (null when killed by a signal). */
async function exitOf(p: KeepalivedPeer, timeoutMs: number): Promise<number | null> {
  await Promise.race([p.exited(), sleep(timeoutMs).then(() => Promise.reject(new Error(`keepalived still running after ${timeoutMs} ms:\n${p.lines.join('\n')}`)))]);
  return p.child.exitCode;
}

async function ourExit(a: DaemonNode, timeoutMs: number): Promise<number | null> {
  return Promise.race([a.exitCode(), sleep(timeoutMs).then(() => Promise.reject(new Error(`our daemon still running after ${timeoutMs} ms:\n${a.lines.join('\n')}`)))]);
}

/**
 * Starts keepalived in host `k` and our daemon in host `a` (same config), waits for both to
 * exit and returns keepalived's untimed lines, both exit codes, and our output.
 */
async function both(f: NetnsFixture, config: string): Promise<{ kaCode: number | null; kaLines: string[]; ourCode: number | null; ourLines: string[] }> {
  const k = f.keepalived('k', config);
  const a = f.daemon('a', config);
  const [kaCode, ourCode] = await Promise.all([exitOf(k, 30_000), ourExit(a, 30_000)]);
  return { kaCode, kaLines: k.lines.map(untimed), ourCode, ourLines: a.lines };
}

/** `it` for one case: our daemon in a (192.0.2.11), keepalived in k (192.0.2.12). */
const refusalIt = (title: string, timeoutMs: number, body: (f: NetnsFixture) => Promise<void>) =>
  netnsIt('dref', hasKeepalived)(title, timeoutMs, async (f) => {
    f.hosts({ a: '192.0.2.11/24', k: '192.0.2.12/24' });
    await body(f);
  });

const ipv4Of = (lab: Lab, host: string): string[] => lab.addresses(host).filter((x) => !x.includes(':'));

describe('the daemon refuses configs keepalived refuses (compared with keepalived 2.2.7)', () => {
  refusalIt('two instances with VRID 51 on eth0 (IPv4): exit 2 with keepalived\'s line, no VIP added', 90_000, async (f) => {
    const { lab } = f;
    const config =
      GLOBAL_DEFS +
      instanceConf({ name: 'VI_1', vrid: 51, priority: 100, vips: ['192.0.2.100/24'] }) +
      instanceConf({ name: 'VI_2', vrid: 51, priority: 100, vips: ['192.0.2.200/24'] });
    const r = await both(f, config);
    const kaMsg = r.kaLines.find((l) => /both use VRID/.test(l));
    expect(kaMsg).toBe('VI_1 and VI_2 both use VRID 51 with IPv4 on interface eth0');
    expect(r.kaCode).toBe(2);
    expect(r.ourCode).toBe(r.kaCode);
    // The refusal is the last line: "keepalived-ts: FILE:LINE:COL: error[duplicate-vrid]: <keepalived's words>".
    const last = r.ourLines.filter((l) => l.trim() !== '').at(-1) ?? '';
    expect(last).toMatch(/^keepalived-ts: \S+:\d+:\d+: error\[duplicate-vrid\]: /);
    expect(last.endsWith(`: ${kaMsg}`)).toBe(true);
    expect(ipv4Of(lab, 'a')).toEqual(['192.0.2.11/24']);
    expect(ipv4Of(lab, 'k')).toEqual(['192.0.2.12/24']);
  });

  refusalIt('256 instances, one with VRID 256: exit 2 with keepalived\'s lines, none of the 255 valid ones runs', 120_000, async (f) => {
    const { lab } = f;
    let config = GLOBAL_DEFS;
    for (let i = 1; i <= 256; i++) {
      // Distinct VIPs from the documentation ranges (198.51.100.0/24, then 203.0.113.0/24).
      const vip = i <= 254 ? `198.51.100.${i}/32` : `203.0.113.${i - 254}/32`;
      config += instanceConf({ name: `VI_${i}`, vrid: i, priority: 100, vips: [vip] });
    }
    const r = await both(f, config);
    const expected = ["number '256' outside range [1, 255]", '(VI_256) the virtual router id must be set'];
    for (const msg of expected) {
      expect(r.kaLines.some((l) => l.endsWith(msg))).toBe(true);
      expect(r.ourLines.some((l) => l.includes(`: ${msg}`))).toBe(true);
    }
    expect(r.kaCode).toBe(2);
    expect(r.ourCode).toBe(r.kaCode);
    expect(r.ourLines.some((l) => /Entering (BACKUP|MASTER) STATE/.test(l))).toBe(false);
    expect(ipv4Of(lab, 'a')).toEqual(['192.0.2.11/24']);
  });

  refusalIt('3,500 nested blocks beside a valid instance: both daemons report and run it (we used to exit 70)', 90_000, async (f) => {
    const deep = `global_defs {\n${'a {\n'.repeat(3_500)}${'}\n'.repeat(3_501)}`;
    const config = GLOBAL_DEFS + deep + instanceConf({ name: 'VI_1', vrid: 51, priority: 100, vips: ['192.0.2.100/24'] });
    const k = f.keepalived('k', config);
    const a = f.daemon('a', config);
    await Promise.all([k.waitFor(/\(VI_1\) Entering BACKUP STATE/, 60_000), a.waitFor(/\(VI_1\) Entering BACKUP STATE/, 60_000)]);
    expect(a.lines.some((l) => /error\[nesting-too-deep\]/.test(l))).toBe(true);
    expect(a.lines.some((l) => /internal error|call stack/i.test(l))).toBe(false);
    a.signal('SIGTERM');
    k.signal('SIGTERM');
    expect(await ourExit(a, 20_000)).toBe(0);
    expect(await exitOf(k, 20_000)).toBe(0);
  });
});
