// VmacSet over RecordingKernel: the operations use_vmac issues (names, MACs, settings, order),
// what it adopts or refuses, what it puts back at stop, and the VMAC made again after a delete.
// The same behaviour against the real kernel and keepalived: test/integration/daemon/vmac.test.ts.
import { describe, expect, it } from 'vitest';
import { RecordingKernel } from '../../../src/kernel/recording-kernel.js';
import { VmacSet, virtualMac, vmacNames, type IpvlanRequest, type VmacRequest } from '../../../src/vrrp/runtime/vmac.js';
import { memoryLogger } from '../../../src/lib/log.js';
import { decodeLinkDetails, encodeCreateVirtualLink, encodeLinkChange } from '../../../src/kernel/vmac-encode.js';
import { parseAttributes } from '../../../src/net/netlink-codec.js';

async function setUp() {
  const kernel = new RecordingKernel([{ name: 'lo' }, { name: 'eth0', mac: '02:00:00:00:00:01' }]);
  const eth0 = (await kernel.getLink('eth0'))!;
  const { log, records } = memoryLogger('info');
  const set = new VmacSet(kernel, log);
  const req = (o: Partial<VmacRequest> = {}): VmacRequest => ({ instance: 'VI_1', vrid: 51, family: 'inet', base: eth0, xmitBase: false, src: '192.0.2.11', otherFamilyEvips: false, ...o });
  return { kernel, eth0, set, req, records };
}

describe('VMAC names and MACs (keepalived 2.2.7 create_vmac_name, RFC 5798 7.3)', () => {
  it('vrrp.VRID first, then vrrp1.VRID ...; IPv6 tries vrrp6.VRID second; names fit IFNAMSIZ', () => {
    const first = (vrid: number, f: 'inet' | 'inet6', n: number) => [...take(vmacNames(vrid, f), n)];
    expect(first(51, 'inet', 3)).toEqual(['vrrp.51', 'vrrp1.51', 'vrrp2.51']);
    expect(first(51, 'inet6', 4)).toEqual(['vrrp.51', 'vrrp6.51', 'vrrp1.51', 'vrrp2.51']);
    expect([...take(vmacNames(255, 'inet', 'a-long-prefix'), 3)].every((n) => n.length <= 15)).toBe(true);
    expect([...take(vmacNames(255, 'inet'), 1)][0].length).toBeLessThanOrEqual(15);
    expect(virtualMac(51, 'inet')).toBe('00:00:5e:00:01:33');
    expect(virtualMac(255, 'inet6')).toBe('00:00:5e:00:02:ff');
  });
});

