// One interface re-create trial in a lab: routers a (priority 150) and b (priority 100) on a
// bridge, each running our daemon or keepalived 2.2.7, and an observer c capturing adverts.
// After a is the sole VIP holder, one router's eth0 is deleted and re-created with the same name
// (Lab.recreateLink: new ifindex, new MAC, same addresses). The trial then watches who holds the
// VIP and which adverts c hears, and reports the time from the re-create to the moment after
// which a alone held the VIP for the rest of the watch.
import type { Lab } from '../../../src/lab/lab.js';
import { NetnsFixture } from '../../helpers/netns-fixture.js';
import { type PeerProcess } from '../../../src/lab/keepalived-peer.js';
import { GLOBAL_DEFS, assertStableHolder, holders, instanceConf, sleep, stateLines, waitSoleHolder } from '../daemon/daemon-lab.js';

export type Impl = 'ours' | 'keepalived';

export interface TrialOptions {
  readonly a: Impl;
  readonly b: Impl;
  readonly family: 'inet' | 'inet6';
  /** Whose eth0 is re-created. */
  readonly recreate: 'a' | 'b';
  /** How long to watch after the re-create (ms). */
  readonly watchMs?: number;
  /** Unicast adverts (unicast_src_ip + unicast_peer) instead of multicast. */
  readonly unicast?: boolean;
  /** `dont_track_primary` on a: its own interface going away does not put it in FAULT. */
  readonly dontTrackPrimary?: boolean;
}

export interface Advert {
  readonly t: number;
  readonly src: string;
  readonly prio: number;
}

export interface TrialResult {
  /** ms from the end of the re-create to the last poll at which a was not the sole holder (0: never). */
  readonly msToSingleMaster: number;
  /** Largest number of simultaneous VIP holders seen after the re-create. */
  readonly maxHolders: number;
  /** Holders at the end of the watch. */
  readonly finalHolders: string[];
  /** Adverts the observer heard in the last 2 s of the watch. */
  readonly lastAdverts: Advert[];
  /** Source addresses of a's eth0 after the re-create (its adverts must come from one of them). */
  readonly aSources: string[];
  readonly oldIfindex: number;
  readonly newIfindex: number;
  /** State lines ("Entering X STATE") of a and b after the re-create. */
  readonly statesA: string[];
  readonly statesB: string[];
  /** Output of both routers (for failure messages). */
  readonly logs: { a: string[]; b: string[] };
}

const VIP4 = '192.0.2.100';
const VIP6 = '2001:db8:5e::100';

const ADDR = { inet: { a: '192.0.2.11', b: '192.0.2.12', c: '192.0.2.13' }, inet6: { a: 'fd00:5e::11', b: 'fd00:5e::12', c: 'fd00:5e::13' } } as const;

function config(family: 'inet' | 'inet6', self: 'a' | 'b', unicast: boolean, dontTrackPrimary = false): string {
  const other = self === 'a' ? 'b' : 'a';
  const extra = [
    ...(dontTrackPrimary ? ['dont_track_primary'] : []),
    ...(family === 'inet6' ? ['version 3'] : []),
    ...(unicast ? [`unicast_src_ip ${ADDR[family][self]}`, 'unicast_peer {', `  ${ADDR[family][other]}`, '}'] : []),
  ];
  return GLOBAL_DEFS + instanceConf({
    name: 'VI_R',
    vrid: 52,
    priority: self === 'a' ? 150 : 100,
    vips: [family === 'inet' ? `${VIP4}/24` : `${VIP6}/64`],
    extra,
  });
}

