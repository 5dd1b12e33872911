// virtual_server / real_server / checkers: keepalived 2.2.7 defaults (fact sheet 2.6-2.9),
// aliases, inheritance and -t time validation.
import { describe, expect, it } from 'vitest';
import type { HttpCheck, MiscCheck, SmtpCheck } from '../../../src/config/model.js';
import { build } from './model-helpers.js';

const vs = (body: string, head = '10.0.0.1 80') => `virtual_server ${head} {\n${body}\n}\n`;
const rs = (body: string, head = '10.0.0.2 80') => ` real_server ${head} {\n${body}\n }`;

describe('virtual_server', () => {
  it('defaults: wlc, NAT, UDP (with keepalived warnings), quorum 1, delay_loop 60 s for checkers', () => {
    const b = build(vs(rs('TCP_CHECK {\n}')));
    const v = b.model.virtualServers[0];
    expect(v).toMatchObject({ lbAlgo: 'wlc', lbKind: 'NAT', protocol: 'UDP', quorum: 1, hysteresis: 0, persistenceTimeout: 0 });
    expect(b.diags.map((d) => d.message)).toEqual([
      'Virtual server [10.0.0.1]:none:80: no protocol set - defaulting to UDP',
      'Virtual server [10.0.0.1]:none:80: no forwarding method set, setting default NAT',
      "Virtual server [10.0.0.1]:none:80: no scheduler set, setting default 'wlc'",
    ]);
    expect(v.realServers[0].checkers[0].timing).toEqual({
      delayLoop: 60000,
      connectTimeout: 5000,
      retry: 1,
      delayBeforeRetry: 1000,
      warmup: 60000,
      alpha: false,
    });
  });
  it('lvs_sched / lvs_method are accepted aliases of lb_algo / lb_kind', () => {
    const b = build(vs(`lvs_sched rr\nlvs_method DR\nprotocol TCP\n${rs('')}`));
    expect(b.model.virtualServers[0]).toMatchObject({ lbAlgo: 'rr', lbKind: 'DR', protocol: 'TCP' });
    expect(b.diags).toEqual([]);
  });
  it('persistence_timeout bare = 360 s; port 0 forces persistence; fwmark ignores protocol', () => {
    expect(build(vs(`protocol TCP\nlb_algo rr\nlb_kind NAT\npersistence_timeout\n${rs('')}`)).model.virtualServers[0].persistenceTimeout).toBe(360);
    expect(build(vs(`protocol TCP\nlb_algo rr\nlb_kind NAT\npersistence_timeout 50\n${rs('')}`)).model.virtualServers[0].persistenceTimeout).toBe(50);
    expect(build(vs(`protocol TCP\nlb_algo rr\nlb_kind NAT\n${rs('')}`, '10.0.0.1 0')).model.virtualServers[0].persistenceTimeout).toBe(360);
    const f = build(vs(`protocol TCP\nlb_algo rr\nlb_kind DR\n${rs('')}`, 'fwmark 7'));
    expect(f.model.virtualServers[0].target).toEqual({ kind: 'fwmark', fwmark: 7 });
    expect(f.codes()).toEqual(['protocol-ignored']);
  });
  it('group NAME must name a virtual_server_group', () => {
    const b = build('virtual_server_group G {\n 10.0.0.1-5 80\n 10.1.0.0/30 443\n fwmark 3\n}\n' + vs(`protocol TCP\nlb_algo rr\nlb_kind DR\n${rs('')}`, 'group G') + vs(`protocol TCP\n${rs('')}`, 'group H'));
    expect(b.model.virtualServers.map((v) => v.target)).toEqual([{ kind: 'group', group: 'G' }]);
    expect(b.only('unknown-reference')).toHaveLength(1);
    expect(b.model.virtualServerGroups[0].entries.map((e) => [e.kind, e.ip?.text, e.last?.text, e.port ?? e.fwmark])).toEqual([
      ['range', '10.0.0.1', '10.0.0.5', 80],
      ['range', '10.1.0.0', '10.1.0.3', 443],
      ['fwmark', undefined, undefined, 3],
    ]);
  });
  it('quorum above the total weight is reduced; hysteresis >= quorum reduced to quorum-1', () => {
    const b = build(vs(`protocol TCP\nlb_algo rr\nlb_kind NAT\nquorum 10\nhysteresis 10\n${rs('weight 3')}\n${rs('weight 2', '10.0.0.3 80')}`));
    expect(b.model.virtualServers[0]).toMatchObject({ quorum: 5, hysteresis: 4 });
  });
  it('nat_mask is unknown (removed from keepalived), reported as a warning with an explanation', () => {
    const d = build(vs('protocol TCP\nnat_mask 255.255.255.0')).only('unknown-keyword')[0];
    expect([d.message, d.severity]).toEqual(["Unknown keyword 'nat_mask'", 'warning']);
  });
  it('a virtual server without real servers is dropped (even with a sorry_server), as keepalived does', () => {
    const b = build(vs('protocol TCP\nlb_algo rr\nlb_kind NAT\nsorry_server 10.0.0.9 80'));
    expect(b.model.virtualServers).toEqual([]);
    expect(b.only('no-real-servers')[0].message).toBe('Virtual server [10.0.0.1]:tcp:80 has no real servers - ignoring');
  });
  it('invalid lb_kind and out-of-range port', () => {
    const b = build(vs('protocol TCP\nlb_kind FOO', '10.0.0.1 70000'));
    expect(b.codes()).toEqual(['value-out-of-range']);
    expect(b.model.virtualServers).toEqual([]);
    expect(build(vs('protocol TCP\nlb_kind FOO')).only('invalid-value')).toHaveLength(1);
  });
});

