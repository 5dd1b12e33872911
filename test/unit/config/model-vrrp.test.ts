// vrrp_instance / vrrp_script / sync group: keepalived 2.2.7 defaults, ranges, aliases and the
// -t time validation (fact sheet sections 2.2-2.5, 3.6, 3.9, 3.12).
import { describe, expect, it } from 'vitest';
import { build, vi } from './model-helpers.js';

describe('vrrp_instance defaults', () => {
  it('priority 100, BACKUP, advert_int 1 s (100 cs), preempt, accept, version 2, GARP 5 x 5 s', () => {
    const { model, diags } = build(vi());
    expect(diags).toEqual([]);
    expect(model.vrrpInstances[0]).toMatchObject({
      name: 'VI_1',
      interface: 'eth0',
      virtualRouterId: 51,
      priority: 100,
      state: 'BACKUP',
      advertInt: 100,
      nopreempt: false,
      accept: true,
      version: 2,
      family: 'inet',
      garpMasterDelay: 5000,
      garpMasterRepeat: 5,
      downTimerAdverts: 3,
    });
  });
  it('state MASTER without priority means priority 255; priority 255 without state means MASTER', () => {
    const a = build(vi('state MASTER')).model.vrrpInstances[0];
    expect([a.state, a.priority]).toEqual(['MASTER', 255]);
    const b = build(vi('priority 255')).model.vrrpInstances[0];
    expect([b.state, b.priority]).toEqual(['MASTER', 255]);
    const c = build(vi('state MASTER\npriority 150')).model.vrrpInstances[0];
    expect([c.state, c.priority]).toEqual(['MASTER', 150]);
  });
  it('global_defs GARP/down-timer values are copied when the instance opens (ordering trap)', () => {
    const before = build(`global_defs {\n vrrp_garp_master_delay 2\n vrrp_down_timer_adverts 5\n}\n${vi()}`);
    expect(before.model.vrrpInstances[0]).toMatchObject({ garpMasterDelay: 2000, downTimerAdverts: 5 });
    const after = build(`${vi()}global_defs {\n vrrp_garp_master_delay 2\n}\n`);
    expect(after.model.vrrpInstances[0].garpMasterDelay).toBe(5000);
  });
});

