// The control socket, `keepalived-ts status` / `reload` and the metrics endpoint on a real daemon
// pair in namespaces: a (priority 150, tracking a script of weight -60) and b (priority 100).
// Status must name the right state, priority and its reason, the master's address and the
// counters on both nodes; once the script fails, a's effective priority drops to 90 with the
// tracker named as the reason, b takes over, and the metrics scraped inside a's namespace say
// the same. The socket is root-only (0600), each daemon (pid file) has its own, garbage and
// floods on it are answered and bounded, and `reload` of the unchanged file answers "unchanged".
// Every wait is on an event (a log line, an address, an answer, a close) with a deadline sized for
// a loaded 2-core CI machine: a starts and is BACKUP before b starts, so the two cold starts do
// not compete and the election always begins the same way.
import { describe, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { rawExchange } from '../../helpers/unix-exchange.js';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GLOBAL_DEFS, instanceConf, nodeDir, REPO, waitLastStates, waitSoleHolder } from './daemon-lab.js';
import { netnsIt, V4_PAIR } from '../../helpers/netns-fixture.js';
import { expectSamples, promSamples } from '../../helpers/prometheus.js';
import type { StatusDocument } from '../../../src/core/control-status.js';

const VIP = '192.0.2.100';
/** The instance's own interface: a weight-0 tracker keepalived adds implicitly. */
const ETH0 = { type: 'interface', name: 'eth0', weight: 0, reverse: false, status: 'up', effect: 0 };
const CLI = join(REPO, 'src/cli/main.ts');
const METRICS = '127.0.0.1:9650';

