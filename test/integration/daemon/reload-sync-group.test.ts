// Sync groups changed by SIGHUP, our daemon and keepalived 2.2.7 side by side in the same run:
// two labs, each with the node under test (ours in one, keepalived in the other) beside a
// keepalived peer that runs every VRID at priority 100. Both nodes take the same configs and the
// same reloads (test/helpers/sync-group-reload.ts: groups formed over a MASTER and a BACKUP,
// deleted, shrunk, grown, a new member added and deleted, a group's notify script changed; and
// with group tracking: a FAULT group shrunk, its tracking dropped, a new group over a down link).
// After each reload and 9 s, per node: the notify calls (instance and group scripts), the state
// lines per instance, who holds each VIP (ip addr in both hosts). keepalived's transcript must be
// the one the scenario recorded from it, and ours must equal keepalived's.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { hasKeepalived } from '../../helpers/require.js';
import { hasVip, netnsIt, sleep, waitUntil, withNetns, type NetnsFixture } from '../../helpers/netns-fixture.js';
import type { PeerProcess } from '../../../src/lab/keepalived-peer.js';
import { nodeDir, notifyScript, readNotifyLog, stateLines } from './daemon-lab.js';
import { BASE, FAULT_STEPS, START, STEPS, TRACKED, VI_5, holdersOf, nodeConf, peerConf, vipOf, type Scripts, type Step } from '../../helpers/sync-group-reload.js';

const NAMES = [...BASE, VI_5].map((i) => i.name);

/** What one node did after one reload. */
interface Transcript {
  notifies: string[];
  states: Record<string, string[]>;
  holders: Record<string, string>;
}

interface Side {
  readonly node: PeerProcess;
  readonly conf: string;
  /** The line that says a reload is done. */
  readonly done: RegExp;
}

async function runScenario(f: NetnsFixture, steps: readonly Step[], start: (f: NetnsFixture, scripts: Scripts) => Side): Promise<Transcript[]> {
  f.hosts({ n: '192.0.2.21/24', p: '192.0.2.22/24' });
  // The link the groups of the FAULT scenario track: a veth pair inside the node's namespace.
  const onNode = (...argv: string[]) => f.lab.ns(f.lab.host('n').netns, ['ip', 'link', ...argv]);
  onNode('add', TRACKED, 'type', 'veth', 'peer', 'name', `${TRACKED}p`);
  onNode('set', `${TRACKED}p`, 'up');
  onNode('set', TRACKED, 'up');
  f.keepalived('p', peerConf());
  const dir = nodeDir('sgr');
  f.onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const scripts: Scripts = { instance: notifyScript(dir, 'N'), group: notifyScript(dir, 'G'), group2: notifyScript(dir, 'G2') };
  const side = start(f, scripts);
  await side.node.waitFor(/\(VI_3\) Entering MASTER STATE/, 20_000);
  await sleep(6000);
  const out: Transcript[] = [];
  for (const s of steps) {
    const notified = readNotifyLog(dir).length;
    const before = Object.fromEntries(NAMES.map((n) => [n, stateLines(side.node, n).length]));
    const reloads = side.node.lines.filter((l) => side.done.test(l)).length;
    if (s.link) onNode('set', TRACKED, s.link);
    else {
      writeFileSync(side.conf, nodeConf(s, scripts));
      side.node.signal('SIGHUP');
      await waitUntil(`reload: ${s.title}`, () => side.node.lines.filter((l) => side.done.test(l)).length > reloads, 20_000);
    }
    await sleep(9000);
    const states: Record<string, string[]> = {};
    for (const n of NAMES) {
      const l = stateLines(side.node, n).slice(before[n]);
      if (l.length > 0) states[n] = l;
    }
    const holders: Record<string, string> = {};
    for (const i of [...BASE, VI_5]) {
      const on = ['n', 'p'].filter((h) => hasVip(f.lab, h, vipOf(i.vrid)));
      if (on.length > 0) holders[i.name] = on.join('+');
    }
    if (process.env.KT_DEBUG) console.log(`--- ${s.title}\n${side.node.lines.join('\n')}\n${f.lab.addresses('n').join(' ')} | ${f.lab.addresses('p').join(' ')}`);
    out.push({ notifies: readNotifyLog(dir).slice(notified).map((e) => e.text).sort(), states, holders });
  }
  return out;
}

/** "TAG [A] [B]" -> "A B": the arguments without the script's tag. */
const args = (l: string) => l.replace(/^\S+ /, '').replace(/\[|\]/g, '');

/** The scenario on our daemon (in `f`) and on keepalived (in a second lab) at once; then compared. */
async function sideBySide(f: NetnsFixture, steps: readonly Step[]): Promise<void> {
  const ours = runScenario(f, steps, (fx, scripts) => {
    const n = fx.daemon('n', nodeConf(START, scripts));
    return { node: n, conf: n.conf, done: /Reload (finished|applied|rejected)/ };
  });
  const theirs = withNetns('sgk', (g) =>
    runScenario(g, steps, (gx, scripts) => {
      const k = gx.keepalived('n', nodeConf(START, scripts));
      return { node: k, conf: join(k.dir, 'keepalived.conf'), done: /Reload complete/ };
    }),
  );
  // Both run to their end (each lab is cleaned up by its own fixture) before anything is judged.
  const [so, sk] = await Promise.allSettled([ours, theirs]);
  if (so.status === 'rejected') throw so.reason;
  if (sk.status === 'rejected') throw sk.reason;
  const [o, k] = [so.value, sk.value];
  for (const [i, s] of steps.entries()) {
    // keepalived does what the scenario recorded from it...
    expect(k[i].notifies.map(args), `keepalived: ${s.title}`).toEqual(s.notifies);
    expect(k[i].states, `keepalived: ${s.title}`).toEqual(s.states);
    expect(k[i].holders, `keepalived: ${s.title}`).toEqual(Object.fromEntries(Object.entries(holdersOf(s)).map(([n, w]) => [n, w === 'node' ? 'n' : 'p'])));
    // ...and ours does the same, the scripts (tags) included.
    expect(o[i], `ours: ${s.title}`).toEqual(k[i]);
  }
}

describe('reload: vrrp_sync_group changes, our daemon beside keepalived 2.2.7', () => {
  netnsIt('sgo', hasKeepalived)('groups formed, deleted, shrunk, grown, a member added and deleted: the same notifies, state lines and VIP holders', 360_000, async (f) => {
    await sideBySide(f, STEPS);
  });

  netnsIt('sgf', hasKeepalived)('group tracking and faults: the same notifies, state lines and VIP holders', 360_000, async (f) => {
    await sideBySide(f, FAULT_STEPS);
  });
});