describe('vrrp_instance values and ranges', () => {
  it("unknown state 'MASTR' defaults to BACKUP with invalid-value", () => {
    const b = build(vi('state MASTR\npriority 100'));
    expect(b.model.vrrpInstances[0].state).toBe('BACKUP');
    expect(b.only('invalid-value')[0].message).toBe("(VI_1) unknown state 'MASTR', defaulting to BACKUP");
  });
  it('priority out of range reports keepalived range and uses 100', () => {
    const b = build(vi('priority 300'));
    expect(b.only('value-out-of-range')[0].message).toBe("number '300' outside range [1, 255]");
    expect(b.model.vrrpInstances[0].priority).toBe(100);
  });
  it('virtual_router_id 256 is out of range and the instance without a VRID is dropped', () => {
    const b = build('vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 256\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n');
    expect(b.codes()).toEqual(['value-out-of-range', 'missing-vrid']);
    expect(b.model.vrrpInstances).toEqual([]);
  });
  it('advert_int: decimal seconds to centiseconds; v2 rounds fractions, v3 keeps them', () => {
    expect(build(vi('advert_int 3')).model.vrrpInstances[0].advertInt).toBe(300);
    const v2 = build(vi('advert_int 1.5'));
    expect(v2.model.vrrpInstances[0].advertInt).toBe(200);
    expect(v2.codes()).toContain('advert-int-rounded');
    const v3 = build(vi('version 3\nadvert_int 0.5'));
    expect(v3.model.vrrpInstances[0].advertInt).toBe(50);
    expect(build(vi('advert_int 300')).only('value-out-of-range')[0].message).toBe("number '300' outside range [0.010000, 255.000000]");
  });
  it('missing parameter is an error and the line is skipped', () => {
    const b = build(vi('priority'));
    expect(b.only('missing-parameter')).toHaveLength(1);
    expect(b.only('missing-parameter')[0].severity).toBe('error');
    expect(b.model.vrrpInstances[0].priority).toBe(100);
  });
  it('auth_pass is truncated to 8 bytes with a warning', () => {
    const b = build(vi('authentication {\n auth_type PASS\n auth_pass 123456789\n}'));
    expect(b.model.vrrpInstances[0].authentication).toEqual({ authType: 'PASS', authPass: '12345678' });
    expect(b.only('value-truncated')).toHaveLength(1);
  });
  it('VIP options, invalid VIPs, prefix clamp and family mismatch', () => {
    const b = build(
      'vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n  10.0.0.1/24 dev eth1 label eth1:1 no_track\n  10.0.0.300\n  10.0.0.2/33\n  fe80::1\n }\n}\n',
    );
    const vips = b.model.vrrpInstances[0].virtualIpaddress;
    expect(vips.map((v) => `${v.ip.address}/${v.ip.prefixLen}`)).toEqual(['10.0.0.1/24', '10.0.0.2/32']);
    expect(vips[0]).toMatchObject({ dev: 'eth1', label: 'eth1:1', noTrack: true });
    expect(b.codes()).toEqual(['invalid-address', 'value-out-of-range', 'family-mismatch']);
  });
  it('IPv6 VIPs force VRRP version 3 and drop authentication', () => {
    const b = build(
      'vrrp_instance V6 {\n interface eth0\n virtual_router_id 1\n authentication {\n auth_type PASS\n auth_pass x\n }\n virtual_ipaddress {\n  fe80::1\n  2001:DB8:0:0::1\n }\n}\n',
    );
    const v = b.model.vrrpInstances[0];
    expect([v.family, v.version, v.authentication]).toEqual(['inet6', 3, undefined]);
    expect(v.virtualIpaddress[1].ip.address.text).toBe('2001:db8::1');
    expect(b.codes()).toEqual(['auth-ignored']);
  });
  it('nopreempt and preempt_delay are cleared with state MASTER', () => {
    const b = build(vi('state MASTER\npriority 100\nnopreempt\npreempt_delay 10'));
    expect(b.model.vrrpInstances[0]).toMatchObject({ nopreempt: false, preemptDelay: 0 });
    expect(b.codes()).toEqual(['nopreempt-cleared', 'preempt-delay-cleared']);
    expect(build(vi('nopreempt\npreempt_delay 2.5')).model.vrrpInstances[0]).toMatchObject({ nopreempt: true, preemptDelay: 2500 });
  });
  it('strict mode: no auth, no_accept, lower_prio_no_advert, down_timer_adverts 3', () => {
    const b = build(`global_defs {\n vrrp_strict\n vrrp_down_timer_adverts 5\n}\n${vi('authentication {\n auth_type PASS\n auth_pass x\n}')}`);
    const v = b.model.vrrpInstances[0];
    expect(v).toMatchObject({ strictMode: true, accept: false, lowerPrioNoAdvert: true, downTimerAdverts: 3 });
    expect(v.authentication).toBeUndefined();
  });
  it("interface 'lo' is rejected like keepalived (loopback cannot carry VRRP)", () => {
    const b = build('vrrp_instance L {\n interface lo\n virtual_router_id 1\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n');
    expect(b.codes()).toEqual(['loopback-interface', 'missing-interface']);
    expect(b.model.vrrpInstances).toEqual([]);
  });
  it('duplicate VRID on the same interface and family is an error', () => {
    const b = build(vi('', 'A', 5) + vi('', 'B', 5) + vi('', 'C', 6));
    expect(b.only('duplicate-vrid').map((d) => d.message)).toEqual(['A and B both use VRID 5 with IPv4 on interface eth0']);
  });
  it('unicast_peer with ttl options; mcast_src_ip validated', () => {
    const b = build(vi('unicast_src_ip 10.1.1.1\nunicast_peer {\n 10.1.1.2 min_ttl 250 max_ttl 255\n 10.1.1.x\n}\nmcast_src_ip nope'));
    const v = b.model.vrrpInstances[0];
    expect(v.unicast).toBe(true);
    expect(v.unicastPeer.map((p) => [p.ip.text, p.minTtl, p.maxTtl])).toEqual([['10.1.1.2', 250, 255]]);
    expect(b.only('invalid-address')).toHaveLength(2);
  });
  it('notify scripts keep command, argv and user/group', () => {
    const b = build(vi(`notify_master "/etc/ka/nm.sh arg1 'two words'" nobody nogroup`));
    expect(b.model.vrrpInstances[0].notifyMaster).toMatchObject({
      cmd: "/etc/ka/nm.sh arg1 'two words'",
      argv: ['/etc/ka/nm.sh', 'arg1', 'two words'],
      user: 'nobody',
      group: 'nogroup',
    });
  });
  it('deprecated instance keywords warn like keepalived', () => {
    const b = build(vi('linkbeat_use_polling\nvmac_garp_intvl 5\nlvs_sync_daemon_interface eth1'));
    expect(b.only('deprecated-keyword')).toHaveLength(3);
    expect(b.only('unknown-keyword')).toEqual([]);
  });
});