/** Runs the real CLI (`status`, `reload`) from the test's namespace: the socket is a file, reachable from any. */
function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: REPO, env: { ...process.env, FORCE_COLOR: '0' } });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function status(pidFile: string): Promise<StatusDocument> {
  const r = await cli(['status', '--json', '-p', pidFile]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as StatusDocument;
}

/** Deadline of one raw exchange: the daemon answers in milliseconds, a loaded machine can take seconds. */
const RAW_DEADLINE_MS = 60_000;

/**
 * Sends raw bytes on a fresh connection; the answer lines once the daemon closes it, `lines`
 * answer lines have arrived, or RAW_DEADLINE_MS passes (then `closed` is false).
 */
const raw = (path: string, payload: string | Buffer, lines = Infinity) => rawExchange(path, payload, RAW_DEADLINE_MS, lines);

/** Scrapes a host's metrics from inside its namespace. */
function scrape(f: { lab: { exec(name: string, argv: string[]): string } }, host: string): Map<string, number> {
  return promSamples(f.lab.exec(host, ['curl', '-sf', `http://${METRICS}/metrics`]));
}

const labIt = netnsIt('dctl');

describe('control socket, status, reload and metrics (real daemon pair)', () => {
  labIt('status names state, priority and why, master, VIPs and counters; a failed tracker shows; metrics agree; reload answers', 300_000, async (f) => {
    const { lab } = f;
    f.hosts(V4_PAIR);
    const dirA = nodeDir('a');
    const flag = join(dirA, 'healthy');
    writeFileSync(flag, '');
    const script = `vrrp_script chk_flag {\n  script "/usr/bin/test -f ${flag}"\n  interval 1\n  weight -60\n  rise 1\n  fall 1\n}\n`;
    const confA = GLOBAL_DEFS + script + instanceConf({ priority: 150, vips: [`${VIP}/24`], extra: ['track_script {', '  chk_flag', '}'] });
    const a = await f.backup('a', confA, { dir: dirA, extraArgs: ['--metrics', METRICS] });
    const b = await f.backup('b', GLOBAL_DEFS + instanceConf({ priority: 100, vips: [`${VIP}/24`] }), { extraArgs: ['--metrics', METRICS] });
    await waitSoleHolder(lab, ['a', 'b'], 'a', VIP, 60_000);

    // Two daemons, two pid files: two sockets, each root-only, each answering for its own daemon.
    const sockA = join(a.dir, 'keepalived-ts.ctl');
    const sockB = join(b.dir, 'keepalived-ts.ctl');
    for (const s of [sockA, sockB]) {
      const st = statSync(s);
      expect(st.isSocket()).toBe(true);
      expect((st.mode & 0o777).toString(8)).toBe('600');
      expect(st.uid).toBe(0);
    }

    const sa = await status(a.pidFile);
    const sb = await status(b.pidFile);
    expect(sa.daemon.pid).toBe(Number(readFileSync(a.pidFile, 'utf8')));
    expect(sb.daemon.pid).toBe(Number(readFileSync(b.pidFile, 'utf8')));
    expect(sa.daemon.pid).not.toBe(sb.daemon.pid);
    expect(sa.schema).toBe(1);
    expect(sa.ipvs).toBeNull();

    const ia = sa.vrrp!.instances[0];
    expect(ia).toMatchObject({ name: 'VI_1', state: 'MASTER', interface: 'eth0', vrid: 51, master: '192.0.2.11' });
    expect(ia.priority).toEqual({ base: 150, effective: 150, faults: [], trackers: [ETH0, { type: 'script', name: 'chk_flag', weight: -60, reverse: false, status: 'ok', effect: 0 }] });
    expect(ia.vips).toEqual([{ address: `${VIP}/24`, installed: true }]);
    expect(ia.lastTransition).toMatchObject({ from: 'BACKUP', to: 'MASTER' });
    expect(ia.lastTransition!.reason.length).toBeGreaterThan(0);
    expect(ia.counters.advertsSent).toBeGreaterThan(0);
    expect(ia.counters.becameMaster).toBe(1);

    const ib = sb.vrrp!.instances[0];
    expect(ib).toMatchObject({ name: 'VI_1', state: 'BACKUP', master: '192.0.2.11' });
    expect(ib.priority).toEqual({ base: 100, effective: 100, faults: [], trackers: [ETH0] });
    expect(ib.vips).toEqual([{ address: `${VIP}/24`, installed: false }]);
    expect(ib.counters.advertsReceived).toBeGreaterThan(0);

    // The script fails: 150 - 60 = 90 < 100, b preempts; a's status names the tracker.
    rmSync(flag);
    await waitSoleHolder(lab, ['a', 'b'], 'b', VIP, 60_000);
    await waitLastStates(a, 'VI_1', ['MASTER', 'BACKUP'], 30_000);
    const after = (await status(a.pidFile)).vrrp!.instances[0];
    expect(after.state).toBe('BACKUP');
    expect(after.master).toBe('192.0.2.12');
    expect(after.priority).toEqual({ base: 150, effective: 90, faults: [], trackers: [ETH0, { type: 'script', name: 'chk_flag', weight: -60, reverse: false, status: 'failed', effect: -60 }] });
    expect(after.lastTransition).toMatchObject({ from: 'MASTER', to: 'BACKUP' });
    expect(after.transitions).toMatchObject({ MASTER: 1 });
    const bAfter = (await status(b.pidFile)).vrrp!.instances[0];
    expect(bAfter).toMatchObject({ state: 'MASTER', master: '192.0.2.12' });

    // The human table says the same in words.
    const table = await cli(['status', '-p', a.pidFile]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/VI_1\s+BACKUP\s+eth0\/51\s+90\s+192\.0\.2\.12/);
    expect(table.stdout).toContain('priority 90: base 150, script chk_flag failed -60');
    expect(table.stdout).toMatch(/last transition: MASTER -> BACKUP/);

    // reload of the same file: answered "unchanged", exit 0, and counted.
    const rl = await cli(['reload', '-p', a.pidFile]);
    expect(rl.code).toBe(0);
    expect(rl.stdout).toContain('reload unchanged');

    // Metrics, scraped inside a's namespace, against what happened.
    const m = scrape(f, 'a');
    expectSamples(m, {
      'keepalived_ts_vrrp_state{instance="VI_1",state="BACKUP"}': 1,
      'keepalived_ts_vrrp_state{instance="VI_1",state="MASTER"}': 0,
      'keepalived_ts_vrrp_priority_effective{instance="VI_1"}': 90,
      'keepalived_ts_vrrp_priority_base{instance="VI_1"}': 150,
      'keepalived_ts_vrrp_tracker_effect{instance="VI_1",type="script",tracker="chk_flag"}': -60,
      'keepalived_ts_vrrp_transitions_total{instance="VI_1",to="MASTER"}': 1,
      'keepalived_ts_vrrp_vip_installed{instance="VI_1",address="192.0.2.100/24"}': 0,
      'keepalived_ts_reloads_total{outcome="unchanged"}': 1,
      'keepalived_ts_reloads_total{outcome="rejected"}': 0,
      'keepalived_ts_reloads_total{outcome="applied"}': 0,
    });
    expect(m.get('keepalived_ts_vrrp_transitions_total{instance="VI_1",to="BACKUP"}')).toBeGreaterThanOrEqual(2);
    expect(m.get('keepalived_ts_vrrp_adverts_sent_total{instance="VI_1"}')).toBeGreaterThanOrEqual(ia.counters.advertsSent);
    expect(m.get('keepalived_ts_vrrp_adverts_received_total{instance="VI_1"}')).toBeGreaterThan(0);
    expect(m.get('keepalived_ts_event_loop_lag_seconds{quantile="0.99"}')).toBeGreaterThanOrEqual(0);
    expectSamples(scrape(f, 'b'), {
      'keepalived_ts_vrrp_state{instance="VI_1",state="MASTER"}': 1,
      'keepalived_ts_vrrp_vip_installed{instance="VI_1",address="192.0.2.100/24"}': 1,
      'keepalived_ts_reloads_total{outcome="rejected"}': 0,
    });
    // Only /metrics is served.
    expect(() => lab.exec('a', ['curl', '-sf', `http://${METRICS}/`])).toThrow();

    // Garbage, over-long lines and floods: answered with an error, bounded, and the daemon answers afterwards.
    const g = await raw(sockA, 'hello there\n{"cmd":"status"}\n', 2);
    expect(JSON.parse(g.lines[0])).toMatchObject({ ok: false, error: { code: 'bad-json' } });
    expect(JSON.parse(g.lines[1])).toMatchObject({ ok: true, cmd: 'status' });
    const unknown = await raw(sockA, '{"cmd":"shutdown","id":7}\n', 1);
    expect(JSON.parse(unknown.lines[0])).toMatchObject({ ok: false, id: 7, error: { code: 'unknown-command' } });
    const long = await raw(sockA, Buffer.alloc(64 * 1024, 0x41));
    expect(JSON.parse(long.lines[0])).toMatchObject({ ok: false, error: { code: 'too-long' } });
    expect(long.closed).toBe(true);
    const bad = await raw(sockA, 'x\n'.repeat(20));
    expect(bad.lines.length).toBe(8);
    expect(bad.closed).toBe(true);
    // 40 clients at once, each pipelining 50 status requests: every answer in order, or `busy`.
    const flood = await Promise.all(Array.from({ length: 40 }, () => raw(sockA, '{"cmd":"status"}\n'.repeat(50), 50)));
    const served = flood.filter((c) => c.lines.length === 50 && c.lines.every((l) => (JSON.parse(l) as { ok: boolean }).ok));
    const refused = flood.filter((c) => c.lines.length === 1 && (JSON.parse(c.lines[0]) as { error?: { code: string } }).error?.code === 'busy');
    expect(served.length + refused.length).toBe(40);
    expect(served.length).toBeGreaterThan(0);
    expect((await status(a.pidFile)).vrrp!.instances[0].state).toBe('BACKUP');
    expect(a.lines.some((l) => l.includes('control socket: refused a request'))).toBe(true);

    // The socket goes with the daemon.
    a.signal('SIGTERM');
    expect(await a.exitCode()).toBe(0);
    expect(() => statSync(sockA)).toThrow();
    const gone = await cli(['status', '-p', a.pidFile]);
    expect(gone.code).toBe(2);
    expect(gone.stderr).toContain(`cannot reach the daemon on ${sockA}`);
  });
});
