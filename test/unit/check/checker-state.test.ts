// The checker state machine and the engine's scheduling, as data in virtual time: each case is
// a real server's checkers, the results their probes give (and how long each takes), and the
// lines keepalived 2.2.7 would produce, with the virtual time they appear at. The expected lines
// and times follow keepalived's check_tcp.c (tcp_epilog), check_misc.c
// (misc_check_child_thread), check_api.c (register_checkers_thread) and ipwrapper.c
// (update_svr_checker_state, do_rs_notifies, notify_fifo_rs).
import { describe, expect, it } from 'vitest';
import { HealthEngine } from '../../../src/check/engine.js';
import { firstDeadline, initialState, onProbeResult, type CheckerParams, type ProbeResult } from '../../../src/check/checker-state.js';
import type { CheckerPlan, CheckPlan, RealServerPlan } from '../../../src/check/plan.js';
import type { Prober } from '../../../src/check/probes.js';
import type { RealServerHealth } from '../../../src/check/health.js';
import { VirtualTime } from '../../../src/lib/virtual-time.js';
import { ms } from '../../../src/lib/units.js';
import type { ProcessResult, ProcessRunner, RunSpec } from '../../../src/notify/process-runner.js';

const RS = { kind: 'addr', ip: '192.0.2.10', protocol: 'tcp', port: 80 } as const;
const VS = { kind: 'addr', ip: '192.0.2.1', protocol: 'tcp', port: 80 } as const;
const RS_T = '[192.0.2.10]:tcp:80';
const VS_T = '[192.0.2.1]:tcp:80';

type Step = [took: number, r: ProbeResult];
const OK: ProbeResult = { kind: 'connected' };
const REFUSED: ProbeResult = { kind: 'connectFailed', detail: 'ECONNREFUSED' };
const TIMEOUT: ProbeResult = { kind: 'timeout' };
const exit = (code: number): ProbeResult => ({ kind: 'exited', code });

interface CheckerCase {
  kind: 'TCP_CHECK' | 'MISC_CHECK';
  retry?: number;
  delayLoop?: number;
  delayBeforeRetry?: number;
  warmup?: number;
  alpha?: boolean;
  logAllFailures?: boolean;
  dynamic?: boolean;
  steps: Step[];
}

interface Case {
  name: string;
  checkers: CheckerCase[];
  weight?: number;
  rsInitNotifies?: boolean;
  omega?: boolean;
  until: number;
  expected: string[];
}

function params(c: CheckerCase): CheckerParams {
  return {
    kind: c.kind,
    rsText: RS_T,
    vsText: VS_T,
    retry: c.retry ?? (c.kind === 'MISC_CHECK' ? 0 : 1),
    delayLoop: ms(c.delayLoop ?? 10_000),
    delayBeforeRetry: ms(c.delayBeforeRetry ?? 2000),
    warmup: ms(c.warmup ?? 0),
    alpha: c.alpha ?? false,
    logAllFailures: c.logAllFailures ?? false,
    ...(c.kind === 'MISC_CHECK' ? { script: '/bin/chk', dynamic: c.dynamic ?? false } : {}),
  };
}

function planOf(cs: Case): { plan: CheckPlan; steps: Map<string, Step[]> } {
  const steps = new Map<string, Step[]>();
  const checkers: CheckerPlan[] = cs.checkers.map((c, i) => {
    const id = `c${i}`;
    steps.set(id, [...c.steps]);
    return c.kind === 'TCP_CHECK'
      ? { kind: 'TCP_CHECK', id, params: params(c), host: '192.0.2.10', family: 4, port: 80, connectTimeoutMs: ms(5000) }
      : { kind: 'MISC_CHECK', id, params: params(c), script: { argv: ['/bin/chk'] }, timeoutMs: ms(10_000) };
  });
  const rs: RealServerPlan = {
    key: 'tcp|192.0.2.1|80#192.0.2.10|80',
    rs: RS,
    vs: VS,
    weight: cs.weight ?? 1,
    notifyUp: { argv: ['/bin/up.sh', 'rs10'] },
    notifyDown: { argv: ['/bin/down.sh', 'rs10'] },
    checkers,
    notRun: 0,
    ...(cs.omega ? { omega: true } : {}),
  };
  return { plan: { realServers: [rs], ...(cs.rsInitNotifies ? { rsInitNotifies: true } : {}) }, steps };
}

