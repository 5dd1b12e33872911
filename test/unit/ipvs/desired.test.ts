// desired(): config + checker results + memory -> the IPVS table, with keepalived 2.2.7's rules
// (keepalived-behaviour.md 5.2-5.3; check/ipwrapper.c) and its log wording.
import { describe, expect, it } from 'vitest';
import { EMPTY_MEMORY, desired, expandRange, type DesiredMemory, type RsHealth } from '../../../src/ipvs/desired.js';
import { ipOf } from '../../../src/lib/ip.js';
import { eventLines } from '../../../src/ipvs/wording.js';
import { IPVS_SVC_FLAG } from '../../../src/kernel/ipvs.js';
import type { KeepalivedConfig } from '../../../src/config/model.js';
import { modelOf } from './lvs-fixtures.js';

const VS = '[192.0.2.1]:tcp:3306';

function mysql(extra = '', rsExtra = ''): KeepalivedConfig {
  return modelOf(`
virtual_server 192.0.2.1 3306 {
  lb_algo wrr
  lb_kind NAT
  protocol TCP
  ${extra}
  real_server 192.0.2.10 3306 {
    weight 2
    ${rsExtra}
    TCP_CHECK { connect_timeout 3 }
  }
  real_server 192.0.2.11 3306 {
    weight 3
    ${rsExtra}
    TCP_CHECK { connect_timeout 3 }
  }
}
`);
}

/** A TUN service (gue, port 6080, csum) with a plain real server 192.0.2.10 and `reals` after it. */
function tunService(reals: string): KeepalivedConfig {
  return modelOf(`
virtual_server 192.0.2.1 80 {
  protocol TCP
  lb_kind TUN type gue port 6080 csum
  real_server 192.0.2.10 80 { }
${reals}}`);
}

/** Runs desired() over a sequence of health maps, carrying memory; returns each step. */
function steps(m: KeepalivedConfig, healths: Record<string, RsHealth>[], held?: ReadonlySet<string>) {
  let memory: DesiredMemory = EMPTY_MEMORY;
  return healths.map((h) => {
    const d = desired({ virtualServers: m.virtualServers, groups: m.virtualServerGroups, health: new Map(Object.entries(h)), memory, ...(held ? { heldAddresses: held } : {}) });
    memory = d.memory;
    return d;
  });
}

const k = (ip: string, port = 3306, vs = 'tcp|192.0.2.1|3306') => `${vs}#${ip}|${port}`;

