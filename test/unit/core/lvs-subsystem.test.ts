// The LVS subsystem in virtual time: the IPVS manager over a RecordingIpvsKernel, fed by a
// scripted HealthSource, quorum scripts through a FakeProcessRunner. Each case compares with what
// keepalived 2.2.7 does (keepalived-behaviour.md 5.2-5.6), and with ADR 0016 where we differ
// on purpose (repair of entries changed behind our back).
import { afterEach, describe, expect, it } from 'vitest';
import { createLvsSubsystem, type LvsSubsystem } from '../../../src/core/lvs-subsystem.js';
import type { IpvsEntry } from '../../../src/kernel/ipvs.js';
import { RecordingIpvsKernel } from '../../../src/kernel/recording-ipvs-kernel.js';
import { memoryLogger } from '../../../src/lib/log.js';
import { VirtualTime } from '../../../src/lib/virtual-time.js';
import { FakeProcessRunner } from '../../../src/notify/process-runner.js';
import { modelOf, ScriptedHealth } from '../ipvs/lvs-fixtures.js';

const CONF = `
virtual_server 192.0.2.1 3306 {
  lb_algo wrr
  lb_kind NAT
  protocol TCP
  quorum 2
  quorum_up "/usr/local/bin/quorum.sh up"
  quorum_down "/usr/local/bin/quorum.sh down"
  sorry_server 198.51.100.99 3306
  real_server 192.0.2.10 3306 {
    TCP_CHECK { connect_timeout 3 }
  }
  real_server 192.0.2.11 3306 {
    TCP_CHECK { connect_timeout 3 }
  }
}
`;
const VS = '[192.0.2.1]:tcp:3306';
const KEY = { kind: 'addr', family: 'inet', protocol: 'tcp', address: '192.0.2.1', port: 3306 } as const;
const RS10 = 'tcp|192.0.2.1|3306#192.0.2.10|3306';
const RS11 = 'tcp|192.0.2.1|3306#192.0.2.11|3306';

const FOREIGN: IpvsEntry = {
  service: { key: { kind: 'addr', family: 'inet', protocol: 'tcp', address: '203.0.113.5', port: 80 }, scheduler: 'rr', flags: 0, timeout: 0, netmask: '255.255.255.255' },
  dests: [{ family: 'inet', address: '203.0.113.50', port: 80, forward: 'route', weight: 1, upperThreshold: 0, lowerThreshold: 0 }],
};

interface Rig {
  sub: LvsSubsystem;
  kernel: RecordingIpvsKernel;
  health: ScriptedHealth;
  vt: VirtualTime;
  runner: FakeProcessRunner;
  records: Record<string, unknown>[];
  fifo: string[];
  msgs: () => string[];
  pass: () => Promise<void>;
}

let live: LvsSubsystem | undefined;
afterEach(async () => {
  await live?.stop('signal');
  live = undefined;
});

async function rig(opts: { conf?: string; present?: boolean; dontReleaseIpvs?: boolean; entries?: IpvsEntry[] } = {}): Promise<Rig> {
  const kernel = new RecordingIpvsKernel({ present: opts.present ?? true, entries: opts.entries ?? [] });
  const health = new ScriptedHealth();
  const vt = new VirtualTime();
  const runner = new FakeProcessRunner();
  const { log, records } = memoryLogger('info');
  const fifo: string[] = [];
  const sub = createLvsSubsystem({
    model: modelOf(opts.conf ?? CONF),
    log,
    ipvs: kernel,
    health,
    runner,
    timers: vt,
    dontReleaseIpvs: opts.dontReleaseIpvs ?? false,
    passIntervalMs: 5000,
    fifos: [{ write: (l) => fifo.push(l) }],
  });
  live = sub;
  await sub.start();
  await sub.idle();
  const pass = async () => {
    vt.advance(5000);
    await sub.idle();
  };
  return { sub, kernel, health, vt, runner, records, fifo, msgs: () => records.map((r) => String(r.msg)), pass };
}

const ours = (k: RecordingIpvsKernel) => k.snapshot().filter((e) => e.service.key.kind === 'addr' && e.service.key.address === '192.0.2.1');
const addresses = (k: RecordingIpvsKernel) => ours(k)[0]?.dests.map((d) => `${d.address}/${d.weight}`);