describe('VmacSet', () => {
  it('IPv4: a private macvlan with the VMAC, its settings before it goes up, eth0 ARP settings saved and put back', async () => {
    const { kernel, eth0, set, req } = await setUp();
    kernel.clearOps();
    const r = await set.bringUp(req());
    expect('link' in r && r.link).toMatchObject({ name: 'vrrp.51', mac: '00:00:5e:00:01:33', up: true });
    const ifindex = 'link' in r ? r.link.ifindex : -1;
    expect(kernel.mutations()).toEqual([
      { op: 'createVirtualLink', args: [{ kind: 'macvlan', name: 'vrrp.51', parent: eth0.ifindex, mac: '00:00:5e:00:01:33', mode: 'private' }] },
      { op: 'configureLink', args: [ifindex, { ipv4Conf: { arp_ignore: 1, accept_local: 1, rp_filter: 0, promote_secondaries: 1 } }] },
      { op: 'configureLink', args: [eth0.ifindex, { ipv4Conf: { arp_ignore: 1, arp_filter: 1 } }] },
      { op: 'configureLink', args: [ifindex, { disableIpv6: true }] },
      { op: 'configureLink', args: [ifindex, { addrGenMode: 1 }] },
      { op: 'configureLink', args: [ifindex, { up: true }] },
    ]);
    // A second VMAC on eth0 does not touch eth0 again; the stop puts eth0 back once.
    await set.bringUp(req({ instance: 'VI_2', vrid: 52 }));
    expect(kernel.mutations().filter((o) => o.args[0] === eth0.ifindex)).toHaveLength(1);
    kernel.clearOps();
    await set.removeAll();
    expect(kernel.mutations().map((o) => o.op)).toEqual(['deleteLink', 'deleteLink', 'configureLink']);
    expect((await kernel.linkDetails('eth0'))?.ipv4Conf).toMatchObject({ arp_ignore: 0, arp_filter: 0 });
    expect((await kernel.listLinks()).map((l) => l.name)).toEqual(['lo', 'eth0']);
  });

  it('IPv6: 00:00:5e:00:02:VRID, the source link-local as /64 on it unless vmac_xmit_base; no IPv4 settings', async () => {
    const { kernel, set, req } = await setUp();
    const r = await set.bringUp(req({ family: 'inet6', src: 'fe80::1' }));
    const l = 'link' in r ? r.link : undefined;
    expect(l?.mac).toBe('00:00:5e:00:02:33');
    expect((await kernel.listAddresses(l?.ifindex, 'inet6')).map((a) => `${a.address}/${a.prefixLength}`)).toEqual(['fe80::1/64']);
    expect(kernel.mutations().some((o) => o.op === 'configureLink' && 'ipv4Conf' in (o.args[1] as object))).toBe(false);
    const r2 = await set.bringUp(req({ instance: 'VI_2', vrid: 52, family: 'inet6', src: 'fe80::1', xmitBase: true }));
    expect(await kernel.listAddresses('link' in r2 ? r2.link.ifindex : -1)).toEqual([]);
  });

  it('adopts a matching private macvlan whatever its name; a taken name gets the next one; a configured name of another kind of link is ignored', async () => {
    const { kernel, eth0, set, req, records } = await setUp();
    await kernel.createVirtualLink({ kind: 'macvlan', name: 'old', parent: eth0.ifindex, mac: '00:00:5e:00:01:33', mode: 'private' });
    kernel.addLink({ name: 'vrrp.52' });
    kernel.addLink({ name: 'vx0' });
    kernel.clearOps();
    const a = await set.bringUp(req());
    expect('link' in a && a.link.name).toBe('old');
    expect(kernel.mutations().some((o) => o.op === 'createVirtualLink')).toBe(false);
    const b = await set.bringUp(req({ instance: 'VI_2', vrid: 52 }));
    expect('link' in b && b.link.name).toBe('vrrp1.52');
    const c = await set.bringUp(req({ instance: 'VI_3', vrid: 53, name: 'vx0' }));
    expect('link' in c && c.link.name).toBe('vrrp.53');
    const msgs = records.map((r) => r.msg);
    expect(msgs).toContain('(VI_1) Found matching interface old');
    expect(msgs).toContain('(VI_3) interface vx0 already exists and is not a private macvlan; ignoring vmac if_name');
  });

  it('a VMAC deleted by someone else is made again (same name and MAC, new index); not after the stop', async () => {
    const { kernel, set, req } = await setUp();
    const r = await set.bringUp(req());
    const old = 'link' in r ? r.link.ifindex : -1;
    set.watchDeletions();
    kernel.removeLink('vrrp.51');
    await new Promise((res) => setTimeout(res, 20));
    const back = await kernel.getLink('vrrp.51');
    expect(back).toMatchObject({ mac: '00:00:5e:00:01:33', up: true });
    expect(back?.ifindex).not.toBe(old);
    await set.removeAll();
    expect(await kernel.getLink('vrrp.51')).toBeUndefined();
  });
});