/** Runs one case in virtual time; events as `t=MS kind text`. */
function run(cs: Case): { events: string[]; health: RealServerHealth[] } {
  const vt = new VirtualTime();
  const events: string[] = [];
  const at = () => `t=${vt.now()}`;
  const { plan, steps } = planOf(cs);
  const prober: Prober = {
    start: (p, done) => {
      const next = steps.get(p.id)!.shift();
      if (!next) return { cancel: () => Promise.resolve() }; // no more results: the probe never answers
      const id = vt.schedule(next[0], () => done(next[1]));
      return {
        cancel: () => {
          vt.cancel(id);
          return Promise.resolve();
        },
      };
    },
  };
  const runner: ProcessRunner = {
    start: (spec: RunSpec) => {
      events.push(`${at()} exec ${spec.argv.join(' ')}`);
      const result: Promise<ProcessResult> = Promise.resolve({ kind: 'exited', code: 0 });
      return { pid: 1, result, running: false, terminate: () => undefined };
    },
  };
  const line = (msg: unknown) => events.push(`${at()} log ${String(msg)}`);
  const engine = new HealthEngine({
    plan,
    prober,
    timers: vt,
    runner,
    log: { info: line, warn: line, error: line },
    onFifoLine: (l) => events.push(`${at()} fifo ${JSON.stringify(l)}`),
    random: () => 0.5,
  });
  const health: RealServerHealth[] = [];
  engine.onChange((h) => health.push(h));
  void engine.start();
  vt.advance(cs.until);
  events.push(`t=${vt.now()} stop`);
  void engine.stop();
  return { events, health };
}

const up = `"RS ${RS_T} ${VS_T} UP\\n"`;
const down = `"RS ${RS_T} ${VS_T} DOWN\\n"`;
const ACTIVATING = `t=0 log Activating healthchecker for service ${RS_T} for VS ${VS_T}`;
/** The notify_up script run and the FIFO line at `t` ms. */
const notifiedUp = (t: number): string[] => [`t=${t} exec /bin/up.sh rs10`, `t=${t} fifo ${up}`];
/** The notify_down script run and the FIFO line at `t` ms. */
const notifiedDown = (t: number): string[] => [`t=${t} exec /bin/down.sh rs10`, `t=${t} fifo ${down}`];