describe('LVS subsystem: start and health changes', () => {
  it('start sets up the service and its live real servers, nothing else', async () => {
    const r = await rig({ entries: [FOREIGN] });
    expect(r.kernel.ops.map((o) => o.op)).toEqual(['addService', 'addDest', 'addDest']);
    expect(addresses(r.kernel)).toEqual(['192.0.2.10/1', '192.0.2.11/1']);
    expect(r.health.started).toBe(1);
    expect(r.records.filter((x) => Number(x.level) >= 50)).toEqual([]);
  });

  it('a real server going down is one deleteDest, logged in keepalived words', async () => {
    const r = await rig({ conf: CONF.replace('quorum 2', 'quorum 1') });
    r.kernel.clearLog();
    r.health.set(RS10, true);
    r.health.set(RS11, false);
    await r.sub.idle();
    expect(r.kernel.ops).toEqual([{ op: 'deleteDest', key: KEY, dest: { family: 'inet', address: '192.0.2.11', port: 3306 } }]);
    expect(r.msgs()).toContain(`Removing service [192.0.2.11]:tcp:3306 from VS ${VS}`);
  });

  it('quorum lost: the sorry server replaces the pool and quorum_down runs; regained: back, quorum_up runs', async () => {
    const r = await rig();
    r.health.set(RS11, false);
    await r.sub.idle();
    expect(addresses(r.kernel)).toEqual(['198.51.100.99/1']);
    expect(r.msgs()).toContain(`Lost quorum 2-0=2 > 1 for VS ${VS}`);
    // keepalived gains the quorum at start (its state starts down): quorum_up ran then.
    expect(r.runner.argvs).toEqual([['/usr/local/bin/quorum.sh', 'up'], ['/usr/local/bin/quorum.sh', 'down']]);
    r.health.set(RS11, true);
    await r.sub.idle();
    expect(addresses(r.kernel)).toEqual(['192.0.2.10/1', '192.0.2.11/1']);
    expect(r.msgs()).toContain(`Gained quorum 2+0=2 <= 2 for VS ${VS}`);
    expect(r.runner.argvs).toEqual([['/usr/local/bin/quorum.sh', 'up'], ['/usr/local/bin/quorum.sh', 'down'], ['/usr/local/bin/quorum.sh', 'up']]);
    // notify_fifo lines as keepalived 2.2.7 writes them: no trailing NUL (test/vm/lvs-notify.test.ts).
    expect(r.fifo).toEqual([`VS ${VS} UP\n`, `VS ${VS} DOWN\n`, `VS ${VS} UP\n`]);
  });

  it('inhibit_on_failure: a dead real server stays with weight 0 (one editDest)', async () => {
    const r = await rig({ conf: CONF.replace('quorum 2', 'inhibit_on_failure') });
    r.kernel.clearLog();
    r.health.set(RS10, false);
    await r.sub.idle();
    expect(r.kernel.ops).toEqual([{ op: 'editDest', key: KEY, dest: expect.objectContaining({ address: '192.0.2.10', weight: 0 }) }]);
    expect(r.msgs()).toContain(`Disabling service [192.0.2.10]:tcp:3306 of VS ${VS}`);
  });
});