describe('desired: services and dests', () => {
  it('builds the service with keepalived flags and one dest per live real server', () => {
    const [d] = steps(mysql(), [{}]);
    expect(d.entries).toEqual([
      {
        service: { key: { kind: 'addr', family: 'inet', protocol: 'tcp', address: '192.0.2.1', port: 3306 }, scheduler: 'wrr', flags: 0, timeout: 0, netmask: '255.255.255.255' },
        dests: [
          { family: 'inet', address: '192.0.2.10', port: 3306, forward: 'masq', weight: 2, upperThreshold: 0, lowerThreshold: 0 },
          { family: 'inet', address: '192.0.2.11', port: 3306, forward: 'masq', weight: 3, upperThreshold: 0, lowerThreshold: 0 },
        ],
      },
    ]);
    // keepalived's quorum state starts down, so a met quorum is gained at start.
    expect(d.events).toEqual([{ kind: 'quorumGained', vsId: 'tcp|192.0.2.1|3306', vs: VS, quorum: 1, hysteresis: 0, threshold: 1, weightSum: 5 }]);
    expect(d.virtuals[0].label).toBe(VS);
  });

  it('persistence: PERSISTENT flag, timeout, granularity as a netmask; engine', () => {
    const [d] = steps(mysql('persistence_timeout 300\n persistence_granularity 255.255.255.0\n persistence_engine sip'), [{}]);
    const s = d.entries[0].service;
    expect(s.flags & IPVS_SVC_FLAG.PERSISTENT).toBe(IPVS_SVC_FLAG.PERSISTENT);
    expect(s.timeout).toBe(300);
    expect(s.netmask).toBe('255.255.255.0');
    expect(s.pe).toBe('sip');
  });

  it('scheduler flags: sh-port and sh-fallback', () => {
    const [d] = steps(mysql('sh-port\n sh-fallback'), [{}]);
    expect(d.entries[0].service.flags).toBe(IPVS_SVC_FLAG.SCHED1 | IPVS_SVC_FLAG.SCHED2);
  });

  it('defaults: scheduler wlc, forward NAT; DR dests take the service port; TUN carries its encapsulation', () => {
    const [d] = steps(tunService('  real_server 192.0.2.11 80 { lvs_method DR }\n'), [{}]);
    expect(d.entries[0].service.scheduler).toBe('wlc');
    expect(d.entries[0].dests).toEqual([
      { family: 'inet', address: '192.0.2.10', port: 80, forward: 'tunnel', weight: 1, upperThreshold: 0, lowerThreshold: 0, tunnelType: 'gue', tunnelPort: 6080, tunnelFlags: 1 },
      { family: 'inet', address: '192.0.2.11', port: 80, forward: 'route', weight: 1, upperThreshold: 0, lowerThreshold: 0 },
    ]);
  });

  it("a real server's own lvs_method TUN options replace the service's (keepalived 2.2.7 in the VM differential)", () => {
    const [d] = steps(tunService('  real_server 192.0.2.11 80 { lvs_method TUN type gue port 6081 remcsum }\n  real_server 192.0.2.12 80 { lvs_method TUN type gre nocsum }\n'), [{}]);
    expect(d.entries[0].dests.map((x) => [x.address, x.tunnelType, x.tunnelPort, x.tunnelFlags])).toEqual([
      ['192.0.2.10', 'gue', 6080, 1],
      ['192.0.2.11', 'gue', 6081, 2],
      ['192.0.2.12', 'gre', 0, 0],
    ]);
  });

  it('a port-0 persistent service keeps its port-0 real server; a group range may name its end in full (both as keepalived 2.2.7 in the VM differential)', () => {
    const m = modelOf(`
virtual_server 192.0.2.33 0 {
  protocol TCP
  lb_algo rr
  lb_kind DR
  real_server 198.51.100.11 0 { }
}
virtual_server_group G {
  192.0.2.70-192.0.2.72 80
}
virtual_server group G {
  protocol TCP
  lb_algo rr
  lb_kind DR
  real_server 198.51.100.12 80 { }
}`);
    const [d] = steps(m, [{}]);
    expect(d.entries.map((e) => [e.service.key.kind === 'addr' ? `${e.service.key.address}:${e.service.key.port}` : '', e.service.timeout, e.dests.map((x) => `${x.address}:${x.port}`)])).toEqual([
      ['192.0.2.33:0', 360, ['198.51.100.11:0']],
      ['192.0.2.70:80', 0, ['198.51.100.12:80']],
      ['192.0.2.71:80', 0, ['198.51.100.12:80']],
      ['192.0.2.72:80', 0, ['198.51.100.12:80']],
    ]);
  });

  it('virtual_server_group: one service per address of a range and per fwmark; DR dest port follows each entry', () => {
    const m = modelOf(`
virtual_server_group WEB {
  192.0.2.1-3 80
  198.51.100.7 8080
  fwmark 7
}
virtual_server group WEB {
  protocol TCP
  lb_kind DR
  persistence_timeout 60
  real_server 192.0.2.50 { }
}`);
    const [d] = steps(m, [{}]);
    expect(d.entries.map((e) => e.service.key)).toEqual([
      { kind: 'addr', family: 'inet', protocol: 'tcp', address: '192.0.2.1', port: 80 },
      { kind: 'addr', family: 'inet', protocol: 'tcp', address: '192.0.2.2', port: 80 },
      { kind: 'addr', family: 'inet', protocol: 'tcp', address: '192.0.2.3', port: 80 },
      { kind: 'addr', family: 'inet', protocol: 'tcp', address: '198.51.100.7', port: 8080 },
      { kind: 'fwmark', family: 'inet', fwmark: 7 },
    ]);
    expect(d.entries.map((e) => e.dests[0].port)).toEqual([80, 80, 80, 8080, 0]);
    expect(d.virtuals[0].label).toBe('[WEB]:0');
  });

  it('expandRange covers IPv6 too', () => {
    expect(expandRange(ipOf('2001:db8::fe'), ipOf('2001:db8::101'))).toEqual(['2001:db8::fe', '2001:db8::ff', '2001:db8::100', '2001:db8::101']);
  });
});