const CASES: Case[] = [
  {
    name: 'TCP: first success is logged without notifies; retry 1 = down on the second failure in a row, after delay_before_retry; one success brings it back',
    checkers: [{ kind: 'TCP_CHECK', steps: [[5, OK], [5, REFUSED], [5, REFUSED], [5, OK]] }],
    until: 30_000,
    expected: [
      ACTIVATING,
      `t=1005 log TCP connection to ${RS_T} success.`,
      `t=13015 log TCP_CHECK on service ${RS_T} failed after 1 retries.`,
      ...notifiedDown(13015),
      `t=23020 log TCP connection to ${RS_T} success.`,
      ...notifiedUp(23020),
    ],
  },
  {
    name: 'TCP: the first failure of a non-alpha checker marks it down at once (retry_it starts at retry)',
    checkers: [{ kind: 'TCP_CHECK', retry: 3, steps: [[5000, TIMEOUT]] }],
    until: 7000,
    expected: [
      ACTIVATING,
      `t=6000 log TCP_CHECK on service ${RS_T} failed.`,
      ...notifiedDown(6000),
    ],
  },
  {
    name: 'TCP alpha: starts down; a first failure still sends notify_down; the first success brings it up',
    checkers: [{ kind: 'TCP_CHECK', alpha: true, steps: [[1, REFUSED], [1, OK]] }],
    until: 12_000,
    expected: [
      ACTIVATING,
      `t=1001 log TCP_CHECK on service ${RS_T} failed.`,
      ...notifiedDown(1001),
      `t=11002 log TCP connection to ${RS_T} success.`,
      ...notifiedUp(11002),
    ],
  },
  {
    name: 'TCP log_all_failures: each failure while up is logged with its kind',
    checkers: [{ kind: 'TCP_CHECK', logAllFailures: true, steps: [[1, OK], [1, REFUSED], [5000, TIMEOUT]] }],
    until: 20_000,
    expected: [
      ACTIVATING,
      `t=1001 log TCP connection to ${RS_T} success.`,
      `t=11002 log TCP connection to ${RS_T} failed.`,
      `t=18002 log TCP connection to ${RS_T} timeout.`,
      `t=18002 log TCP_CHECK on service ${RS_T} failed after 1 retries.`,
      ...notifiedDown(18002),
    ],
  },
  {
    name: 'warmup: the first probe is 1 s plus warmup times the random draw',
    checkers: [{ kind: 'TCP_CHECK', warmup: 10_000, steps: [[0, OK]] }],
    until: 7000,
    expected: [ACTIVATING, `t=6000 log TCP connection to ${RS_T} success.`],
  },
  {
    name: 'MISC retry 2: retries are silent, timed from the start of the run; down after the last with keepalived\'s wording',
    checkers: [{ kind: 'MISC_CHECK', retry: 2, steps: [[300, exit(0)], [300, exit(1)], [300, exit(1)], [300, exit(1)]] }],
    until: 20_000,
    expected: [
      ACTIVATING,
      `t=1300 log Misc check for [${RS_T} VS ${VS_T}] by [/bin/chk] succeeded.`,
      // runs at 11000 (fail, retry 1), 13000 (fail, retry 2), 15000 (fail: down)
      `t=15300 log Misc check for [${RS_T} VS ${VS_T}] by [/bin/chk] failed after 2 retries (exited with status 1).`,
      ...notifiedDown(15300),
    ],
  },
  {
    name: 'MISC log_all_failures: every failure is logged with keepalived\'s retry wording',
    checkers: [{ kind: 'MISC_CHECK', retry: 2, logAllFailures: true, steps: [[0, exit(0)], [0, exit(3)], [0, { kind: 'signaled', signal: 9 }], [0, exit(1)]] }],
    until: 16_000,
    expected: [
      ACTIVATING,
      `t=1000 log Misc check for [${RS_T} VS ${VS_T}] by [/bin/chk] succeeded.`,
      `t=11000 log Misc check for [${RS_T} VS ${VS_T}] by [/bin/chk] failed, will do 2 retries (exited with status 3).`,
      `t=13000 log Misc check for [${RS_T} VS ${VS_T}] by [/bin/chk] failed on retry 1/2 (due to signal 9).`,
      `t=15000 log Misc check for [${RS_T} VS ${VS_T}] by [/bin/chk] failed after 2 retries (exited with status 1).`,
      ...notifiedDown(15000),
    ],
  },
  {
    name: 'MISC misc_dynamic: exit 2..255 is up with weight code-2; exit 0 restores the weight; a failure with retry 0 is down at once',
    weight: 3,
    checkers: [{ kind: 'MISC_CHECK', dynamic: true, steps: [[0, exit(12)], [0, exit(0)], [0, exit(1)], [9000, TIMEOUT], [0, exit(2)]] }],
    until: 42_000,
    expected: [
      ACTIVATING,
      `t=1000 log Misc check for [${RS_T} VS ${VS_T}] by [/bin/chk] succeeded.`,
      `t=1000 log Changing weight from 3 to 10 for active service ${RS_T} of VS ${VS_T}`,
      `t=11000 log Changing weight from 10 to 3 for active service ${RS_T} of VS ${VS_T}`,
      `t=21000 log Misc check for [${RS_T} VS ${VS_T}] by [/bin/chk] failed with retry disabled (exited with status 1).`,
      ...notifiedDown(21000),
      // down: a timeout is not reported again; the run after it (at 31000 + 10000) succeeds with weight 0
      `t=41000 log Misc check for [${RS_T} VS ${VS_T}] by [/bin/chk] succeeded.`,
      `t=41000 log Changing weight from 3 to 0 for inactive service ${RS_T} of VS ${VS_T}`,
      ...notifiedUp(41000),
    ],
  },
  {
    name: 'MISC without misc_dynamic: exit 2 is a failure; a timeout is "timed out"',
    checkers: [{ kind: 'MISC_CHECK', retry: 1, logAllFailures: true, steps: [[0, exit(2)], [10_000, TIMEOUT]] }],
    until: 14_000,
    expected: [
      ACTIVATING,
      `t=1000 log Misc check for [${RS_T} VS ${VS_T}] by [/bin/chk] failed after 1 retry (exited with status 2).`,
      ...notifiedDown(1000),
    ],
  },
  {
    name: 'two checkers: the real server is down while any checker is down, notified once each way',
    checkers: [
      { kind: 'TCP_CHECK', retry: 0, steps: [[0, OK], [0, REFUSED], [0, OK]] },
      { kind: 'MISC_CHECK', steps: [[0, exit(0)], [0, exit(1)], [0, exit(1)], [0, exit(0)]] },
    ],
    until: 32_000,
    expected: [
      ACTIVATING,
      ACTIVATING,
      `t=1000 log TCP connection to ${RS_T} success.`,
      `t=1000 log Misc check for [${RS_T} VS ${VS_T}] by [/bin/chk] succeeded.`,
      `t=11000 log TCP_CHECK on service ${RS_T} failed.`,
      ...notifiedDown(11000),
      `t=11000 log Misc check for [${RS_T} VS ${VS_T}] by [/bin/chk] failed with retry disabled (exited with status 1).`,
      `t=21000 log TCP connection to ${RS_T} success.`,
      `t=31000 log Misc check for [${RS_T} VS ${VS_T}] by [/bin/chk] succeeded.`,
      ...notifiedUp(31000),
    ],
  },
  {
    name: 'rs_init_notifies: a server that starts alive is notified at start; omega: an alive server is notified down at shutdown',
    rsInitNotifies: true,
    omega: true,
    checkers: [{ kind: 'TCP_CHECK', steps: [[1, OK]] }],
    until: 2000,
    expected: [
      ...notifiedUp(0),
      ACTIVATING,
      `t=1001 log TCP connection to ${RS_T} success.`,
      't=2000 stop',
      ...notifiedDown(2000),
    ],
  },
];