describe('LVS subsystem: passes and repair (ADR 0016)', () => {
  it('a pass over a table that matches issues no kernel operation but the dump', async () => {
    const r = await rig({ entries: [FOREIGN] });
    r.kernel.clearLog();
    await r.pass();
    await r.pass();
    expect(r.kernel.log.map((c) => c.call)).toEqual(['dump', 'dump']);
    expect(r.kernel.ops).toEqual([]);
  });

  it('an entry deleted behind our back is restored on the next pass', async () => {
    const r = await rig();
    r.kernel.external([{ op: 'deleteDest', key: KEY, dest: { family: 'inet', address: '192.0.2.10', port: 3306 } }]);
    r.kernel.external([{ op: 'editDest', key: KEY, dest: { family: 'inet', address: '192.0.2.11', port: 3306, forward: 'masq', weight: 9, upperThreshold: 0, lowerThreshold: 0 } }]);
    r.kernel.clearLog();
    await r.pass();
    expect(r.kernel.ops.map((o) => o.op).sort()).toEqual(['addDest', 'editDest']);
    expect(addresses(r.kernel)).toEqual(['192.0.2.11/1', '192.0.2.10/1']);
    expect(r.msgs().filter((m) => m.includes('outside keepalived-ts'))).toHaveLength(1);
  });

  it('a whole service deleted behind our back comes back with its dests', async () => {
    const r = await rig();
    r.kernel.external([{ op: 'deleteService', key: KEY }]);
    await r.pass();
    expect(addresses(r.kernel)).toEqual(['192.0.2.10/1', '192.0.2.11/1']);
  });

  it('a foreign service is never touched, not even at stop', async () => {
    const r = await rig({ entries: [FOREIGN] });
    r.kernel.external([{ op: 'addDest', key: FOREIGN.service.key, dest: { ...FOREIGN.dests[0], address: '203.0.113.51' } }]);
    await r.pass();
    await r.sub.stop('signal');
    live = undefined;
    expect(r.kernel.snapshot().map((e) => [e.service.key, e.dests.length])).toEqual([[FOREIGN.service.key, 2]]);
  });

  it('a refused op is logged once with its code, retried on the next pass', async () => {
    const r = await rig();
    r.kernel.failNext('deleteDest', 'ENOMEM');
    r.health.set(RS10, true);
    r.health.set(RS11, true);
    r.kernel.external([{ op: 'addDest', key: KEY, dest: { ...FOREIGN.dests[0], address: '192.0.2.77', port: 3306, forward: 'masq' } }]);
    await r.pass();
    expect(r.msgs().filter((m) => m.startsWith('IPVS cmd deleteDest'))).toEqual(['IPVS cmd deleteDest tcp|inet|192.0.2.1|3306 [192.0.2.77]:3306 error: ENOMEM (deleteDest: injected failure)']);
    await r.pass();
    expect(addresses(r.kernel)).toEqual(['192.0.2.10/1', '192.0.2.11/1']);
  });
});

describe('LVS subsystem: stop, -I, reload', () => {
  it('stop removes what we own and logs each real server', async () => {
    const r = await rig({ entries: [FOREIGN] });
    await r.sub.stop('signal');
    live = undefined;
    expect(r.kernel.snapshot()).toEqual([FOREIGN]);
    expect(r.msgs()).toEqual(expect.arrayContaining([`Shutting down service [192.0.2.10]:tcp:3306 from VS ${VS}`, `Shutting down service [192.0.2.11]:tcp:3306 from VS ${VS}`]));
    expect(r.health.stopped).toBe(1);
  });

  it('-I (--dont-release-ipvs) keeps our services at stop', async () => {
    const r = await rig({ dontReleaseIpvs: true });
    const before = r.kernel.snapshot();
    r.kernel.clearLog();
    await r.sub.stop('signal');
    live = undefined;
    expect(r.kernel.snapshot()).toEqual(before);
    expect(r.kernel.ops).toEqual([]);
  });

  it('omega: quorum_down runs at stop', async () => {
    const r = await rig({ conf: CONF.replace('quorum 2', 'quorum 2\n  omega') });
    await r.sub.stop('signal');
    live = undefined;
    expect(r.runner.argvs).toEqual([['/usr/local/bin/quorum.sh', 'up'], ['/usr/local/bin/quorum.sh', 'down']]);
    expect(r.fifo).toEqual([`VS ${VS} UP\n`, `VS ${VS} DOWN\n`]);
  });

  it('a quorum script still running at stop gets one second, then is killed', async () => {
    const r = await rig();
    r.runner.enqueue('/usr/local/bin/quorum.sh', 'pending');
    r.health.set(RS11, false);
    await r.sub.idle();
    expect(r.runner.pending).toHaveLength(1);
    let done = false;
    const stopping = r.sub.stop('signal').then(() => (done = true));
    live = undefined;
    const settle = () => new Promise<void>((res) => setImmediate(res));
    await settle();
    r.vt.advance(999);
    await settle();
    expect(done).toBe(false);
    r.vt.advance(1);
    await stopping;
    expect(r.runner.calls.map((c) => c.terminated)).toEqual([false, true]);
  });

  it('reload: a changed weight is one editDest, a removed real server one deleteDest', async () => {
    const r = await rig({ conf: CONF.replace('quorum 2', 'quorum 1') });
    r.kernel.clearLog();
    const next = modelOf(CONF.replace('quorum 2', 'quorum 1').replace('real_server 192.0.2.10 3306 {', 'real_server 192.0.2.10 3306 {\n    weight 4').replace(/real_server 192\.0\.2\.11 3306 \{[^}]*\}\s*\}/, ''));
    const out = await r.sub.reload(modelOf(CONF), next);
    expect(out).toEqual({ kind: 'applied', changes: 2 });
    expect(r.kernel.ops.map((o) => o.op)).toEqual(['deleteDest', 'editDest']);
    expect(addresses(r.kernel)).toEqual(['192.0.2.10/4']);
    expect(r.msgs()).toContain(`Removing service [192.0.2.11]:tcp:3306 from VS ${VS}`);
  });

  it('ha_suspend: results are not acted on until this node holds the address', async () => {
    const held = new Set<string>();
    const kernel = new RecordingIpvsKernel();
    const health = new ScriptedHealth();
    const vt = new VirtualTime();
    const sub = createLvsSubsystem({
      model: modelOf(CONF.replace('quorum 2', 'ha_suspend')),
      log: memoryLogger('info').log,
      ipvs: kernel,
      health,
      runner: new FakeProcessRunner(),
      timers: vt,
      heldAddresses: () => held,
    });
    live = sub;
    await sub.start();
    await sub.idle();
    kernel.clearLog();
    health.set(RS10, false);
    await sub.idle();
    expect(kernel.ops).toEqual([]);
    held.add('192.0.2.1');
    sub.heldAddressesChanged();
    await sub.idle();
    expect(kernel.ops.map((o) => o.op)).toEqual(['deleteDest']);
  });
});