describe('desired: real servers going down and up', () => {
  it('a dead real server leaves the pool, with keepalived words', () => {
    const [, d] = steps(mysql(), [{}, { [k('192.0.2.10')]: { up: false } }]);
    expect(d.entries[0].dests.map((x) => x.address)).toEqual(['192.0.2.11']);
    expect(d.events.flatMap(eventLines)).toEqual([`Removing service [192.0.2.10]:tcp:3306 from VS ${VS}`]);
  });

  it('inhibit_on_failure: weight 0 instead of removal; "Disabling"/"Enabling"', () => {
    const [, down, up] = steps(mysql('', 'inhibit_on_failure'), [{}, { [k('192.0.2.10')]: { up: false } }, { [k('192.0.2.10')]: { up: true } }]);
    expect(down.entries[0].dests.map((x) => [x.address, x.weight])).toEqual([['192.0.2.10', 0], ['192.0.2.11', 3]]);
    expect(down.events.flatMap(eventLines)).toEqual([`Disabling service [192.0.2.10]:tcp:3306 of VS ${VS}`]);
    expect(up.entries[0].dests.map((x) => x.weight)).toEqual([2, 3]);
    expect(up.events.flatMap(eventLines)).toEqual([`Enabling service [192.0.2.10]:tcp:3306 of VS ${VS}`]);
  });

  it('alpha: a real server with no result yet starts out of the pool', () => {
    const [d] = steps(mysql('alpha'), [{}]);
    expect(d.entries[0].dests).toEqual([]);
  });

  it('a MISC_CHECK dynamic weight replaces the configured one', () => {
    const [, d] = steps(mysql(), [{}, { [k('192.0.2.11')]: { up: true, weight: 7 } }]);
    expect(d.entries[0].dests.map((x) => x.weight)).toEqual([2, 7]);
    expect(d.events.flatMap(eventLines)).toEqual([`Changing weight from 3 to 7 for active service [192.0.2.11]:tcp:3306 of VS ${VS}`]);
  });

  it('ha_suspend: while this node does not hold the address, results are not acted on', () => {
    const m = mysql('ha_suspend');
    const held = new Set<string>();
    const [, d] = steps(m, [{}, { [k('192.0.2.10')]: { up: false } }], held);
    expect(d.virtuals[0].suspended).toBe(true);
    expect(d.entries[0].dests).toHaveLength(2);
    expect(d.events).toEqual([]);
    const [, held2] = steps(m, [{}, { [k('192.0.2.10')]: { up: false } }], new Set(['192.0.2.1']));
    expect(held2.entries[0].dests).toHaveLength(1);
  });
});