/** tcpdump lines from the observer, each with the time it arrived. */
function captureAdverts(lab: Lab, host: string): { adverts: Advert[]; ready: Promise<void>; stop(): void } {
  const child = lab.spawn(host, ['tcpdump', '-i', 'eth0', '-n', '-l', 'ip proto 112 or ip6 proto 112']);
  const adverts: Advert[] = [];
  let partial = '';
  let onReady!: () => void;
  const ready = new Promise<void>((r) => (onReady = r));
  const onData = (d: Buffer) => {
    partial += d.toString('utf8');
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) {
      if (/listening on/.test(l)) onReady();
      // "... IP 192.0.2.11 > 224.0.0.18: VRRPv2, Advertisement, vrid 52, prio 150, ..."; tcpdump
      // inserts "(ttl N), " before the vrid when the TTL/hop limit is not 255.
      const m = /IP6? (\S+) > \S+: VRRPv\d, Advertisement, (?:\(ttl \d+\), )?vrid \d+, prio (\d+)/.exec(l);
      if (m) adverts.push({ t: performance.now(), src: m[1], prio: Number(m[2]) });
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  return { adverts, ready, stop: () => child.pid !== undefined && child.exitCode === null && process.kill(child.pid, 'SIGKILL') };
}

function startRouter(f: NetnsFixture, host: string, impl: Impl, conf: string): PeerProcess {
  return impl === 'keepalived' ? f.keepalived(host, conf) : f.daemon(host, conf);
}

function sourcesOf(lab: Lab, host: string, family: 'inet' | 'inet6'): string[] {
  const out = JSON.parse(lab.exec(host, ['ip', '-j', 'addr', 'show', 'dev', 'eth0'])) as { addr_info: { family: string; local: string }[] }[];
  return out.flatMap((l) => l.addr_info.filter((a) => a.family === family).map((a) => a.local));
}

export async function recreateTrial(o: TrialOptions): Promise<TrialResult> {
  const f = new NetnsFixture('rcr');
  const { lab } = f;
  const vip = o.family === 'inet' ? VIP4 : VIP6;
  const hosts = ['a', 'b'];
  try {
    const len = o.family === 'inet6' ? 64 : 24;
    f.hosts({ a: `${ADDR[o.family].a}/${len}`, b: `${ADDR[o.family].b}/${len}`, c: `${ADDR[o.family].c}/${len}` });
    // Ageing time 0: the bridge floods every frame like a hub, so the observer hears unicast adverts too.
    if (o.unicast) lab.ns(lab.switchNs, ['ip', 'link', 'set', 'br0', 'type', 'bridge', 'ageing_time', '0']);
    const cap = captureAdverts(lab, 'c');
    f.onCleanup(() => cap.stop());
    const a = startRouter(f, 'a', o.a, config(o.family, 'a', o.unicast ?? false, o.dontTrackPrimary));
    const b = startRouter(f, 'b', o.b, config(o.family, 'b', o.unicast ?? false));
    await cap.ready;
    // Generous: on a loaded machine our daemon's start under tsx can take tens of seconds.
    await b.waitFor(/\(VI_R\) Entering BACKUP STATE/, 90_000);
    await waitSoleHolder(lab, hosts, 'a', vip, 60_000);
    await assertStableHolder(lab, hosts, 'a', vip, 1500);
    const before = { a: stateLines(a, 'VI_R').length, b: stateLines(b, 'VI_R').length };

    const { oldIfindex, newIfindex } = lab.recreateLink(o.recreate);
    const t0 = performance.now();
    const watchMs = o.watchMs ?? 10_000;
    let lastBad = t0;
    let maxHolders = 0;
    let final: string[] = [];
    while (performance.now() - t0 < watchMs) {
      final = holders(lab, hosts, vip);
      maxHolders = Math.max(maxHolders, final.length);
      if (final.length !== 1 || final[0] !== 'a') lastBad = performance.now();
      await sleep(25);
    }
    const end = performance.now();
    return {
      msToSingleMaster: lastBad - t0,
      maxHolders,
      finalHolders: final,
      lastAdverts: cap.adverts.filter((x) => x.t > end - 2000),
      aSources: sourcesOf(lab, 'a', o.family),
      oldIfindex,
      newIfindex,
      statesA: stateLines(a, 'VI_R').slice(before.a),
      statesB: stateLines(b, 'VI_R').slice(before.b),
      logs: { a: a.lines.slice(-40), b: b.lines.slice(-40) },
    };
  } finally {
    f.destroy();
  }
}