describe('unknown keywords', () => {
  it("are worded `Unknown keyword 'NAME'` with a did-you-mean from the block's keywords", () => {
    const b = build('vrrp_script s {\n script "/bin/true"\n rize 2\n}\n' + vi('priorty 10\nadvert_intt 2'));
    expect(b.only('unknown-keyword').map((d) => [d.message, d.hint, d.loc.line])).toEqual([
      ["Unknown keyword 'rize'", "did you mean 'rise'?", 3],
      ["Unknown keyword 'priorty'", "did you mean 'priority'?", 11],
      ["Unknown keyword 'advert_intt'", "did you mean 'advert_int'?", 12],
    ]);
  });
  it('an unknown block is skipped as a whole with one diagnostic', () => {
    const b = build(vi('virtual_ipaddres {\n  10.0.0.9\n  priority 1\n}\npriority 120'));
    expect(b.only('unknown-keyword').map((d) => [d.text, d.hint])).toEqual([
      ['virtual_ipaddres', "did you mean 'virtual_ipaddress'?; block skipped"],
    ]);
    expect(b.model.vrrpInstances[0].priority).toBe(120);
  });
  it('2.3+ keywords are unknown to 2.2.7: reported as a warning with an explanation', () => {
    const d = build(vi('no_virtual_ipaddress')).only('unknown-keyword')[0];
    expect([d.severity, d.hint]).toEqual(['warning', 'keepalived 2.3+ keyword; not recognised by 2.2.7']);
  });
});

describe('vrrp_script, track_file, trackers and sync groups', () => {
  it('vrrp_script defaults: interval 1 s, timeout = interval, weight 0, rise/fall 1', () => {
    const b = build('vrrp_script s {\n script "/bin/true"\n interval 2\n}\n');
    expect(b.model.vrrpScripts[0]).toMatchObject({ interval: 2000, timeout: 2000, weight: 0, rise: 1, fall: 1, initFail: false });
  });
  it('vrrp_script ranges: weight -253..253, rise 0 -> 1, interval 0 -> 1 s; no script -> removed', () => {
    const b = build('vrrp_script s {\n script "/bin/true"\n weight 300\n rise 0\n interval 0\n}\nvrrp_script t {\n interval 1\n}\n');
    expect(b.model.vrrpScripts.map((s) => [s.name, s.weight, s.rise, s.interval])).toEqual([['s', 0, 1, 1000]]);
    expect(b.codes()).toEqual(['value-out-of-range', 'value-out-of-range', 'value-out-of-range', 'missing-script']);
    expect(build('vrrp_script s {\n script x\n weight -20 reverse\n}\n').model.vrrpScripts[0]).toMatchObject({ weight: -20, weightReverse: true });
  });
  it('vrrp_track_file is the old name of track_file (accepted silently, as 2.2.7 does)', () => {
    const b = build('vrrp_track_file tf {\n file /tmp/x\n weight -5\n}\n');
    expect(b.model.trackFiles[0]).toMatchObject({ name: 'tf', file: '/tmp/x', weight: -5 });
    expect(b.diags).toEqual([]);
  });
  it('track_script naming an undefined script is reported and dropped', () => {
    const b = build(vi('track_script {\n nosuch\n}'));
    expect(b.only('unknown-reference')[0].message).toBe('(VI_1) track script nosuch not found, ignoring...');
    expect(b.model.vrrpInstances[0].trackScript).toEqual([]);
  });
  it('sync group: unknown instance, single member warning, weighted scripts dropped in members', () => {
    const b = build(
      'vrrp_script chk {\n script x\n weight 10\n}\n' +
        vi('track_script {\n chk\n}') +
        'vrrp_sync_group G {\n group {\n  VI_1\n  VI_nope\n }\n}\n',
    );
    expect(b.codes()).toEqual(['unknown-reference', 'sync-group-single', 'sync-group-weight']);
    expect(b.model.vrrpSyncGroups[0].group).toEqual(['VI_1']);
    expect(b.model.vrrpInstances[0]).toMatchObject({ syncGroup: 'G', trackScript: [] });
  });
  it('sync group instance names written without a group block are unknown keywords (as in keepalived)', () => {
    const b = build(vi() + 'vrrp_sync_group G {\n VI_1\n}\n');
    expect(b.only('unknown-keyword').map((d) => d.text)).toEqual(['VI_1']);
  });
});
