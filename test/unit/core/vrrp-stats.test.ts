// VRRP counters behind the USR2/STATS_CLEAR/JSON dumps, and the dump formats: keepalived's
// counter names and JSON fields (scripts parse them), numeric states as keepalived numbers them.
import { describe, expect, it } from 'vitest';
import { VrrpStats } from '../../../src/core/vrrp-stats.js';
import { formatData, formatJson, formatStats, type DumpContext } from '../../../src/core/state-dump.js';
import type { RuntimeInstanceSpec, InstanceStatus } from '../../../src/vrrp/runtime/vrrp-runtime.js';
import type { VrrpEvent } from '../../../src/vrrp/fsm/types.js';
import { ipOf } from '../../../src/lib/ip.js';

const advert = (priority: number) => ({ kind: 'advertReceived', advert: { priority }, meta: {} }) as unknown as VrrpEvent;

describe('VrrpStats', () => {
  it('counts received and sent adverts, priority 0 both ways, master changes and drop reasons', () => {
    let wall = 1000;
    const s = new VrrpStats(() => wall);
    s.event('VI_1', advert(100));
    s.event('VI_1', advert(0));
    s.event('VI_1', { kind: 'deadline' });
    s.action('VI_1', { kind: 'sendAdvert', priority: 150 });
    s.action('VI_1', { kind: 'sendAdvert', priority: 0 });
    s.action('VI_1', { kind: 'transition', from: 'BACKUP', to: 'MASTER', reason: 'x' });
    wall = 1005;
    s.action('VI_1', { kind: 'transition', from: 'MASTER', to: 'BACKUP', reason: 'x' });
    s.action('VI_1', { kind: 'transition', from: 'BACKUP', to: 'FAULT', reason: 'x' });
    s.action('VI_1', { kind: 'countError', reason: 'ttl', dropped: true });
    s.action('VI_1', { kind: 'countError', reason: 'auth-pass-mismatch', dropped: true });
    s.action('VI_1', { kind: 'countError', reason: 'vrid', dropped: true });
    const c = s.get('VI_1');
    expect(c).toMatchObject({ advert_rcvd: 2, pri_zero_rcvd: 1, advert_sent: 2, pri_zero_sent: 1, become_master: 1, release_master: 1, ip_ttl_err: 1, auth_failure: 1 });
    expect(c.errors).toEqual({ ttl: 1, 'auth-pass-mismatch': 1, vrid: 1 });
    expect(s.lastTransition.get('VI_1')).toBe(1005);
    expect(s.get('VI_2').advert_sent).toBe(0);
    s.clear();
    expect(s.get('VI_1').advert_sent).toBe(0);
    expect(s.lastTransition.get('VI_1')).toBe(1005); // a state, not a counter
  });
});

describe('dump formats', () => {
  const spec = {
    cfg: { name: 'VI_1', vrid: 51, version: 3, family: 'inet', priority: 150, advertInt: 100, preempt: true, vips: [ipOf('192.0.2.100')], evips: [], unicastPeers: [], trackers: [] },
    ifname: 'eth0',
    ifindex: 2,
    wire: { src: ipOf('192.0.2.11') },
    addresses: new Map([['192.0.2.100', { address: '192.0.2.100', prefixLength: 24, dev: 'eth0', ifindex: 2 }]]),
  } as unknown as RuntimeInstanceSpec;
  const status: InstanceStatus = { name: 'VI_1', state: 'MASTER', priority: 150, effectivePriority: 140, master: '192.0.2.11', vipsInstalled: ['192.0.2.100'], errors: {}, suppressed: {}, foreignAnnouncements: 0, reannouncements: 0 };
  const stats = new VrrpStats(() => 0);
  stats.action('VI_1', { kind: 'sendAdvert', priority: 140 });
  const ctx: DumpContext = { pid: 42, now: Date.UTC(2026, 0, 1), configFile: '/etc/keepalived/keepalived.conf', configId: 'h', instances: [{ spec, status, stats: stats.get('VI_1'), lastTransition: 1767225600 }] };

  it('JSON: keepalived json_version 1 layout, MASTER is state 2', () => {
    const j = JSON.parse(formatJson(ctx)) as { data: Record<string, unknown>; stats: Record<string, unknown> }[];
    expect(j[0].data).toMatchObject({ iname: 'VI_1', vrid: 51, version: 3, state: 2, base_priority: 150, effective_priority: 140, adver_int: 1, vips: ['192.0.2.100/24 set'], last_transition: 1767225600 });
    expect(j[0].stats).toMatchObject({ advert_sent: 1, advert_rcvd: 0, pri_zero_sent: 0 });
    expect(j[0].stats).not.toHaveProperty('errors');
  });

  it('stats: keepalived labels and layout', () => {
    expect(formatStats(ctx)).toMatch(/^VRRP Instance: VI_1\n {2}Advertisements:\n {4}Received: 0\n {4}Sent: 1\n {2}Became master: 0\n/);
    expect(formatStats(ctx)).not.toContain('Held back by flood limits');
    const flooded = { ...ctx, instances: [{ ...ctx.instances[0], status: { ...status, suppressed: { 'answer-suppressed': 7 } } }] };
    expect(formatStats(flooded)).toContain('  Held back by flood limits:\n    answer-suppressed: 7\n');
  });

  it('data: state, priorities, VIP with prefix and whether installed', () => {
    const d = formatData(ctx);
    expect(d).toContain('pid 42, 2026-01-01T00:00:00.000Z');
    expect(d).toMatch(/VRRP Instance = VI_1\n {3}State = MASTER/);
    expect(d).toContain('Effective priority = 140');
    expect(d).toContain('Virtual IP = 192.0.2.100/24 (installed)');
  });
});
