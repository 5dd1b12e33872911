import { describe, expect, it } from 'vitest';
import { RecordingKernel } from '../../../src/kernel/recording-kernel.js';
import { isKernelError, KernelError } from '../../../src/kernel/errors.js';
import type { KernelEvent } from '../../../src/kernel/link-events.js';

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof KernelError) return e.code;
    throw e;
  }
  return 'resolved';
}

function kernel(): RecordingKernel {
  return new RecordingKernel([
    { name: 'lo', ifindex: 1, mtu: 65536, mac: '00:00:00:00:00:00' },
    { name: 'eth0', ifindex: 2, mac: '52:54:00:12:34:56' },
    { name: 'eth1', ifindex: 3 },
  ]);
}

describe('RecordingKernel', () => {
  it('logs every call, reads included, and mutations() keeps only adds and deletes', async () => {
    const k = kernel();
    const vip = { address: '192.0.2.10', prefixLength: 24, dev: 'eth0' };
    await k.listLinks();
    await k.addAddress(vip);
    await k.addRoute({ dst: '198.51.100.0', prefixLength: 24, via: '192.0.2.1' });
    await k.deleteAddress(vip);
    expect(k.ops.map((o) => o.op)).toEqual(['listLinks', 'addAddress', 'addRoute', 'deleteAddress']);
    expect(k.mutations()).toEqual([
      { op: 'addAddress', args: [vip] },
      { op: 'addRoute', args: [{ dst: '198.51.100.0', prefixLength: 24, via: '192.0.2.1' }] },
      { op: 'deleteAddress', args: [vip] },
    ]);
    k.clearOps();
    expect(k.ops).toEqual([]);
  });

  it('logs a copy of the arguments, so later mutation by the caller does not rewrite history', async () => {
    const k = kernel();
    const spec = { address: '192.0.2.10', dev: 'eth0' } as { address: string; dev: string };
    await k.addAddress(spec);
    spec.address = '192.0.2.99';
    expect(k.ops[0].args).toEqual([{ address: '192.0.2.10', dev: 'eth0' }]);
  });

  it('adopts an existing address (EEXIST semantics) and only deletes what exists', async () => {
    const k = kernel();
    k.seedAddress({ address: '192.0.2.10', prefixLength: 24, dev: 'eth0' });
    expect(k.ops).toEqual([]); // seeding is set-up, not an op
    expect(await k.addAddress({ address: '192.0.2.10', prefixLength: 24, dev: 'eth0' })).toEqual({ alreadyPresent: true });
    expect(await k.addAddress({ address: '192.0.2.10', prefixLength: 24, dev: 2 })).toEqual({ alreadyPresent: true });
    // IPv4: another prefix length is another address; IPv6: the same address is EEXIST whatever the prefix.
    expect(await k.addAddress({ address: '192.0.2.10', prefixLength: 32, dev: 'eth0' })).toEqual({ alreadyPresent: false });
    expect(await k.addAddress({ address: '2001:db8::1', prefixLength: 64, dev: 'eth0' })).toEqual({ alreadyPresent: false });
    expect(await k.addAddress({ address: '2001:DB8:0::1', prefixLength: 128, dev: 'eth0' })).toEqual({ alreadyPresent: true });
    expect((await k.listAddresses(2)).filter((a) => a.address === '192.0.2.10')).toHaveLength(2);

    await k.deleteAddress({ address: '192.0.2.10', prefixLength: 32, dev: 'eth0' });
    expect(await code(k.deleteAddress({ address: '192.0.2.10', prefixLength: 32, dev: 'eth0' }))).toBe('EADDRNOTAVAIL');
    expect(await code(k.deleteAddress({ address: '192.0.2.10', prefixLength: 24, dev: 'eth1' }))).toBe('EADDRNOTAVAIL');
    expect(await code(k.addAddress({ address: '192.0.2.10', dev: 'eth9' }))).toBe('ENODEV');
    expect(await code(k.addAddress({ address: '192.0.2.300', dev: 'eth0' }))).toBe('EINVALID_ARG');
  });

  it('models IPv4 primaries and secondaries like the kernel (promote_secondaries off)', async () => {
    const k = kernel();
    await k.addAddress({ address: '192.0.2.2', prefixLength: 24, dev: 'eth0' });
    await k.addAddress({ address: '198.51.100.1', prefixLength: 24, dev: 'eth0' });
    await k.addAddress({ address: '192.0.2.3', prefixLength: 24, dev: 'eth0' });
    await k.addAddress({ address: '198.51.100.7', prefixLength: 32, dev: 'eth0' });
    const list = await k.listAddresses(2, 'inet');
    // Dump order: primaries in insertion order, then secondaries.
    expect(list.map((a) => [a.address, (a.flags & 1) === 1])).toEqual([
      ['192.0.2.2', false],
      ['198.51.100.1', false],
      ['198.51.100.7', false],
      ['192.0.2.3', true],
    ]);
    expect(await k.primaryAddress(2, 'inet')).toBe('192.0.2.2');
    expect(await k.primaryAddress(2, 'inet', ['192.0.2.2'])).toBe('198.51.100.1');
    // Deleting the primary takes its secondaries with it.
    await k.deleteAddress({ address: '192.0.2.2', prefixLength: 24, dev: 'eth0' });
    expect((await k.listAddresses(2, 'inet')).map((a) => a.address)).toEqual(['198.51.100.1', '198.51.100.7']);
  });

  it('primaryAddress for IPv6 is the first link-scope address', async () => {
    const k = kernel();
    k.seedAddress({ address: '2001:db8::5', prefixLength: 64, dev: 'eth0' });
    k.seedAddress({ address: 'fe80::5054:ff:fe12:3456', prefixLength: 64, dev: 'eth0', scope: 'link' });
    k.seedAddress({ address: 'fe80::1', prefixLength: 64, dev: 'eth1', scope: 'link' });
    expect(await k.primaryAddress(2, 'inet6')).toBe('fe80::5054:ff:fe12:3456');
    expect(await k.primaryAddress(2, 'inet6', ['fe80::5054:ff:fe12:3456'])).toBeUndefined();
    expect(await k.primaryAddress(3, 'inet6')).toBe('fe80::1');
    expect(await k.primaryAddress(3, 'inet')).toBeUndefined();
  });

  it('routes: EEXIST on the same key is adoption, a missing route is ESRCH', async () => {
    const k = kernel();
    const r = { dst: '198.51.100.0', prefixLength: 24, via: '192.0.2.1', dev: 'eth0', metric: 5 };
    expect(await k.addRoute(r)).toEqual({ alreadyPresent: false });
    expect(await k.addRoute(r)).toEqual({ alreadyPresent: true });
    expect(await k.addRoute({ ...r, metric: 6 })).toEqual({ alreadyPresent: false }); // another metric, another route
    expect(await k.addRoute({ dst: '203.0.113.0', prefixLength: 24, type: 'blackhole', table: 1000 })).toEqual({ alreadyPresent: false });
    expect(await k.addRoute({ dst: 'default', via: '2001:db8::1' })).toEqual({ alreadyPresent: false });
    expect(await k.listRoutes('inet', 1000)).toEqual([
      { family: 'inet', dst: '203.0.113.0', prefixLength: 24, table: 1000, scope: 0, type: 'blackhole', protocol: 3, tos: 0 },
    ]);
    expect((await k.listRoutes('inet6')).map((x) => [x.dst, x.prefixLength, x.via])).toEqual([['default', 0, '2001:db8::1']]);
    await k.deleteRoute(r);
    expect(await code(k.deleteRoute(r))).toBe('ESRCH');
    expect(await code(k.deleteRoute({ ...r, metric: 6, via: '192.0.2.99' }))).toBe('ESRCH'); // gateway must match when given
    expect(await code(k.addRoute({ dst: '198.51.100.0', dev: 'nope' }))).toBe('ENODEV');
  });

  it('simulates link up/down and carrier loss, emitting link events only on change', async () => {
    const k = kernel();
    const seen: KernelEvent[] = [];
    const off = k.onEvent((e) => seen.push(e));
    k.setLinkState('eth0', { carrier: false });
    expect(await k.getLink('eth0')).toMatchObject({ up: true, carrier: false });
    k.setLinkState('eth0', { carrier: false }); // no change, no event
    k.setLinkState(2, { up: false });
    expect(await k.getLink(2)).toMatchObject({ up: false, carrier: false });
    k.setLinkState('eth0', { carrier: true }); // still admin down: not running, nothing visible changes
    expect(await k.getLink('eth0')).toMatchObject({ up: false, carrier: false });
    k.setLinkState('eth0', { up: true });
    expect(seen.map((e) => e.kind === 'link' && [e.name, e.up, e.carrier])).toEqual([
      ['eth0', true, false],
      ['eth0', false, false],
      ['eth0', true, true],
    ]);
    off();
    k.setLinkState('eth0', { up: false });
    expect(seen).toHaveLength(3);
    expect(await k.getLink('nope')).toBeUndefined();
    expect((await k.listLinks()).map((l) => l.name)).toEqual(['lo', 'eth0', 'eth1']);
  });

  it('emits address events for adds and deletes, and removes addresses and routes with a deleted link', async () => {
    const k = kernel();
    const seen: KernelEvent[] = [];
    k.onEvent((e) => seen.push(e));
    await k.addAddress({ address: '192.0.2.10', dev: 'eth1', label: 'eth1:vip' });
    await k.addRoute({ dst: '198.51.100.0', prefixLength: 24, dev: 'eth1' });
    k.removeLink('eth1');
    expect(seen.map((e) => `${e.kind}:${e.action}:${e.kind === 'address' ? e.address : e.name}`)).toEqual([
      'address:add:192.0.2.10',
      'address:del:192.0.2.10',
      'link:delete:eth1',
    ]);
    expect(await k.listAddresses(3)).toEqual([]);
    expect(await k.listRoutes()).toEqual([]);
    expect(seen[0]).toMatchObject({ label: 'eth1:vip', prefixLength: 32, family: 'inet' });
  });

  it('failNext injects one typed failure; close makes every later call ECLOSED', async () => {
    const k = kernel();
    k.failNext('addAddress', 'EPERM');
    const err = await k.addAddress({ address: '192.0.2.1', dev: 'eth0' }).catch((e) => e);
    expect(isKernelError(err, 'EPERM')).toBe(true);
    expect(await k.addAddress({ address: '192.0.2.1', dev: 'eth0' })).toEqual({ alreadyPresent: false });
    await k.close();
    expect(await code(k.listLinks())).toBe('ECLOSED');
    expect(k.ops.map((o) => o.op)).toEqual(['addAddress', 'addAddress', 'close', 'listLinks']);
  });
});