describe('VmacSet: use_ipvlan', () => {
  const ipreq = (eth0: { ifindex: number; name: string; mac: string; up: boolean; carrier: boolean; mtu: number }, o: Partial<IpvlanRequest> = {}): IpvlanRequest => ({
    instance: 'VI_1',
    vrid: 51,
    family: 'inet',
    base: eth0 as IpvlanRequest['base'],
    mode: 'private',
    address: { text: '192.0.2.111', prefixLength: 24 },
    otherFamilyEvips: false,
    ...o,
  });

  it('an L2 ipvlan with the flag over eth0, up, IPv6 off, the address on it; no ARP settings; deleted at stop', async () => {
    const { kernel, eth0, set } = await setUp();
    kernel.clearOps();
    const r = await set.bringUpIpvlan(ipreq(eth0));
    expect('link' in r && r.link).toMatchObject({ name: 'vrrp.51', mac: eth0.mac, up: true });
    const ifindex = 'link' in r ? r.link.ifindex : -1;
    expect(kernel.mutations()).toEqual([
      { op: 'createVirtualLink', args: [{ kind: 'ipvlan', name: 'vrrp.51', parent: eth0.ifindex, mode: 'private' }] },
      { op: 'configureLink', args: [ifindex, { up: true }] },
      { op: 'configureLink', args: [ifindex, { disableIpv6: true }] },
      { op: 'addAddress', args: [{ address: '192.0.2.111', prefixLength: 24, dev: ifindex }] },
    ]);
    expect(await kernel.linkDetails('vrrp.51')).toMatchObject({ kind: 'ipvlan', parent: eth0.ifindex, ipvlanMode: 0, ipvlanFlags: 'private' });
    kernel.clearOps();
    await set.removeAll();
    expect(kernel.mutations()).toEqual([{ op: 'deleteLink', args: [ifindex] }]);
    expect((await kernel.listLinks()).map((l) => l.name)).toEqual(['lo', 'eth0']);
  });

  it('adopts an L2 ipvlan with the same flag and address; one with another flag is not adopted (next name); a configured name of another kind is ignored', async () => {
    const { kernel, eth0, set, records } = await setUp();
    const old = await kernel.createVirtualLink({ kind: 'ipvlan', name: 'keep0', parent: eth0.ifindex, mode: 'private' });
    await kernel.addAddress({ address: '192.0.2.111', prefixLength: 24, dev: old.ifindex });
    await kernel.createVirtualLink({ kind: 'ipvlan', name: 'vrrp.52', parent: eth0.ifindex, mode: 'vepa' });
    kernel.clearOps();
    const r = await set.bringUpIpvlan(ipreq(eth0));
    expect('link' in r && r.link.name).toBe('keep0');
    expect(kernel.mutations().some((o) => o.op === 'createVirtualLink')).toBe(false);
    expect(records.some((l) => l.msg === '(VI_1) Found matching interface keep0')).toBe(true);
    const r2 = await set.bringUpIpvlan(ipreq(eth0, { instance: 'VI_2', vrid: 52, address: { text: '192.0.2.112', prefixLength: 24 } }));
    expect('link' in r2 && r2.link.name).toBe('vrrp1.52');
    const r3 = await set.bringUpIpvlan(ipreq(eth0, { instance: 'VI_3', vrid: 53, name: 'eth0', address: { text: '192.0.2.113', prefixLength: 24 } }));
    expect('link' in r3 && r3.link.name).toBe('vrrp.53');
    expect(records.some((l) => l.msg === '(VI_3) interface eth0 already exists and is not an l2 ipvlan; ignoring ipvlan if_name')).toBe(true);
  });

  it('an ipvlan deleted by someone else is made again with its address; IPv6 keeps IPv6 on', async () => {
    const { kernel, eth0, set } = await setUp();
    const r = await set.bringUpIpvlan(ipreq(eth0, { family: 'inet6', address: { text: 'fd00::111', prefixLength: 64 }, mode: 'bridge' }));
    const first = 'link' in r ? r.link.ifindex : -1;
    expect(kernel.mutations().find((o) => o.op === 'configureLink' && 'disableIpv6' in (o.args[1] as object))?.args[1]).toEqual({ disableIpv6: false });
    set.watchDeletions();
    await kernel.deleteLink(first);
    const hasAddr = async () => {
      const l = await kernel.getLink('vrrp.51');
      return l !== undefined && (await kernel.listAddresses(l.ifindex)).length > 0;
    };
    for (let i = 0; i < 100 && !(await hasAddr()); i++) await new Promise((res) => setTimeout(res, 10));
    const again = await kernel.getLink('vrrp.51');
    expect(again && again.ifindex !== first).toBe(true);
    expect((await kernel.listAddresses(again!.ifindex)).map((a) => a.address)).toContain('fd00::111');
    await set.removeAll();
  });
});

