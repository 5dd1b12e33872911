// Address, route and rule lines become typed values in the model (config/keywords/vrrp-lists.ts,
// route-rule.ts); the daemon's wiring only maps them to kernel specs. The file's options are
// the ones keepalived 2.2.7 accepts without a word (test/acceptance/route-vip-options.test.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { routeNotApplied, routeSpec } from '../../../src/core/instance-wiring.js';
import { build } from './model-helpers.js';
import { ipOf } from '../../../src/lib/ip.js';

const GOOD = readFileSync(join(import.meta.dirname, '..', '..', 'fixtures', 'config', 'routes-vips-good.conf'), 'utf8');

describe('typed VIP, route and rule options', () => {
  const b = build(GOOD);
  const vi = b.model.vrrpInstances[0];

  it('accepted options give no error or warning; options not applied here are named on info lines', () => {
    expect(b.diags.filter((d) => d.severity !== 'info')).toEqual([]);
    expect(b.only('unsupported-option').map((d) => [d.loc.line, d.message])).toEqual([
      [30, 'route option(s) mtu, pref accepted but not applied by this daemon'],
      [36, 'rule option(s) sport accepted but not applied by this daemon'],
    ]);
  });

  it('VIP options', () => {
    const [a, p, c] = vi.virtualIpaddress;
    expect(a).toMatchObject({ ip: { address: ipOf('192.0.2.1'), prefixLen: 24 }, dev: 'eth0', brd: '+', label: 'eth0:vip', scope: 'global', noTrack: false });
    expect(p).toMatchObject({ ip: { address: ipOf('192.0.2.2'), prefixLen: 32 }, peer: ipOf('192.0.2.99') });
    expect(c).toMatchObject({ brd: '192.0.2.127', noPrefixRoute: true, preferredLft: 0, noTrack: true });
    const [x, y] = vi.virtualIpaddressExcluded;
    expect(x).toMatchObject({ dad: true, home: true, mngtmpaddr: true, preferredLft: 'forever', autojoin: false });
    expect(y).toMatchObject({ dad: false, autojoin: true });
    expect(b.model.staticIpaddress[0]).toMatchObject({ dev: 'eth1', scope: 'link', label: 'eth1:st' });
  });

  it('routes: values, keepalived protocol unless another is written for an untracked route, kernel specs', () => {
    const [r1, bh, un, def, v6] = vi.virtualRoutes;
    expect(r1).toMatchObject({ family: 'inet', dst: { address: ipOf('198.51.100.0'), prefixLen: 24 }, via: ipOf('192.0.2.254'), dev: 'eth0', metric: 10, table: 254, src: ipOf('192.0.2.1'), protocol: 18 });
    expect(bh).toMatchObject({ type: 'blackhole', noTrack: true, protocol: 18 });
    expect(un).toMatchObject({ type: 'unreachable', protocol: 4, noTrack: true });
    expect(def).toMatchObject({ dst: 'default', table: 100, scope: 'global', tos: 16, onlink: true });
    expect(v6).toMatchObject({ family: 'inet6', unsupported: ['mtu', 'pref'] });
    expect(routeSpec(r1, 'eth0')).toEqual({ dst: '198.51.100.0', prefixLength: 24, via: '192.0.2.254', dev: 'eth0', src: '192.0.2.1', metric: 10, table: 254, protocol: 18 });
    expect(routeSpec(bh, 'eth0')).toEqual({ dst: '203.0.113.128', prefixLength: 25, type: 'blackhole', protocol: 18 });
    expect(routeSpec(def, 'eth0')).toMatchObject({ dst: 'default', family: 'inet', via: '192.0.2.254', tos: 16 });
    expect(routeNotApplied(def)).toEqual(['onlink']);
    expect(routeNotApplied(v6)).toEqual(['mtu', 'pref']);
    expect(b.model.staticRoutes[0]).toMatchObject({ table: 100, dev: 'eth1', noTrack: true });
  });

  it('rules: values and actions', () => {
    const r = vi.virtualRules;
    expect(r[0]).toMatchObject({ from: { address: ipOf('192.0.2.0'), prefixLen: 24 }, table: 100, preference: 100, preferenceWritten: true });
    expect(r[1]).toMatchObject({ to: { address: ipOf('198.51.100.0') }, table: 254, preference: 101, fwmark: { value: 16, mask: 255 }, iif: 'eth0' });
    expect(r[2]).toMatchObject({ from: 'all', fwmark: { value: 7 }, action: 'blackhole', preference: 102 });
    expect(r[3]).toMatchObject({ not: true, table: 255, oif: 'eth0', unsupported: ['sport'] });
    expect(r[4]).toMatchObject({ family: 'inet6', table: 200 });
    expect(b.model.staticRules[0]).toMatchObject({ from: { address: ipOf('198.51.100.10') }, table: 100, preference: 200 });
  });

  it('rules without a preference are numbered per family from 16384, as keepalived does', () => {
    const c = build('vrrp_instance V {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n  192.0.2.1\n }\n virtual_rules {\n  from 192.0.2.1 table 1\n  from 2001:db8::1 table 1\n  from 192.0.2.2 table 1\n }\n}\n');
    expect(c.model.vrrpInstances[0].virtualRules.map((x) => x.preference)).toEqual([16384, 16384, 16383]);
  });
});

describe('wiring: parsed values to kernel specs, and what is not carried out is said', () => {
  it('names use_vmac VIPs, onlink/mtu routes, virtual_rules and static_* as not supported; maps the rest', async () => {
    const { RecordingKernel } = await import('../../../src/kernel/recording-kernel.js');
    const { wireInstances } = await import('../../../src/core/instance-wiring.js');
    const kernel = new RecordingKernel([{ name: 'lo' }, { name: 'eth0', mac: '02:00:00:00:00:01' }, { name: 'eth1', mac: '02:00:00:00:00:02' }]);
    const eth0 = (await kernel.listLinks()).find((l) => l.name === 'eth0')!;
    await kernel.addAddress({ address: '192.0.2.11', prefixLength: 24, dev: eth0.ifindex });
    const conf = GOOD.replace('192.0.2.3/25 brd 192.0.2.127', '192.0.2.3/25 use_vmac brd 192.0.2.127');
    const wired = await wireInstances(build(conf).model, kernel);
    expect(wired.problems.filter((p) => p.code !== 'unsupported')).toEqual([]);
    const text = wired.problems.map((p) => p.message).join('\n');
    expect(text).toMatch(/VIP 192\.0\.2\.3: use_vmac is not supported yet/);
    expect(text).toMatch(/virtual route at line 29: onlink not supported yet/);
    expect(text).toMatch(/virtual route at line 30: mtu, pref not supported yet/);
    expect(text).toMatch(/virtual_rules are not supported yet: 5 rule\(s\) not added/);
    expect(text).toMatch(/static_ipaddress \(1\), static_routes \(1\), static_rules \(1\) not supported yet/);
    const spec = wired.specs[0];
    expect(spec.addresses.get('192.0.2.1')).toMatchObject({ prefixLength: 24, broadcast: '+', label: 'eth0:vip', scope: 'global' });
    expect(spec.addresses.get('192.0.2.2')).toMatchObject({ prefixLength: 32, peer: '192.0.2.99' });
    // keepalived sets IFA_F_NODAD on IPv6 VIPs unless the line says -nodad.
    expect(spec.addresses.get('2001:db8::1')?.noDad).toBeUndefined();
    expect(spec.addresses.get('2001:db8::2')).toMatchObject({ noDad: true, autojoin: true, preferredLft: 'forever' });
    expect(spec.routes).toHaveLength(5);
  });
});