describe('desired: quorum with hysteresis and the sorry server', () => {
  const four = () =>
    modelOf(`
virtual_server 192.0.2.1 80 {
  protocol TCP
  quorum 3
  hysteresis 1
  sorry_server 198.51.100.99 8080
  ${[10, 11, 12, 13].map((n) => `real_server 192.0.2.${n} 80 { TCP_CHECK { } }`).join('\n  ')}
}`);
  const key = (n: number) => `tcp|192.0.2.1|80#192.0.2.${n}|80`;
  const downs = (...ns: number[]): Record<string, RsHealth> => Object.fromEntries(ns.map((n) => [key(n), { up: false }]));

  it('loses quorum below quorum - hysteresis, regains it at quorum + hysteresis', () => {
    const ds = steps(four(), [{}, downs(10), downs(10, 11), downs(10, 11, 12), downs(10, 11), downs(10), {}]);
    expect(ds.map((d) => d.virtuals[0].quorumUp)).toEqual([true, true, true, false, false, false, true]);
    expect(ds.map((d) => d.virtuals[0].weightSum)).toEqual([4, 3, 2, 1, 2, 3, 4]);
    const lost = ds[3];
    expect(lost.events.flatMap(eventLines)).toEqual([
      'Removing service [192.0.2.12]:tcp:80 from VS [192.0.2.1]:tcp:80',
      'Lost quorum 3-1=2 > 1 for VS [192.0.2.1]:tcp:80',
      'Adding sorry server [198.51.100.99]:tcp:8080 to VS [192.0.2.1]:tcp:80',
      'Removing alive servers from the pool for VS [192.0.2.1]:tcp:80',
    ]);
    // The sorry server (weight 1) alone in the pool.
    expect(lost.entries[0].dests).toEqual([{ family: 'inet', address: '198.51.100.99', port: 8080, forward: 'masq', weight: 1, upperThreshold: 0, lowerThreshold: 0 }]);
    expect(ds[4].entries[0].dests.map((x) => x.address)).toEqual(['198.51.100.99']);
    expect(ds[6].events.flatMap(eventLines)).toEqual([
      'Adding service [192.0.2.10]:tcp:80 to VS [192.0.2.1]:tcp:80',
      'Gained quorum 3+1=4 <= 4 for VS [192.0.2.1]:tcp:80',
      'Removing sorry server [198.51.100.99]:tcp:8080 from VS [192.0.2.1]:tcp:80',
      'Adding alive servers to the pool for VS [192.0.2.1]:tcp:80',
    ]);
    expect(ds[6].entries[0].dests.map((x) => x.address)).toEqual(['192.0.2.10', '192.0.2.11', '192.0.2.12', '192.0.2.13']);
  });

  it('starts with quorum down: the sorry server goes in at once', () => {
    const m = four();
    const [d] = steps(m, [downs(10, 11, 12)]);
    expect(d.events.flatMap(eventLines)).toEqual([
      'Starting with quorum down 3-1=4 > 1 for VS [192.0.2.1]:tcp:80',
      'Adding sorry server [198.51.100.99]:tcp:8080 to VS [192.0.2.1]:tcp:80',
      'Removing alive servers from the pool for VS [192.0.2.1]:tcp:80',
    ]);
    expect(d.entries[0].dests.map((x) => x.address)).toEqual(['198.51.100.99']);
  });

  it('sorry_server_inhibit: the sorry server stays with weight 0 while quorum holds', () => {
    const m = modelOf(`
virtual_server 192.0.2.1 80 {
  protocol TCP
  sorry_server 198.51.100.99 80
  sorry_server_inhibit
  sorry_server_lvs_method DR
  real_server 192.0.2.10 80 { TCP_CHECK { } }
}`);
    const [up, down] = steps(m, [{}, { 'tcp|192.0.2.1|80#192.0.2.10|80': { up: false } }]);
    expect(up.entries[0].dests.map((x) => [x.address, x.weight, x.forward])).toEqual([['198.51.100.99', 0, 'route'], ['192.0.2.10', 1, 'masq']]);
    expect(down.entries[0].dests.map((x) => [x.address, x.weight])).toEqual([['198.51.100.99', 1]]);
    expect(down.events.flatMap(eventLines)).toContain('Enabling sorry server [198.51.100.99]:tcp:80 to VS [192.0.2.1]:tcp:80');
  });

  it('without a sorry server quorum only reports: real servers still come and go', () => {
    const m = modelOf(`
virtual_server 192.0.2.1 80 {
  protocol TCP
  quorum 2
  real_server 192.0.2.10 80 { TCP_CHECK { } }
  real_server 192.0.2.11 80 { TCP_CHECK { } }
}`);
    const [, d] = steps(m, [{}, { 'tcp|192.0.2.1|80#192.0.2.10|80': { up: false } }]);
    expect(d.virtuals[0].quorumUp).toBe(false);
    expect(d.entries[0].dests.map((x) => x.address)).toEqual(['192.0.2.11']);
    expect(d.events.map((e) => e.kind)).toEqual(['rsDown', 'quorumLost']);
  });
});
