// Issue 10 item 2, in namespaces: an observer floods the VRID with valid lower-priority adverts
// (scapy frames, paced raw-socket sender). keepalived 2.2.7 answers each with an advert and a
// GARP burst; we answer at most once per advert interval (plus the periodic advert: at most two
// per interval), burst GARPs at most once per garp_lower_prio_delay, count the rest and show the
// counts in status. keepalived runs the same flood in the same test for comparison.
import { describe, expect } from 'vitest';
import type { Lab } from '../../../src/lab/lab.js';
import type { PeerProcess } from '../../../src/lab/keepalived-peer.js';
import { sleep, stateLines, assertStableHolder } from '../daemon/daemon-lab.js';
import { HOSTS, VIP, faultIt, startKeepalivedPair, startOurPair } from './router-pair.js';
import { buildFrames, captureAdverts, maxInWindow, startFlood, txPackets, wallS } from './observer.js';

const RATE = 2000;
const SECONDS = 4;

interface Run {
  frames: number;
  adverts: { t: number; prio: number }[];
  sent: number;
}

/** Floods from c while `a` is master; returns a's transmitted frames and its adverts seen by c. */
async function floodRun(lab: Lab, frames: string): Promise<Run> {
  const cap = await captureAdverts(lab, 'c', '192.0.2.11');
  const tx0 = txPackets(lab, 'a');
  const from = wallS();
  const sent = await startFlood(lab, 'c', frames, RATE, SECONDS).done;
  const tx1 = txPackets(lab, 'a');
  await cap.stop();
  const adverts = cap.adverts.filter((x) => x.t >= from);
  return { frames: tx1 - tx0, adverts, sent };
}

function masterStates(p: PeerProcess): string[] {
  return stateLines(p, 'VI_1');
}

describe('a flood of lower-priority adverts is never amplified', () => {
  faultIt('fla', `${RATE}/s lower-priority adverts: at most 2 adverts per interval and one GARP burst; keepalived answers each`, 180_000, async (f) => {
    const { lab } = f;
    const frames = buildFrames(lab, 'c', 'lower', { vrid: 51, src: '192.0.2.13', vip: VIP, priority: 50 });

    // --- ours on both routers ---
    const { a, b } = await startOurPair(f);
    await sleep(5500); // past the master's GARP bursts (at once and garp_master_delay 5 s later)
    // Transitions are judged from here on (see startOurPair).
    const aFrom = a.lines.length;
    const bFrom = b.lines.length;
    const ours = await floodRun(lab, frames);
    expect(ours.sent).toBeGreaterThan(RATE * SECONDS * 0.9);
    // Adverts: the periodic one plus at most one answer per 1 s interval (a window slightly
    // shorter than the interval absorbs timestamp jitter).
    expect(ours.adverts.length).toBeGreaterThanOrEqual(SECONDS - 1);
    expect(maxInWindow(ours.adverts, 950)).toBeLessThanOrEqual(2);
    expect(ours.adverts.length).toBeLessThanOrEqual(2 * SECONDS + 2);
    // Frames: those adverts plus one burst of 5 GARPs (garp_lower_prio_delay = 5 s by default).
    expect(ours.frames).toBeLessThanOrEqual(2 * SECONDS + 2 + 5 + 2);
    await assertStableHolder(lab, HOSTS, 'a', VIP, 300);
    expect(masterStates({ ...a, lines: a.lines.slice(aFrom) })).toEqual([]);
    expect(masterStates({ ...b, lines: b.lines.slice(bFrom) })).toEqual([]);
    expect(masterStates(a).at(-1)).toBe('MASTER');
    expect(masterStates(b).at(-1)).toBe('BACKUP');
    // The held-back answers are counted and visible in status (SIGUSR1), not logged one by one.
    a.signal('SIGUSR1');
    const status = await a.waitFor(/"answer-suppressed":\d+/, 5000);
    const n = Number(/"answer-suppressed":(\d+)/.exec(status)?.[1]);
    expect(n).toBeGreaterThan(ours.sent * 0.9);
    expect(a.lines.filter((l) => /advert flood: answer-suppressed/.test(l)).length).toBeLessThanOrEqual(2);
    a.cleanup();
    b.cleanup();
    await Promise.all([a.exited(), b.exited()]);

    // --- keepalived 2.2.7 on both routers, same flood ---
    await startKeepalivedPair(f);
    await sleep(5500);
    const theirs = await floodRun(lab, frames);
    // keepalived answers (nearly) every lower-priority advert: many times our frame count.
    expect(theirs.sent, 'flood frames sent while keepalived was master').toBeGreaterThan(RATE * SECONDS * 0.9);
    expect(theirs.frames, `keepalived's frames for ${theirs.sent} flood frames (${theirs.adverts.length} adverts seen)`).toBeGreaterThan(5 * ours.frames);
    console.log(`flood ${RATE}/s x ${SECONDS} s: master frames ours ${ours.frames} (${ours.adverts.length} adverts), keepalived ${theirs.frames} (${theirs.adverts.length} adverts)`);
  });
});
