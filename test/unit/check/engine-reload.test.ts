// The checker engine's reload in virtual time (engine.ts reload, checker-reload.ts): which real
// servers are probed when, their health, and the notifies and FIFO lines, against keepalived
// 2.2.7's rules (ipwrapper.c clear_diff_rs, migrate_checkers, check_new_rs_state, clear_service_rs)
// and our one difference (an identical checker keeps its timer: ADR 0020).
import { describe, expect, it } from 'vitest';
import { HealthEngine } from '../../../src/check/engine.js';
import type { CheckPlan, RealServerPlan, TcpCheckerPlan } from '../../../src/check/plan.js';
import type { Prober } from '../../../src/check/probes.js';
import type { ProbeResult } from '../../../src/check/checker-state.js';
import { VirtualTime } from '../../../src/lib/virtual-time.js';
import { ms } from '../../../src/lib/units.js';
import type { ProcessRunner } from '../../../src/notify/process-runner.js';

const VS = { kind: 'addr', ip: '192.0.2.1', protocol: 'tcp', port: 80 } as const;

interface RsOpts {
  port?: number;
  delayLoop?: number;
  alpha?: boolean;
  retry?: number;
}

/** A real server 192.0.2.<n>:80 with one TCP_CHECK (connect_port `port`, default 80). */
function rs(n: number, o: RsOpts = {}): RealServerPlan {
  const rsText = `[192.0.2.${n}]:tcp:80`;
  const check: TcpCheckerPlan = {
    kind: 'TCP_CHECK',
    id: `rs${n}/0`,
    params: {
      kind: 'TCP_CHECK',
      rsText,
      vsText: '[192.0.2.1]:tcp:80',
      retry: o.retry ?? 0,
      delayLoop: ms(o.delayLoop ?? 10_000),
      delayBeforeRetry: ms(1000),
      warmup: ms(0),
      alpha: o.alpha ?? false,
      logAllFailures: false,
    },
    host: `192.0.2.${n}`,
    family: 4,
    port: o.port ?? 80,
    connectTimeoutMs: ms(3000),
  };
  return {
    key: `rs${n}`,
    rs: { kind: 'addr', ip: `192.0.2.${n}`, protocol: 'tcp', port: 80 },
    vs: VS,
    weight: 1,
    notifyUp: { argv: ['/bin/up', `rs${n}`] },
    notifyDown: { argv: ['/bin/down', `rs${n}`] },
    checkers: [check],
    notRun: 0,
  };
}

/**
 * An engine in virtual time whose probes answer after 10 ms with what `answer` says for the
 * target (host:port). Records every probe (`t host:port`), script and FIFO line.
 */
function harness(plan: CheckPlan, answer: (target: string) => ProbeResult) {
  const vt = new VirtualTime();
  const probes: string[] = [];
  const events: string[] = [];
  const prober: Prober = {
    start: (p, done) => {
      const target = p.kind === 'TCP_CHECK' ? `${p.host}:${p.port}` : p.id;
      probes.push(`${vt.now()} ${target}`);
      const id = vt.schedule(10, () => done(answer(target)));
      return {
        cancel: () => {
          vt.cancel(id);
          return Promise.resolve();
        },
      };
    },
  };
  const runner: ProcessRunner = {
    start: (spec) => {
      events.push(`${vt.now()} exec ${spec.argv.join(' ')}`);
      return { pid: 1, result: Promise.resolve({ kind: 'exited', code: 0 }), running: false, terminate: () => undefined };
    },
  };
  const engine = new HealthEngine({ plan, prober, timers: vt, runner, onFifoLine: (l) => events.push(`${vt.now()} fifo ${l.trim()}`), random: () => 0 });
  const changes: string[] = [];
  engine.onChange((h) => changes.push(`${vt.now()} ${h.key} ${h.up ? 'up' : 'down'}`));
  const probesOf = (target: string) => probes.filter((p) => p.endsWith(` ${target}`)).map((p) => Number(p.split(' ')[0]));
  const up = (key: string) => engine.current().get(key)?.up;
  return { vt, engine, probes, probesOf, events, changes, up };
}

const OK: ProbeResult = { kind: 'connected' };
const REFUSED: ProbeResult = { kind: 'connectFailed', detail: 'ECONNREFUSED' };

