// SIGHUP on a running master, in lab namespaces, while a peer watches: once with our daemon as
// the backup, once with keepalived 2.2.7 as the backup. 20 reloads in a row, one of them a
// broken config, others adding and removing an address (in virtual_ipaddress_excluded, so the
// adverts' address list stays what the backup has: 2.2.7 drops adverts whose list differs) and
// changing the priority. Checked: no state change on either node, the added address appears and
// the removed one goes (ip addr), the broken config is rejected with file:line:col and changes
// nothing, and the master's adverts (tcpdump -tt on its switch port) are no later during the
// reloads than before them. On the shared 2-core test machine an idle daemon's adverts are
// already up to 10-20 ms late now and then (scheduling), so the bound here is the idle figure
// plus 25 ms, not the 2 ms the design aims at: that is measured with a large config by
// bench/reload-gap.mjs (docs/BENCHMARKS.md), worker against in-process parsing. keepalived's
// lines around a reload are compared with ours in the same run.
import { writeFileSync } from 'node:fs';
import { describe, expect } from 'vitest';
import { hasKeepalived, hasTcpdump } from '../../helpers/require.js';
import { hasVip, netnsIt, sleep, waitUntil, waitVip, type NetnsFixture } from '../../helpers/netns-fixture.js';
import type { PeerProcess } from '../../../src/lab/keepalived-peer.js';
import { stateLines } from './daemon-lab.js';

const VIP = '192.0.2.100';
const EXTRA = '192.0.2.101';

function conf(o: { priority: number; extra?: boolean; broken?: boolean }): string {
  return [
    'vrrp_instance VI_1 {',
    '  state BACKUP',
    '  interface eth0',
    '  virtual_router_id 51',
    `  priority ${o.priority}`,
    '  advert_int 1',
    '  virtual_ipaddress {',
    `    ${VIP}/24`,
    '  }',
    '  virtual_ipaddress_excluded {',
    ...(o.extra ? [`    ${EXTRA}/24`] : []),
    '  }',
    '}',
    ...(o.broken ? ['vrrp_instance VI_BAD {', '  interface eth0', '  virtual_router_id 999', '}'] : []),
    '',
  ].join('\n');
}

/** The reloads: [config, expected outcome line]. */
const STEPS: { c: Parameters<typeof conf>[0]; outcome: RegExp }[] = [
  { c: { priority: 150 }, outcome: /Reload finished in \d+ usec: configuration unchanged/ },
  { c: { priority: 150, extra: true }, outcome: /Reload applied in \d+ usec: vrrp: instance VI_1 changed/ },
  { c: { priority: 150, extra: true }, outcome: /Reload finished/ },
  { c: { priority: 160, extra: true }, outcome: /Reload applied/ },
  { c: { priority: 160, extra: true, broken: true }, outcome: /Reload rejected: \d+ error\(s\)/ },
  { c: { priority: 160, extra: true }, outcome: /Reload finished/ },
  { c: { priority: 160 }, outcome: /Reload applied/ },
  { c: { priority: 150 }, outcome: /Reload applied/ },
];
while (STEPS.length < 20) STEPS.push({ c: { priority: 150 }, outcome: /Reload finished/ });

const OUTCOME = /Reload (finished|applied|rejected)/;

/** The lines keepalived 2.2.7 prints around a reload, in its words, in order. */
function reloadTranscript(lines: readonly string[]): string[] {
  const out: string[] = [];
  for (const l of lines) {
    const m = /(Reloading \.\.\.|Reloading|Reload complete|Configuration file)(?= |$)/.exec(l);
    if (m) out.push(m[1]);
  }
  return out;
}

/** Advert times (ms) of VRID 51 from the capture (`tcpdump -tt`), in order. */
function advertTimes(lines: readonly string[], from: string): number[] {
  return lines.flatMap((l) => {
    const m = /^(\d+\.\d+) IP (\S+) > 224\.0\.0\.18: VRRPv2, Advertisement, vrid 51, prio (\d+)/.exec(l);
    return m && m[2] === from ? [Number(m[1]) * 1000] : [];
  });
}

/** Largest lateness (ms past the 1 s interval) of the adverts within [from, to]. */
function maxLate(times: readonly number[], from: number, to: number): number {
  let worst = -Infinity;
  for (let i = 1; i < times.length; i++) if (times[i] >= from && times[i] <= to) worst = Math.max(worst, times[i] - times[i - 1] - 1000);
  return worst;
}