describe('checker state machine and engine in virtual time (keepalived 2.2.7 semantics)', () => {
  for (const cs of CASES) {
    it(cs.name, () => {
      expect(run(cs).events).toEqual([...cs.expected, ...(cs.omega ? [] : [`t=${cs.until} stop`])]);
    });
  }

  it('health reports follow each change of up/down and weight', () => {
    const { health } = run(CASES[7]!);
    expect(health.map((h) => [h.up, h.weight, h.checkersUp, h.checkers, h.lastResult])).toEqual([
      [true, 10, 1, 1, 'exit 12'],
      [true, undefined, 1, 1, 'exit 0'],
      [false, undefined, 0, 1, 'exit 1'],
      [true, 0, 1, 1, 'exit 2'],
    ]);
  });

  it('bounded concurrency: with room for 2 scripts, 5 due at once run 2 at a time', () => {
    const vt = new VirtualTime();
    let inFlight = 0;
    let peak = 0;
    const realServers: RealServerPlan[] = [0, 1, 2, 3, 4].map((i) => ({
      key: `k${i}`,
      rs: { ...RS, port: 80 + i },
      vs: VS,
      weight: 1,
      notRun: 0,
      checkers: [{ kind: 'MISC_CHECK', id: `m${i}`, params: params({ kind: 'MISC_CHECK', steps: [] }), script: { argv: ['/bin/chk'] }, timeoutMs: ms(10_000) }],
    }));
    const starts: number[] = [];
    const prober: Prober = {
      start: (_p, done) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        starts.push(vt.now());
        vt.schedule(100, () => {
          inFlight--;
          done(exit(0));
        });
        return { cancel: () => Promise.resolve() };
      },
    };
    const runner: ProcessRunner = { start: () => ({ pid: 1, result: Promise.resolve({ kind: 'exited', code: 0 }), running: false, terminate: () => undefined }) };
    const engine = new HealthEngine({ plan: { realServers }, prober, timers: vt, runner, maxScripts: 2, random: () => 0 });
    void engine.start();
    vt.advance(1500);
    expect(peak).toBe(2);
    expect(starts).toEqual([1000, 1000, 1100, 1100, 1200]);
    void engine.stop();
  });

  it('the pure step: alpha starts down with the retry counter at retry; warmup spread is bounded', () => {
    const p = params({ kind: 'TCP_CHECK', alpha: true, retry: 2, warmup: 4000, steps: [] });
    expect(initialState(p)).toEqual({ up: false, hasRun: false, retryIt: 2, lastExitCode: 0, dynamicWeight: undefined });
    expect(firstDeadline(p, ms(100), 0)).toBe(1100);
    expect(firstDeadline(p, ms(100), 0.999999)).toBe(5099);
    const bind = onProbeResult(p, initialState(p), { kind: 'bindFailed', detail: 'EADDRNOTAVAIL' }, ms(0), ms(5));
    expect(bind).toEqual({ state: initialState(p), next: 10_005, logs: ['TCP socket bind failed. Rescheduling.'] });
  });
});