describe('HealthEngine.reload', () => {
  it('an unchanged real server keeps its state and timers; an added one is probed from 1 s after the reload; a removed one is no longer probed', async () => {
    const h = harness({ realServers: [rs(10), rs(11)] }, (t) => (t.startsWith('192.0.2.11') ? REFUSED : OK));
    await h.engine.start();
    h.vt.advance(5000);
    // rs11 failed its first check (retry 0): down with its notify_down.
    expect([h.up('rs10'), h.up('rs11')]).toEqual([true, false]);
    expect(h.events).toEqual(['1010 exec /bin/down rs11', '1010 fifo RS [192.0.2.11]:tcp:80 [192.0.2.1]:tcp:80 DOWN']);
    const report = await h.engine.reload({ realServers: [rs(10), rs(12)] });
    expect(report).toEqual({ added: 1, removed: 1, restarted: 0, unchanged: 1 });
    h.vt.advance(30_000);
    // rs10 goes on at 1 s + 10 s steps from its start (no probe at the reload, none moved).
    expect(h.probesOf('192.0.2.10:80')).toEqual([1000, 11_010, 21_020, 31_030]);
    expect(h.probesOf('192.0.2.11:80')).toEqual([1000]);
    expect(h.probesOf('192.0.2.12:80')).toEqual([6000, 16_010, 26_020]);
    // rs11 was down when removed: no notify_down again; rs12 came up without notifies (no
    // rs_init_notifies); rs10 had none.
    expect(h.events).toEqual(['1010 exec /bin/down rs11', '1010 fifo RS [192.0.2.11]:tcp:80 [192.0.2.1]:tcp:80 DOWN']);
    expect([...h.engine.current().keys()]).toEqual(['rs10', 'rs12']);
    expect(h.changes).toEqual(['1010 rs11 down']);
    await h.engine.stop();
  });

  it('a removed real server that was up gets its notify_down and FIFO DOWN line (clear_service_rs); its probe in flight is cancelled', async () => {
    const h = harness({ realServers: [rs(10), rs(11)] }, () => OK);
    await h.engine.start();
    h.vt.advance(11_015); // both second probes are in flight (started at 11,010)
    await h.engine.reload({ realServers: [rs(10)] });
    expect(h.events).toEqual(['11015 exec /bin/down rs11', '11015 fifo RS [192.0.2.11]:tcp:80 [192.0.2.1]:tcp:80 DOWN']);
    h.vt.advance(20_000);
    expect(h.probesOf('192.0.2.11:80')).toEqual([1000, 11_010]);
    expect(h.probesOf('192.0.2.10:80')).toEqual([1000, 11_010, 21_020]);
    await h.engine.stop();
  });

  it('a changed target restarts the checker 1 s after the reload; a down server whose only checker changed comes up with its notify_up (migrate_checkers)', async () => {
    const h = harness({ realServers: [rs(10), rs(11)] }, (t) => (t === '192.0.2.11:80' ? REFUSED : OK));
    await h.engine.start();
    h.vt.advance(3000);
    expect(h.up('rs11')).toBe(false);
    h.events.length = 0;
    const report = await h.engine.reload({ realServers: [rs(10, { port: 8080 }), rs(11, { port: 8081 })] });
    expect(report).toEqual({ added: 0, removed: 0, restarted: 2, unchanged: 0 });
    // rs10 was up and stays up silently; rs11 had only failed checkers, replaced: up, notified.
    expect(h.events).toEqual(['3000 exec /bin/up rs11', '3000 fifo RS [192.0.2.11]:tcp:80 [192.0.2.1]:tcp:80 UP']);
    expect([h.up('rs10'), h.up('rs11')]).toEqual([true, true]);
    h.vt.advance(10_000);
    expect(h.probesOf('192.0.2.10:80')).toEqual([1000]);
    expect(h.probesOf('192.0.2.10:8080')).toEqual([4000]);
    expect(h.probesOf('192.0.2.11:8081')).toEqual([4000]);
    await h.engine.stop();
  });

  it('new timing on the same target: state migrated (down stays down, no notify), timer restarted with the new delay_loop', async () => {
    const h = harness({ realServers: [rs(11)] }, () => REFUSED);
    await h.engine.start();
    h.vt.advance(3000);
    expect(h.events.length).toBe(2); // its notify_down and FIFO line
    await h.engine.reload({ realServers: [rs(11, { delayLoop: 4000 })] });
    h.vt.advance(10_000);
    expect(h.up('rs11')).toBe(false);
    expect(h.events.length).toBe(2);
    expect(h.probesOf('192.0.2.11:80')).toEqual([1000, 4000, 8010, 12_020]);
    await h.engine.stop();
  });

  it('added real servers: an alpha one starts down and comes up on its first success; a failing one starts up and needs retry + 1 failures (its counter starts at 0 on a reload)', async () => {
    const h = harness({ realServers: [rs(10)] }, (t) => (t === '192.0.2.13:80' ? REFUSED : OK));
    await h.engine.start();
    h.vt.advance(2000);
    await h.engine.reload({ realServers: [rs(10), rs(12, { alpha: true }), rs(13, { retry: 1 })] });
    expect([h.up('rs12'), h.up('rs13')]).toEqual([false, true]);
    h.vt.advance(5000);
    expect(h.probesOf('192.0.2.13:80')).toEqual([3000, 4010]);
    expect(h.changes).toEqual(['3010 rs12 up', '4020 rs13 down']);
    expect(h.events).toEqual([
      '3010 exec /bin/up rs12',
      '3010 fifo RS [192.0.2.12]:tcp:80 [192.0.2.1]:tcp:80 UP',
      '4020 exec /bin/down rs13',
      '4020 fifo RS [192.0.2.13]:tcp:80 [192.0.2.1]:tcp:80 DOWN',
    ]);
    await h.engine.stop();
  });

  it('a reload before start only swaps the plan; start then runs the new one', async () => {
    const h = harness({ realServers: [rs(10)] }, () => OK);
    await h.engine.reload({ realServers: [rs(11)] });
    await h.engine.start();
    h.vt.advance(1500);
    expect(h.probes).toEqual(['1000 192.0.2.11:80']);
    await h.engine.stop();
  });
});