describe('vmac-encode', () => {
  it('a create request: IFLA_LINK, IFLA_IFNAME, IFLA_ADDRESS, IFLA_LINKINFO{kind macvlan, data{mode private=1}}', () => {
    const b = encodeCreateVirtualLink({ kind: 'macvlan', name: 'vrrp.51', parent: 7, mac: '00:00:5e:00:01:33', mode: 'private' });
    const a = parseAttributes(b.subarray(16));
    if (!a.ok) throw new Error('undecodable');
    expect(a.value.get(5)?.readUInt32LE(0)).toBe(7);
    expect(a.value.get(3)?.toString()).toBe('vrrp.51\0');
    expect([...(a.value.get(1) ?? [])]).toEqual([0, 0, 0x5e, 0, 1, 0x33]);
    const info = parseAttributes(a.value.get(18)!);
    if (!info.ok) throw new Error('undecodable');
    expect(info.value.get(1)?.toString()).toBe('macvlan');
    const data = parseAttributes(info.value.get(2)!);
    expect(data.ok && data.value.get(1)?.readUInt32LE(0)).toBe(1);
  });

  it('a change request carries IFF_UP in flags and change, devconf by index (arp_ignore 19), addr_gen_mode under AF_INET6', () => {
    const b = encodeLinkChange(9, { up: true, ipv4Conf: { arp_ignore: 1 }, addrGenMode: 1 });
    expect(b.readInt32LE(4)).toBe(9);
    expect(b.readUInt32LE(8)).toBe(1);
    expect(b.readUInt32LE(12)).toBe(1);
    const a = parseAttributes(b.subarray(16));
    const spec = a.ok ? parseAttributes(a.value.get(26)!) : undefined;
    const inet = spec?.ok ? parseAttributes(spec.value.get(2)!) : undefined;
    const conf = inet?.ok ? parseAttributes(inet.value.get(1)!) : undefined;
    expect(conf?.ok && conf.value.get(19)?.readUInt32LE(0)).toBe(1);
    const inet6 = spec?.ok ? parseAttributes(spec.value.get(10)!) : undefined;
    expect(inet6?.ok && inet6.value.get(8)?.[0]).toBe(1);
    expect(() => encodeLinkChange(9, { ipv4Conf: { nope: 1 } })).toThrow(/unknown IPv4 setting/);
  });

  it('an ipvlan create request: kind ipvlan, data{mode l2=0, flags}; decoded back with mode and flag', () => {
    const b = encodeCreateVirtualLink({ kind: 'ipvlan', name: 'vrrp.51', parent: 7, mode: 'vepa' });
    const a = parseAttributes(b.subarray(16));
    if (!a.ok) throw new Error('undecodable');
    expect(a.value.get(1)).toBeUndefined();
    const info = parseAttributes(a.value.get(18)!);
    if (!info.ok) throw new Error('undecodable');
    expect(info.value.get(1)?.toString()).toBe('ipvlan');
    const data = parseAttributes(info.value.get(2)!);
    expect(data.ok && data.value.get(1)?.readUInt16LE(0)).toBe(0);
    expect(data.ok && data.value.get(2)?.readUInt16LE(0)).toBe(2);
    // The request as the kernel echoes it (RTM_NEWLINK payload) decodes to mode 0, flag vepa.
    expect(decodeLinkDetails(b)).toMatchObject({ name: 'vrrp.51', kind: 'ipvlan', parent: 7, ipvlanMode: 0, ipvlanFlags: 'vepa' });
    expect(() => encodeCreateVirtualLink({ kind: 'ipvlan', name: 'x', parent: 7, mac: '00:00:5e:00:01:01', mode: 'private' })).toThrow(/only a macvlan/);
  });

  it('decodes kind, parent, macvlan mode and devconf from an RTM_NEWLINK payload', () => {
    // ifinfomsg + IFLA_IFNAME + IFLA_LINK + LINKINFO{kind, data{mode}} + AF_SPEC{AF_INET{INET_CONF[...]}}
    const attr = (t: number, d: Buffer) => {
      const len = 4 + d.length;
      const h = Buffer.alloc(4);
      h.writeUInt16LE(len, 0);
      h.writeUInt16LE(t, 2);
      return Buffer.concat([h, d, Buffer.alloc((4 - (len % 4)) % 4)]);
    };
    const u32 = (v: number) => {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(v);
      return b;
    };
    const conf = Buffer.alloc(4 * 23);
    conf.writeUInt32LE(1, (19 - 1) * 4);
    const hdr = Buffer.alloc(16);
    hdr.writeInt32LE(12, 4);
    const payload = Buffer.concat([
      hdr,
      attr(3, Buffer.from('vrrp.51\0')),
      attr(5, u32(2)),
      attr(18, Buffer.concat([attr(1, Buffer.from('macvlan')), attr(2, attr(1, u32(1)))])),
      attr(26, attr(2, attr(1, conf))),
    ]);
    expect(decodeLinkDetails(payload)).toEqual({ ifindex: 12, name: 'vrrp.51', kind: 'macvlan', parent: 2, macvlanMode: 'private', ipv4Conf: { rp_filter: 0, arp_filter: 0, arp_ignore: 1, promote_secondaries: 0, accept_local: 0 } });
  });
});

function* take<T>(g: Iterable<T>, n: number): Generator<T> {
  if (n <= 0) return;
  for (const x of g) {
    yield x;
    if (--n <= 0) return;
  }
}