async function twentyReloads(f: NetnsFixture, peer: PeerProcess): Promise<{ a: PeerProcess; conf: string }> {
  const { lab } = f;
  const a = f.daemon('a', conf({ priority: 150 }));
  const conf0 = a.conf;
  await waitVip(lab, 'a', VIP, true, 20_000);
  await a.waitFor(/\(VI_1\) Entering MASTER STATE/, 5000);
  await peer.waitFor(/\(VI_1\) Entering BACKUP STATE/, 5000);
  const cap = await f.capture('ip proto 112', { port: 'a', args: ['-tt'] });
  await sleep(6000);
  const aStates = stateLines(a, 'VI_1').length;
  const peerStates = stateLines(peer, 'VI_1').length;
  const t0 = Date.now();
  for (const [i, s] of STEPS.entries()) {
    writeFileSync(conf0, conf(s.c));
    const n = a.lines.filter((l) => OUTCOME.test(l)).length;
    a.signal('SIGHUP');
    await waitUntil(`reload ${i} done`, () => a.lines.filter((l) => OUTCOME.test(l)).length > n, 20_000);
    const line = a.lines.filter((l) => OUTCOME.test(l))[n];
    expect(line, `reload ${i}`).toMatch(s.outcome);
    if (i === 1) await waitVip(lab, 'a', EXTRA, true, 3000);
    if (i === 6) await waitVip(lab, 'a', EXTRA, false, 3000);
    if (i === 4) {
      // Every error with its file:line:col; the address from the config before it is still there.
      expect(a.lines.some((l) => l.includes(`${conf0}:`) && /:\d+:\d+: error\[/.test(l))).toBe(true);
      expect(hasVip(lab, 'a', EXTRA)).toBe(true);
    }
    await sleep(200);
  }
  const t1 = Date.now();
  await sleep(2500);
  const lines = await cap.stop();
  expect(stateLines(a, 'VI_1').slice(aStates)).toEqual([]);
  expect(stateLines(peer, 'VI_1').slice(peerStates)).toEqual([]);
  expect(hasVip(lab, 'a', VIP)).toBe(true);
  expect(hasVip(lab, 'a', EXTRA)).toBe(false);
  const times = advertTimes(lines, '192.0.2.11');
  const before = maxLate(times, t0 - 6000, t0);
  const during = maxLate(times, t0, t1 + 1000);
  // Printed for the record (docs/BENCHMARKS.md quotes a run).
  console.log(`adverts: ${times.length}; largest lateness before the reloads ${before.toFixed(2)} ms, during them ${during.toFixed(2)} ms`);
  expect(times.length).toBeGreaterThan(10);
  expect(during).toBeLessThanOrEqual(Math.max(before, 0) + 25);
  return { a, conf: conf0 };
}

describe('reload (SIGHUP) on a master while a peer watches', () => {
  netnsIt('rld', hasTcpdump)('our daemon as the backup: 20 reloads, no transition, no late advert, VIPs follow, broken config rejected', 180_000, async (f) => {
    f.hosts({ a: '192.0.2.11/24', b: '192.0.2.12/24' });
    const b = f.daemon('b', conf({ priority: 100 }));
    await twentyReloads(f, b);
  });

  netnsIt('rlk', hasTcpdump, hasKeepalived)('keepalived 2.2.7 as the backup: the same, and keepalived prints the same lines around a reload', 180_000, async (f) => {
    f.hosts({ a: '192.0.2.11/24', k: '192.0.2.21/24' });
    const k = f.keepalived('k', conf({ priority: 100 }));
    const { a } = await twentyReloads(f, k);
    // One reload of an unchanged config on each: the same lines, in the same order.
    const kn = k.lines.length;
    k.signal('SIGHUP');
    await k.waitFor(/Reload complete/, 10_000);
    await sleep(300);
    const an = a.lines.length;
    a.signal('SIGHUP');
    await waitUntil('our reload done', () => a.lines.slice(an).some((l) => OUTCOME.test(l)), 20_000);
    const theirs = reloadTranscript(k.lines.slice(kn));
    expect(theirs).toEqual(['Reloading ...', 'Configuration file', 'Reloading', 'Reload complete']);
    expect(reloadTranscript(a.lines.slice(an))).toEqual(theirs);
  });
});
