// The two routers of the fault tests: a (priority 150) and b (100) share one VIP on the lab's
// bridge, with the observer c beside them. Each test runs the pair twice, ours and keepalived.
import type { KeepalivedPeer } from '../../../src/lab/keepalived-peer.js';
import { hasKeepalived, hasTcpdump } from '../../helpers/require.js';
import { netnsIt, type NetnsFixture } from '../../helpers/netns-fixture.js';
import { GLOBAL_DEFS, instanceConf, waitSoleHolder, type DaemonNode } from '../daemon/daemon-lab.js';
import { hasCc, hasScapy, removeObserverFiles } from './observer.js';

export const VIP = '192.0.2.100';
export const HOSTS = ['a', 'b'];
export const CONF_A = GLOBAL_DEFS + instanceConf({ priority: 150, vips: [`${VIP}/24`] });
export const CONF_B = GLOBAL_DEFS + instanceConf({ priority: 100, vips: [`${VIP}/24`] });

/**
 * A fault test: root, scapy, cc, tcpdump and keepalived required; runs in a fixture with routers
 * a (192.0.2.11) and b (.12) and the observer c (.13); the observer's files are removed after.
 */
export function faultIt(tag: string, title: string, timeoutMs: number, body: (f: NetnsFixture) => Promise<void>): void {
  netnsIt(tag, hasScapy, hasCc, hasTcpdump, hasKeepalived)(title, timeoutMs, async (f) => {
    f.hosts({ a: '192.0.2.11/24', b: '192.0.2.12/24', c: '192.0.2.13/24' });
    try {
      await body(f);
    } finally {
      removeObserverFiles();
    }
  });
}

/**
 * Starts our daemon on a and b; resolves once a alone holds the VIP and b has logged BACKUP.
 * Started at once on a loaded machine, b can be master for a moment before a's first advert (an
 * ordinary start-up race): callers judge transitions from here.
 */
export async function startOurPair(f: NetnsFixture): Promise<{ a: DaemonNode; b: DaemonNode }> {
  const a = f.daemon('a', CONF_A);
  const b = f.daemon('b', CONF_B);
  await waitSoleHolder(f.lab, HOSTS, 'a', VIP, 20_000);
  await b.waitFor(/Entering BACKUP STATE/, 30_000);
  return { a, b };
}

/** The same pair with keepalived 2.2.7 on both routers; resolves once a alone holds the VIP. */
export async function startKeepalivedPair(f: NetnsFixture): Promise<{ a: KeepalivedPeer; b: KeepalivedPeer }> {
  const a = f.keepalived('a', CONF_A);
  const b = f.keepalived('b', CONF_B);
  await waitSoleHolder(f.lab, HOSTS, 'a', VIP, 20_000);
  return { a, b };
}
