// RecordingIpvsKernel answers like ip_vs_ctl.c's generic netlink handler.
import { describe, expect, it } from 'vitest';
import { RecordingIpvsKernel } from '../../../src/kernel/recording-ipvs-kernel.js';
import type { IpvsDest, IpvsService } from '../../../src/kernel/ipvs.js';
import { isKernelError } from '../../../src/kernel/errors.js';

const KEY = { kind: 'addr', family: 'inet', protocol: 'tcp', address: '192.0.2.1', port: 80 } as const;
const svc: IpvsService = { key: KEY, scheduler: 'wlc', flags: 0, timeout: 0, netmask: '255.255.255.255' };
const dest: IpvsDest = { family: 'inet', address: '192.0.2.10', port: 80, forward: 'masq', weight: 1, upperThreshold: 0, lowerThreshold: 0 };

describe('RecordingIpvsKernel', () => {
  it('EEXIST on a duplicate add, ESRCH for a missing service, ENOENT for a missing dest', async () => {
    const k = new RecordingIpvsKernel();
    const r = await k.apply([
      { op: 'addDest', key: svc.key, dest },
      { op: 'addService', service: svc },
      { op: 'addService', service: svc },
      { op: 'addDest', key: svc.key, dest },
      { op: 'addDest', key: svc.key, dest },
      { op: 'editDest', key: svc.key, dest: { ...dest, address: '192.0.2.11' } },
      { op: 'deleteDest', key: svc.key, dest: { family: 'inet', address: '192.0.2.11', port: 80 } },
      { op: 'editService', service: { ...svc, key: { ...KEY, port: 81 } } },
      { op: 'deleteService', key: { ...KEY, port: 81 } },
    ]);
    expect(r.map((x) => (x.ok ? 'ok' : x.code))).toEqual(['ESRCH', 'ok', 'EEXIST', 'ok', 'EEXIST', 'ENOENT', 'ENOENT', 'ESRCH', 'ESRCH']);
    expect(k.snapshot()).toEqual([{ service: svc, dests: [dest] }]);
  });

  it('deleting a service deletes its dests; unknown scheduler -> ENOENT; mixed family needs a tunnel', async () => {
    const k = new RecordingIpvsKernel({ entries: [{ service: svc, dests: [dest] }] });
    const r = await k.apply([
      { op: 'addService', service: { ...svc, key: { ...KEY, port: 443 }, scheduler: 'nosuch' } },
      { op: 'addDest', key: svc.key, dest: { ...dest, family: 'inet6', address: '2001:db8::10' } },
      { op: 'addDest', key: svc.key, dest: { ...dest, family: 'inet6', address: '2001:db8::10', forward: 'tunnel' } },
      { op: 'deleteService', key: svc.key },
    ]);
    expect(r.map((x) => (x.ok ? 'ok' : x.code))).toEqual(['ENOENT', 'EINVAL', 'ok', 'ok']);
    expect(k.snapshot()).toEqual([]);
  });

  it('logs calls and ops; external changes are not logged', async () => {
    const k = new RecordingIpvsKernel();
    k.external([{ op: 'addService', service: svc }]);
    expect(k.log).toEqual([]);
    await k.dump();
    await k.apply([{ op: 'addDest', key: svc.key, dest }]);
    expect(k.log.map((c) => c.call)).toEqual(['dump', 'apply']);
    expect(k.ops).toEqual([{ op: 'addDest', key: svc.key, dest }]);
  });

  it('without IPVS every call rejects with a KernelError', async () => {
    const k = new RecordingIpvsKernel({ present: false });
    const e = await k.info().catch((x: unknown) => x);
    expect(isKernelError(e, 'ENOENT')).toBe(true);
    await expect(k.dump()).rejects.toThrow(/IPVS/);
  });

  it('failNext refuses one op of a kind', async () => {
    const k = new RecordingIpvsKernel();
    k.failNext('addService', 'ENOMEM');
    const r = await k.apply([{ op: 'addService', service: svc }, { op: 'addService', service: svc }]);
    expect(r.map((x) => (x.ok ? 'ok' : x.code))).toEqual(['ENOMEM', 'ok']);
  });
});