describe('LVS subsystem: lvs_flush, lvs_flush_on_stop, lvs_timeouts (global_defs)', () => {
  const withGlobals = (g: string) => `global_defs {\n  ${g}\n}\n${CONF}`;

  it('lvs_flush removes everything at start, foreign services included', async () => {
    const r = await rig({ conf: withGlobals('lvs_flush'), entries: [FOREIGN] });
    expect(r.kernel.snapshot().map((e) => e.service.key)).toEqual([KEY]);
  });

  it('lvs_flush_on_stop removes everything at stop', async () => {
    const r = await rig({ conf: withGlobals('lvs_flush_on_stop'), entries: [FOREIGN] });
    await r.sub.stop('signal');
    live = undefined;
    expect(r.kernel.snapshot()).toEqual([]);
  });

  it('lvs_timeouts are set at start and the kernel values restored at stop, even with -I', async () => {
    const r = await rig({ conf: withGlobals('lvs_timeouts tcp 7200 udp 60'), dontReleaseIpvs: true });
    expect(r.kernel.currentTimeouts).toEqual({ tcp: 7200, tcpFin: 120, udp: 60 });
    await r.sub.stop('signal');
    live = undefined;
    expect(r.kernel.currentTimeouts).toEqual({ tcp: 900, tcpFin: 120, udp: 300 });
  });
});

describe('LVS subsystem without IPVS in the kernel', () => {
  it('one error line at start; the checkers still run; status lists servers with their health', async () => {
    const r = await rig({ present: false });
    const errors = r.records.filter((x) => Number(x.level) >= 50).map((x) => String(x.msg));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^IPVS: Can't initialize ipvs: .*IPVS/);
    expect(r.health.started).toBe(1);
    r.health.set(RS10, false);
    await r.pass();
    expect(r.records.filter((x) => Number(x.level) >= 50)).toHaveLength(1);
    const st = r.sub.status();
    expect(st.ipvs).toBe('unavailable');
    expect(st.virtualServers[0].label).toBe(VS);
    expect(st.virtualServers[0].realServers.map((x) => [x.label, x.alive, x.weight, x.lastResult])).toEqual([
      ['[192.0.2.10]:tcp:3306', false, 1, 'connect refused'],
      ['[192.0.2.11]:tcp:3306', true, 1, undefined],
    ]);
  });
});

describe('LVS subsystem status', () => {
  it('lists virtual servers, real servers with health and weight', async () => {
    const r = await rig();
    r.health.set(RS10, true, 3);
    await r.sub.idle();
    const st = r.sub.status();
    expect(st.ipvs).toBe('active');
    expect(st.virtualServers[0]).toMatchObject({ label: VS, quorumUp: true, weightSum: 4, sorry: { label: '[198.51.100.99]:tcp:3306', active: false } });
    expect(st.virtualServers[0].realServers[0]).toMatchObject({ label: '[192.0.2.10]:tcp:3306', alive: true, weight: 3, pool: 'active', lastResult: 'ok', checkersUp: 1 });
    expect(JSON.parse(JSON.stringify(st))).toBeTruthy();
  });
});