describe('real_server and checkers', () => {
  const base = 'protocol TCP\nlb_algo rr\nlb_kind NAT\n';
  it('RS inherits VS weight and port; smtp_alert defaults true; DR resets a differing port', () => {
    const b = build(vs(`protocol TCP\nlb_algo rr\nlb_kind DR\nweight 4\n${rs('', '10.0.0.2')}\n${rs('', '10.0.0.3 8080')}`));
    const [a, c] = b.model.virtualServers[0].realServers;
    expect([a.port, a.weight, a.smtpAlert]).toEqual([80, 4, true]);
    expect(c.port).toBe(80);
    expect(b.codes()).toEqual(['rs-port-reset']);
  });
  it('timing inherits checker -> real server -> virtual server -> default', () => {
    const b = build(vs(`${base}delay_loop 10\nretry 4\n${rs('connect_timeout 2\nTCP_CHECK {\n  delay_before_retry 0.5\n}')}`));
    expect(b.model.virtualServers[0].realServers[0].checkers[0].timing).toEqual({
      delayLoop: 10000,
      connectTimeout: 2000,
      retry: 4,
      delayBeforeRetry: 500,
      warmup: 10000,
      alpha: false,
    });
  });
  it('per-checker retry defaults: HTTP 1 / 3 s, DNS 3 / delay_loop, MISC 0', () => {
    const t = (chk: string) =>
      build(vs(`${base}${rs(`${chk} {\n${chk === 'HTTP_GET' ? 'url {\n path /\n}' : chk === 'MISC_CHECK' ? 'misc_path /bin/true' : ''}\n}`)}`)).model.virtualServers[0]
        .realServers[0].checkers[0].timing;
    expect([t('HTTP_GET').retry, t('HTTP_GET').delayBeforeRetry]).toEqual([1, 3000]);
    expect([t('DNS_CHECK').retry, t('DNS_CHECK').delayBeforeRetry]).toEqual([3, 60000]);
    expect(t('MISC_CHECK').retry).toBe(0);
  });
  it('nb_get_retry: deprecated alias of retry in HTTP_GET, unknown in TCP_CHECK (as in 2.2.7)', () => {
    const h = build(vs(`${base}${rs('HTTP_GET {\n nb_get_retry 3\n url {\n  path /\n }\n}')}`));
    expect(h.model.virtualServers[0].realServers[0].checkers[0].timing.retry).toBe(3);
    expect(h.only('deprecated-keyword')[0].message).toBe("nb_get_retry is deprecated - please use 'retry'");
    const t = build(vs(`${base}${rs('TCP_CHECK {\n nb_get_retry 3\n}')}`));
    expect(t.only('unknown-keyword')[0].hint).toContain("did you mean 'retry'?");
  });
  it('HTTP_GET url: path, digest, status_code ranges (strtoul: a leading +), default 200-299', () => {
    const b = build(
      vs(`${base}${rs('SSL_GET {\n url {\n  path /a\n  status_code 200 +301-302\n }\n url {\n  path /b\n }\n url {\n  path /c\n  digest 9B3A0C85A887A256D6939DA88AABD8CD\n }\n}')}`),
    );
    const c = b.model.virtualServers[0].realServers[0].checkers[0] as HttpCheck;
    expect(c.kind).toBe('SSL_GET');
    expect(c.url.map((u) => [u.path, u.statusCode, u.digest])).toEqual([
      ['/a', [[200, 200], [301, 302]], undefined],
      ['/b', [[200, 299]], undefined],
      // keepalived's default applies with a digest too (check_http.c url_check).
      ['/c', [[200, 299]], '9b3a0c85a887a256d6939da88aabd8cd'],
    ]);
  });
  it('MISC_CHECK: misc_path script, misc_timeout defaults to delay_loop, dynamic; missing path drops it', () => {
    const b = build(vs(`${base}delay_loop 7\n${rs('MISC_CHECK {\n misc_path "/usr/bin/check -p 80"\n misc_dynamic\n user nobody\n}\nMISC_CHECK {\n}')}`));
    const checkers = b.model.virtualServers[0].realServers[0].checkers as MiscCheck[];
    expect(checkers).toHaveLength(1);
    expect(checkers[0]).toMatchObject({ miscTimeout: 7000, miscDynamic: true, user: { user: 'nobody' } });
    expect(checkers[0].miscPath?.argv).toEqual(['/usr/bin/check', '-p', '80']);
    expect(b.codes()).toEqual(['missing-script']);
  });
  it('SMTP_CHECK: helo_name default and legacy host {} blocks', () => {
    const b = build(vs(`${base}${rs('SMTP_CHECK {\n host {\n  connect_ip 10.0.0.9\n  connect_port 25\n }\n}')}`));
    const c = b.model.virtualServers[0].realServers[0].checkers[0] as SmtpCheck;
    expect(c.heloName).toBe('smtpchecker.keepalived.org');
    expect(c.host[0]).toMatchObject({ connectIp: { text: '10.0.0.9' }, connectPort: 25 });
    expect(b.diags).toEqual([]);
  });
  it('checker keywords are per type: misc_path in TCP_CHECK is unknown with a hint from TCP_CHECK', () => {
    const b = build(vs(`${base}${rs('TCP_CHECK {\n misc_path /x\n conect_port 80\n}')}`));
    expect(b.only('unknown-keyword').map((d) => [d.text, d.hint])).toEqual([
      ['misc_path', undefined],
      ['conect_port', "did you mean 'connect_port'?"],
    ]);
  });
});

