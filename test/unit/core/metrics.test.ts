// The Prometheus text rendering from a status document (every family typed and helped, label
// values escaped, values as given), the --metrics address forms, and the endpoint on loopback.
import { describe, expect, it } from 'vitest';
import { renderMetrics } from '../../../src/core/metrics.js';
import { MetricsServer, parseListenAddress } from '../../../src/core/metrics-server.js';
import { statusDocument, type StatusDocument } from '../../../src/core/control-status.js';
import { memoryLogger } from '../../../src/lib/log.js';
import { expectSamples, promSamples } from '../../helpers/prometheus.js';

const doc: StatusDocument = {
  schema: 1,
  daemon: { pid: 1, version: '0.1.0', compatVersion: '2.2.7', configFile: '/k.conf', configId: 'a', startedAt: '2026-12-06T00:00:00.000Z', uptimeSeconds: 12 },
  vrrp: {
    instances: [
      {
        name: 'VI_1',
        state: 'BACKUP',
        interface: 'eth0',
        vrid: 51,
        version: 2,
        family: 'inet',
        priority: { base: 150, effective: 90, faults: [], trackers: [{ type: 'script', name: 'chk "x"', weight: -60, reverse: false, status: 'failed', effect: -60 }] },
        master: '192.0.2.12',
        vips: [{ address: '192.0.2.100/24', installed: false }],
        lastTransition: { at: '2026-12-06T00:00:10.000Z', from: 'MASTER', to: 'BACKUP', reason: 'higher-priority-advert' },
        transitions: { BACKUP: 2, MASTER: 1 },
        counters: { advertsSent: 7, advertsReceived: 30, becameMaster: 1, releasedMaster: 1, priorityZeroSent: 0, priorityZeroReceived: 0 },
        drops: { ttl: 3 },
      },
    ],
  },
  ipvs: {
    state: 'active',
    error: null,
    virtualServers: [
      {
        name: '[192.0.2.100]:tcp:80',
        quorumUp: true,
        inTable: true,
        sorryServer: null,
        realServers: [{ name: '[198.51.100.1]:tcp:80', up: false, weight: 0, pool: 'live', checkersUp: 0, checkers: 1, lastResult: 'connect refused', lastLatencyMs: 2.5 }],
      },
    ],
    stats: null,
  },
};

describe('renderMetrics', () => {
  it('renders each family with HELP and TYPE and the document\'s values', () => {
    const text = renderMetrics({ status: doc, reloads: { rejected: 2 }, loopLag: { p50: 0.001, p99: 0.004, max: 0.02 } });
    const s = promSamples(text);
    expectSamples(s, {
      'keepalived_ts_vrrp_state{instance="VI_1",state="BACKUP"}': 1,
      'keepalived_ts_vrrp_state{instance="VI_1",state="MASTER"}': 0,
      'keepalived_ts_vrrp_priority_effective{instance="VI_1"}': 90,
      'keepalived_ts_vrrp_tracker_effect{instance="VI_1",type="script",tracker="chk \\"x\\""}': -60,
      'keepalived_ts_vrrp_transitions_total{instance="VI_1",to="BACKUP"}': 2,
      'keepalived_ts_vrrp_adverts_received_total{instance="VI_1"}': 30,
      'keepalived_ts_vrrp_drops_total{instance="VI_1",reason="ttl"}': 3,
      'keepalived_ts_real_server_up{virtual_server="[192.0.2.100]:tcp:80",real_server="[198.51.100.1]:tcp:80"}': 0,
      'keepalived_ts_check_latency_seconds{virtual_server="[192.0.2.100]:tcp:80",real_server="[198.51.100.1]:tcp:80"}': 0.0025,
      'keepalived_ts_check_last_result{virtual_server="[192.0.2.100]:tcp:80",real_server="[198.51.100.1]:tcp:80",result="connect refused"}': 1,
      'keepalived_ts_reloads_total{outcome="rejected"}': 2,
      'keepalived_ts_reloads_total{outcome="applied"}': 0,
      'keepalived_ts_event_loop_lag_seconds{quantile="0.99"}': 0.004,
    });
    // Every sample's family is declared once, before it.
    const declared = new Set<string>();
    for (const line of text.split('\n')) {
      const t = /^# TYPE (\S+) (gauge|counter)$/.exec(line);
      if (t) {
        expect(declared.has(t[1])).toBe(false);
        declared.add(t[1]);
      } else if (line !== '' && !line.startsWith('#')) expect(declared.has(/^[a-z_]+/.exec(line)![0])).toBe(true);
    }
  });

  it('a daemon with neither side running renders only the daemon families', () => {
    const empty = statusDocument({ pid: 1, version: 'v', compatVersion: '2.2.7', configFile: 'f', configId: 'i', startedAt: 0, now: 5000 }, {});
    const s = promSamples(renderMetrics({ status: empty, reloads: {} }));
    expect(s.get('keepalived_ts_uptime_seconds')).toBe(5);
    expect([...s.keys()].some((k) => k.startsWith('keepalived_ts_vrrp_state'))).toBe(false);
  });
});

describe('--metrics addresses', () => {
  it('accepts ADDR:PORT forms and refuses the rest', () => {
    expect(parseListenAddress('127.0.0.1:9650')).toEqual({ host: '127.0.0.1', port: 9650 });
    expect(parseListenAddress('[::1]:9650')).toEqual({ host: '::1', port: 9650 });
    expect(parseListenAddress(':9650')).toEqual({ host: '::', port: 9650 });
    expect(parseListenAddress('localhost:80')).toEqual({ host: 'localhost', port: 80 });
    for (const bad of ['9650', '127.0.0.1', '127.0.0.1:0', '127.0.0.1:65536', '::1:9650', '1.2.3:80', 'a b:1', '']) expect(parseListenAddress(bad), bad).toBeUndefined();
  });
});

describe('MetricsServer', () => {
  it('serves /metrics on loopback, 404 elsewhere, and refuses an address in use', async () => {
    const { log } = memoryLogger('debug');
    const addr = { host: '127.0.0.1', port: 20_000 + (process.pid % 20_000) };
    const m = await MetricsServer.open(addr, () => ({ status: doc, reloads: {} }), log);
    try {
      const r = await fetch(`http://127.0.0.1:${addr.port}/metrics`);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(await r.text()).toContain('keepalived_ts_vrrp_priority_effective{instance="VI_1"} 90');
      expect((await fetch(`http://127.0.0.1:${addr.port}/`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${addr.port}/metrics`, { method: 'POST' })).status).toBe(405);
      await expect(MetricsServer.open(addr, () => ({ status: doc, reloads: {} }), log)).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      await m.close();
    }
  });
});
