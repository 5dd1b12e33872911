// Our native receive path hears the real keepalived 2.2.7 (run as a peer inside a lab
// namespace) exactly as the kernel delivers its adverts: TTL 255, TOS 0xc0, ID counting up.
import { afterAll, describe, expect } from 'vitest';
import type { Lab } from '../../../src/lab/lab.js';
import { sharedNetns } from '../../helpers/netns-fixture.js';
import { startKeepalived, type KeepalivedPeer } from '../../../src/lab/keepalived-peer.js';
import { hasKeepalived, itWhen, isRoot } from '../../helpers/require.js';
import { nativeUnavailable } from '../../../src/net/native.js';
import { linkLocal, startAgent } from './helpers.js';

const hasAddon = () => nativeUnavailable();

const conf4 = `
global_defs { router_id ktnetA }
vrrp_instance VI_4 {
  state MASTER
  interface eth0
  virtual_router_id 51
  priority 200
  advert_int 1
  virtual_ipaddress { 192.0.2.100/24 }
}
vrrp_instance VI_6 {
  state MASTER
  interface eth0
  virtual_router_id 52
  priority 200
  advert_int 1
  virtual_ipaddress { fd00:db8:7::100/64 }
}
`;

describe('receiving real keepalived adverts through the addon (netns)', () => {
  let lab: Lab;
  let peer: KeepalivedPeer | undefined;
  sharedNetns('ntka', { a: ['192.0.2.1/24', 'fd00:db8:7::1/64'], b: ['192.0.2.2/24', 'fd00:db8:7::2/64'] }, (f) => (lab = f.lab));
  afterAll(() => peer?.cleanup());

  itWhen(isRoot, hasAddon, hasKeepalived)('IPv4 and IPv6 adverts arrive with TTL/hop limit 255, keepalived\'s header and source', async () => {
    const rx4 = startAgent(lab, 'b', { op: 'recv', family: 'inet', group: '224.0.0.18', count: 2 });
    const rx6 = startAgent(lab, 'b', { op: 'recv', family: 'inet6', group: 'ff02::12', count: 1 });
    await rx4.next((o) => o.ready === true);
    await rx6.next((o) => o.ready === true);
    const srcA6 = await linkLocal(lab, 'a');
    peer = startKeepalived(lab, 'a', conf4);
    await Promise.race([Promise.all([rx4.exited(), rx6.exited()]), new Promise((_, rej) => setTimeout(() => rej(new Error(`no adverts: ${peer?.lines.join('\n')}`)), 20_000))]);
    const p4 = rx4.json().filter((o) => o.packet).map((o) => o.packet as Record<string, unknown>);
    expect(p4).toHaveLength(2);
    for (const p of p4) expect(p).toMatchObject({ src: '192.0.2.1', dst: '224.0.0.18', ttl: 255, protocol: 112 });
    const [b1, b2] = p4.map((p) => Buffer.from(p.bytes as string, 'hex'));
    expect(b1[1]).toBe(0xc0); // TOS internetwork control
    expect(b1[21]).toBe(51); // VRID
    expect(b2.readUInt16BE(4)).toBe(b1.readUInt16BE(4) + 1); // keepalived's own ID sequence
    const p6 = rx6.json().find((o) => o.packet)?.packet as Record<string, unknown>;
    expect(p6).toMatchObject({ src: srcA6, dst: 'ff02::12', ttl: 255, protocol: 112 });
    const v6 = Buffer.from(p6.bytes as string, 'hex');
    expect(v6[0]).toBe(0x31); // VRRPv3 advertisement (IPv6 is always v3)
    expect(v6[1]).toBe(52);
  }, 40_000);
});