describe('LVS subsystem: when the kernel table is read', () => {
  it('a health change diffs against the table applied last: its op, no dump', async () => {
    const r = await rig({ conf: CONF.replace('quorum 2', 'quorum 1') });
    r.kernel.clearLog();
    r.health.set(RS11, false);
    await r.sub.idle();
    expect(r.kernel.log.map((c) => c.call)).toEqual(['apply']);
    expect(addresses(r.kernel)).toEqual(['192.0.2.10/1']);
    // A result that changes nothing costs nothing at all.
    r.kernel.clearLog();
    r.health.set(RS11, false);
    r.health.set(RS10, true);
    await r.sub.idle();
    expect(r.kernel.log).toEqual([]);
  });

  it('an entry deleted behind our back is put back by the periodic pass, within one period', async () => {
    const r = await rig();
    r.kernel.external([{ op: 'deleteDest', key: KEY, dest: { family: 'inet', address: '192.0.2.10', port: 3306 } }]);
    r.health.set(RS11, true);
    await r.sub.idle();
    expect(addresses(r.kernel)).toEqual(['192.0.2.11/1']);
    r.vt.advance(4999);
    await r.sub.idle();
    expect(addresses(r.kernel)).toEqual(['192.0.2.11/1']);
    r.vt.advance(1);
    await r.sub.idle();
    expect(addresses(r.kernel)).toEqual(['192.0.2.11/1', '192.0.2.10/1']);
  });

  it('a periodic pass requested while a health pass waits makes that pass read the kernel', async () => {
    const r = await rig();
    r.kernel.external([{ op: 'deleteDest', key: KEY, dest: { family: 'inet', address: '192.0.2.10', port: 3306 } }]);
    r.kernel.clearLog();
    r.health.set(RS11, true);
    r.vt.advance(5000);
    await r.sub.idle();
    expect(r.kernel.log.map((c) => c.call)).toEqual(['dump', 'apply']);
    expect(addresses(r.kernel)).toEqual(['192.0.2.11/1', '192.0.2.10/1']);
  });

  it('after a refused op the next pass reads the kernel instead of trusting what it asked for', async () => {
    const r = await rig({ conf: CONF.replace('quorum 2', 'quorum 1') });
    r.kernel.failNext('deleteDest', 'ENOMEM');
    r.health.set(RS11, false);
    await r.sub.idle();
    expect(addresses(r.kernel)).toEqual(['192.0.2.10/1', '192.0.2.11/1']);
    r.kernel.clearLog();
    r.health.set(RS10, true);
    await r.sub.idle();
    expect(r.kernel.log.map((c) => c.call)).toEqual(['dump', 'apply']);
    expect(addresses(r.kernel)).toEqual(['192.0.2.10/1']);
  });
});

describe('LVS subsystem: the repair pass and the cost of reading the table', () => {
  it('waits ten times as long as the last dump took when that is longer than its period', async () => {
    // A kernel whose dump takes 1.2 s (of virtual time): the repair pass comes every 12 s, not 5 s.
    const kernel = new RecordingIpvsKernel({ present: true, entries: [] });
    const vt = new VirtualTime();
    const dumpsAt: number[] = [];
    const slow = new Proxy(kernel, {
      get(target, prop, receiver) {
        if (prop !== 'dump') {
          const v = Reflect.get(target, prop, receiver) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        }
        return async () => {
          dumpsAt.push(vt.now());
          vt.advance(1200);
          return target.dump();
        };
      },
    });
    const { log } = memoryLogger('info');
    const sub = createLvsSubsystem({ model: modelOf(CONF), log, ipvs: slow, health: new ScriptedHealth(), runner: new FakeProcessRunner(), timers: vt, passIntervalMs: 5000 });
    live = sub;
    await sub.start();
    await sub.idle();
    expect(dumpsAt).toEqual([0]);
    // Scheduled at 1200 (after the start pass) + 12000.
    vt.advance(13_199 - vt.now());
    await sub.idle();
    expect(dumpsAt).toEqual([0]);
    vt.advance(1);
    await sub.idle();
    expect(dumpsAt).toEqual([0, 13_200]);
  });
});
