// Request payloads checked with an independent decoder: the `netlink` package's own rtnetlink
// parsers (we only use it as a transport in production). The kernel's reading of the same bytes
// is covered by test/integration/kernel.
import netlink from 'netlink';
import { describe, expect, it } from 'vitest';
import { encodeAddress, encodeGetLink, encodeRoute, routeFamily } from '../../../src/kernel/rtnl-encode.js';
import { decodeAddress, decodeRoute, RTM } from '../../../src/kernel/link-events.js';
import { KernelError } from '../../../src/kernel/errors.js';

const rt = netlink.rt;
const ip = (b: Buffer | undefined) => (b ? [...b].join(b.length === 4 ? '.' : ',') : undefined);

describe('encodeAddress', () => {
  it('encodes an IPv4 VIP with label, brd + and scope as iproute2 would', () => {
    const p = encodeAddress({ address: '192.0.2.10', prefixLength: 24, dev: 'x', label: 'eth0:vip', broadcast: '+', scope: 'link' }, 7);
    const m = rt.parseAddressMessage(p);
    expect(m.data).toMatchObject({ family: 2, prefixlen: 24, scope: 253, index: 7 });
    expect(ip(m.attrs.local)).toBe('192.0.2.10');
    expect(ip(m.attrs.address)).toBe('192.0.2.10');
    expect(ip(m.attrs.broadcast)).toBe('192.0.2.255');
    expect(m.attrs.label).toBe('eth0:vip');
    expect(m.attrs.flags).toBeUndefined(); // no flags, no IFA_FLAGS
  });

  it('puts IPv6 flags in IFA_FLAGS (nodad, noprefixroute above 0xff) and the peer in IFA_ADDRESS', () => {
    const p = encodeAddress({ address: '2001:db8::1', prefixLength: 64, dev: 1, noDad: true, noPrefixRoute: true, preferredLft: 0 }, 3);
    const m = rt.parseAddressMessage(p);
    expect(m.data).toMatchObject({ family: 10, prefixlen: 64, index: 3, scope: 0 });
    expect(m.attrs.flags).toMatchObject({ nodad: true, noprefixroute: true });
    expect(m.attrs.cacheInfo).toMatchObject({ ifaPrefered: 0, ifaValid: 0xffffffff });
    const peer = rt.parseAddressMessage(encodeAddress({ address: '192.0.2.1', peer: '192.0.2.2', dev: 1 }, 3));
    expect([ip(peer.attrs.local), ip(peer.attrs.address), peer.data.prefixlen]).toEqual(['192.0.2.1', '192.0.2.2', 32]);
  });

  it('round-trips through our own decoder', () => {
    const p = encodeAddress({ address: '192.0.2.10', prefixLength: 24, dev: 'x', label: 'eth0:v', broadcast: '192.0.2.127' }, 9);
    expect(decodeAddress(p)).toEqual({
      ok: true,
      value: { ifindex: 9, family: 'inet', address: '192.0.2.10', prefixLength: 24, broadcast: '192.0.2.127', label: 'eth0:v', scope: 0, flags: 0 },
    });
  });

  it('rejects what cannot be encoded with EINVALID_ARG', () => {
    const bad = [
      { address: 'nope', dev: 1 },
      { address: '192.0.2.1', prefixLength: 33, dev: 1 },
      { address: '2001:db8::1', prefixLength: 129, dev: 1 },
      { address: '2001:db8::1', broadcast: '+', dev: 1 },
      { address: '2001:db8::1', label: 'x', dev: 1 },
      { address: '192.0.2.1', label: 'a-label-that-is-too-long', dev: 1 },
      { address: '192.0.2.1', peer: '2001:db8::2', dev: 1 },
    ];
    for (const spec of bad) {
      const e = (() => {
        try {
          encodeAddress(spec, 1);
        } catch (x) {
          return x;
        }
        return undefined;
      })();
      expect(e, JSON.stringify(spec)).toBeInstanceOf(KernelError);
      expect((e as KernelError).code).toBe('EINVALID_ARG');
    }
  });
});

describe('encodeRoute', () => {
  it('encodes via/dev/src/metric in the main table with universe scope and boot protocol', () => {
    const p = encodeRoute({ dst: '198.51.100.0', prefixLength: 24, via: '192.0.2.1', dev: 'eth0', src: '192.0.2.10', metric: 7 }, 4, 'addRoute');
    const m = rt.parseRouteMessage(p);
    expect(m.data).toMatchObject({ family: 2, dstLen: 24, table: 254, protocol: 'BOOT', scope: 'UNIVERSE', type: 'UNICAST' });
    expect([ip(m.attrs.dst), ip(m.attrs.gateway), m.attrs.oif, ip(m.attrs.prefsrc), m.attrs.priority]).toEqual(['198.51.100.0', '192.0.2.1', 4, '192.0.2.10', 7]);
    expect(m.attrs.table).toBeUndefined();
  });

  it('uses RTA_TABLE above 255, link scope without gateway, and scope nowhere + any protocol on delete', () => {
    const bh = rt.parseRouteMessage(encodeRoute({ dst: '203.0.113.0', prefixLength: 24, type: 'blackhole', table: 1000 }, undefined, 'addRoute'));
    expect(bh.data).toMatchObject({ table: 0, type: 'BLACKHOLE', scope: 'UNIVERSE' });
    expect(bh.attrs.table).toBe(1000);
    const direct = rt.parseRouteMessage(encodeRoute({ dst: '203.0.113.0', prefixLength: 24 }, 2, 'addRoute'));
    expect(direct.data).toMatchObject({ scope: 'LINK' });
    const del = rt.parseRouteMessage(encodeRoute({ dst: '203.0.113.0', prefixLength: 24 }, 2, 'deleteRoute'));
    expect(del.data).toMatchObject({ scope: 'NOWHERE', protocol: 0, type: 'UNSPEC' }); // RTN_UNSPEC: any type
    const delBh = rt.parseRouteMessage(encodeRoute({ dst: '203.0.113.0', prefixLength: 24, type: 'blackhole' }, undefined, 'deleteRoute'));
    expect(delBh.data).toMatchObject({ type: 'BLACKHOLE' });
  });

  it('handles default routes and infers the family from via', () => {
    expect(routeFamily({ dst: 'default', via: '2001:db8::1' })).toBe('inet6');
    expect(routeFamily({ dst: 'default', family: 'inet6' })).toBe('inet6');
    const p = encodeRoute({ dst: 'default', via: '2001:db8::1' }, undefined, 'addRoute');
    const r = decodeRoute(p);
    expect(r).toMatchObject({ ok: true, value: { family: 'inet6', dst: 'default', prefixLength: 0, via: '2001:db8::1', table: 254 } });
    expect(() => encodeRoute({ dst: '198.51.100.0', via: '2001:db8::1' }, undefined, 'addRoute')).toThrow(KernelError);
  });
});

describe('encodeGetLink', () => {
  it('asks by index or by IFLA_IFNAME', () => {
    expect(rt.parseLinkMessage(encodeGetLink(5)).data.index).toBe(5);
    const byName = rt.parseLinkMessage(encodeGetLink('eth0'));
    expect(byName.data.index).toBe(0);
    expect(byName.attrs.ifname).toBe('eth0');
    expect(RTM.GETLINK).toBe(18);
  });
});