describe('global_defs', () => {
  it('defaults and values', () => {
    const b = build('global_defs {\n router_id LVS_1\n notification_email {\n  a@b\n  c@d\n }\n smtp_server 10.0.0.5 2525\n vrrp_mcast_group4 224.0.0.19\n enable_script_security\n}\n');
    expect(b.model.globalDefs).toMatchObject({
      routerId: 'LVS_1',
      notificationEmail: ['a@b', 'c@d'],
      smtpServer: { host: '10.0.0.5', port: 2525 },
      smtpConnectTimeout: 30,
      vrrpMcastGroup4: '224.0.0.19',
      vrrpMcastGroup6: 'ff02::12',
      enableScriptSecurity: true,
      vrrpGarpMasterRepeat: 5,
    });
    expect(b.diags).toEqual([]);
  });
  it('aliases: lvs_flush_onstop (silent), vrrp_vmac_garp_intvl (deprecated); invalid multicast group', () => {
    const b = build('global_defs {\n lvs_flush_onstop\n vrrp_vmac_garp_intvl 5\n vrrp_mcast_group4 10.0.0.1\n smtp_connect_timeout abc\n}\n');
    expect(b.model.globalDefs).toMatchObject({ lvsFlushOnStop: 'all', vrrpGarpExtraIf: { all: false, interval: 5000 } });
    expect(b.codes()).toEqual(['deprecated-keyword', 'invalid-address', 'invalid-number']);
  });
  it('recognised-but-unused keywords are stored verbatim', () => {
    const b = build('global_defs {\n vrrp_rt_priority 50\n enable_snmp_vrrp\n}\n');
    expect(b.model.globalDefs.other).toEqual({ vrrp_rt_priority: [['50']], enable_snmp_vrrp: [[]] });
  });
  it('notificationd: unknown, did-you-mean notification_email', () => {
    expect(build('global_defs {\n notificationd x\n}\n').only('unknown-keyword')[0].hint).toBe("did you mean 'notification_email'?");
  });
});
