// The two routers of the fault tests: a (priority 150) and b (100) share one VIP on the lab's
// bridge, with the observer c beside them. Each test runs the pair twice, ours and keepalived.
import { Lab } from '../../../src/lab/lab.js';
import { startKeepalived, type KeepalivedPeer } from '../../../src/lab/keepalived-peer.js';
import { GLOBAL_DEFS, instanceConf, startDaemonNode, waitSoleHolder, type DaemonNode } from '../daemon/daemon-lab.js';

export const VIP = '192.0.2.100';
export const HOSTS = ['a', 'b'];
export const CONF_A = GLOBAL_DEFS + instanceConf({ priority: 150, vips: [`${VIP}/24`] });
export const CONF_B = GLOBAL_DEFS + instanceConf({ priority: 100, vips: [`${VIP}/24`] });

/** A lab with routers a (192.0.2.11) and b (.12) and the observer c (.13). */
export function faultLab(tag: string): Lab {
  const lab = new Lab(tag);
  lab.addHost({ name: 'a', addresses: ['192.0.2.11/24'] });
  lab.addHost({ name: 'b', addresses: ['192.0.2.12/24'] });
  lab.addHost({ name: 'c', addresses: ['192.0.2.13/24'] });
  return lab;
}

/**
 * Starts our daemon on a and b (their cleanup pushed to `stops`); resolves once a alone holds
 * the VIP and b has logged BACKUP. Started at once on a loaded machine, b can be master for a
 * moment before a's first advert (an ordinary start-up race): callers judge transitions from here.
 */
export async function startOurPair(lab: Lab, stops: (() => void)[]): Promise<{ a: DaemonNode; b: DaemonNode }> {
  const a = startDaemonNode(lab, 'a', CONF_A);
  stops.push(() => a.cleanup());
  const b = startDaemonNode(lab, 'b', CONF_B);
  stops.push(() => b.cleanup());
  await waitSoleHolder(lab, HOSTS, 'a', VIP, 20_000);
  await b.waitFor(/Entering BACKUP STATE/, 30_000);
  return { a, b };
}

/** The same pair with keepalived 2.2.7 on both routers; resolves once a alone holds the VIP. */
export async function startKeepalivedPair(lab: Lab, stops: (() => void)[]): Promise<{ a: KeepalivedPeer; b: KeepalivedPeer }> {
  const a = startKeepalived(lab, 'a', CONF_A);
  stops.push(() => a.cleanup());
  const b = startKeepalived(lab, 'b', CONF_B);
  stops.push(() => b.cleanup());
  await waitSoleHolder(lab, HOSTS, 'a', VIP, 20_000);
  return { a, b };
}
