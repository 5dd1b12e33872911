// The daemon composes the LVS side (IPVS table and checkers) beside VRRP: which sides run for a
// config and the process flags (-P, -C), the checkers' pid file, ha_suspend following the VRRP
// side's MASTER state, -I at stop, and one "Can't initialize ipvs" line on a host without IPVS.
// The IPVS table is the recording one and the checkers an in-memory HealthSource; the VRRP side
// runs its real runtime over the in-memory LAN.
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sidesToRun, type DaemonOptions, type RunningDaemon } from '../../../src/core/daemon.js';
import type { LvsParts } from '../../../src/core/lvs-parts.js';
import type { LvsStatus } from '../../../src/core/lvs-subsystem.js';
import { formatCheckData } from '../../../src/core/check-dump.js';
import type { HealthSource, RealServerHealth } from '../../../src/check/health.js';
import { RecordingIpvsKernel } from '../../../src/kernel/recording-ipvs-kernel.js';
import { realServerKey } from '../../../src/config/lvs-ids.js';
import { KernelError } from '../../../src/kernel/errors.js';
import { request } from '../../../src/cli/status.js';
import { formatStatusText, type StatusDocument } from '../../../src/core/control-status.js';
import { daemonLan, stopDaemons } from '../../helpers/memory-daemon.js';

const VIP = '192.0.2.100';

const INSTANCE = `vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  priority 150\n  advert_int 1\n  virtual_ipaddress {\n    ${VIP}/24\n  }\n}\n`;
const VS = (haSuspend: boolean) =>
  `virtual_server ${VIP} 80 {\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n${haSuspend ? '  ha_suspend\n' : ''}  real_server 198.51.100.1 80 {\n    weight 3\n    TCP_CHECK {\n      connect_timeout 1\n    }\n  }\n}\n`;

/** Health the test sets by hand; every real server starts up. */
class HandHealth implements HealthSource {
  readonly map = new Map<string, RealServerHealth>();
  private readonly listeners: ((h: RealServerHealth) => void)[] = [];
  started = 0;
  stopped = 0;
  start(): Promise<void> {
    this.started++;
    return Promise.resolve();
  }
  stop(): Promise<void> {
    this.stopped++;
    return Promise.resolve();
  }
  current(): ReadonlyMap<string, RealServerHealth> {
    return this.map;
  }
  onChange(l: (h: RealServerHealth) => void): void {
    this.listeners.push(l);
  }
  setAll(up: boolean, lastResult: string): void {
    for (const [key, h] of this.map) {
      const next = { ...h, up, checkersUp: up ? 1 : 0, lastResult };
      this.map.set(key, next);
      for (const l of this.listeners) l(next);
    }
  }
}

function setup(config: string, flags: Partial<DaemonOptions> = {}, ipvsPresent = true) {
  const { node, run } = daemonLan();
  const a = node('a', 11, config);
  const { dir, kernel } = a;
  const ipvs = new RecordingIpvsKernel();
  const health = new HandHealth();
  let healthBuilt = 0;
  const parts: LvsParts = {
    openIpvs: () => (ipvsPresent ? Promise.resolve(ipvs) : Promise.reject(new KernelError('ENOENT', 'ipvsOpen', 'generic netlink family "IPVS" not found', { errno: 2 }))),
    health: ({ model }) => {
      healthBuilt++;
      for (const vs of model.virtualServers)
        for (const rs of vs.realServers) {
          const key = realServerKey(rs, vs);
          health.map.set(key, { key, up: true, checkersUp: 1, checkers: 1 });
        }
      return health;
    },
  };
  const files = { pid: a.pidFile, vrrp: a.vrrpPidFile, checkers: join(dir, 'checkers.pid') };
  const start = () => a.start({ checkersPidFile: files.checkers, lvsParts: parts, ...flags });
  /** Starts the daemon, runs `msTotal` of virtual time, then `body`; the daemon is stopped whatever happens. */
  const running = async (msTotal: number, body: (d: RunningDaemon) => Promise<void> | void): Promise<void> => {
    let d: RunningDaemon | undefined;
    try {
      d = await start();
      await run(msTotal);
      await body(d);
    } finally {
      await stopDaemons(run, d);
    }
  };
  const services = () => ipvs.snapshot().map((e) => ({ vip: e.service.key.kind === 'addr' ? e.service.key.address : '?', dests: e.dests.map((d) => d.weight) }));
  return { dir, files, kernel, ipvs, health, healthBuilt: () => healthBuilt, start, run, running, msgs: a.msgs, services };
}

describe('startDaemon: the LVS side', () => {
  it('ha_suspend: checker results reach the table only while the VRRP instance holding the address is MASTER; the table is removed at stop', async () => {
    const t = setup(INSTANCE + VS(true));
    await t.running(200, async (d) => {
      expect(d.status()).toMatchObject({ vrrp: { instances: [{ state: 'BACKUP' }] } });
      t.health.setAll(false, 'connect refused');
      await t.run(300);
      // Suspended: the last decision stands (keepalived stops the checkers of a suspended virtual server).
      expect(t.services()).toEqual([{ vip: VIP, dests: [3] }]);
      expect(d.status()).toMatchObject({ ipvs: { virtualServers: [{ suspended: true }] } });
      await t.run(5000);
      expect(d.status()).toMatchObject({ vrrp: { instances: [{ name: 'VI_1', state: 'MASTER' }] }, ipvs: { virtualServers: [{ suspended: false }] } });
      expect(t.services()).toEqual([{ vip: VIP, dests: [] }]);
      t.health.setAll(true, 'connect success');
      await t.run(300);
      expect(t.services()).toEqual([{ vip: VIP, dests: [3] }]);
      expect(existsSync(t.files.checkers)).toBe(true);
      expect(readFileSync(t.files.vrrp, 'utf8').trim()).toBe(String(process.pid));
      await stopDaemons(t.run, d);
      expect(t.services()).toEqual([]);
      expect(existsSync(t.files.checkers)).toBe(false);
      expect(t.health.stopped).toBe(1);
    });
  });

  it('status lists the virtual and real servers with health and weight; a health change reaches the table', async () => {
    const t = setup(INSTANCE + VS(false));
    await t.running(500, async (d) => {
      expect(t.services()).toEqual([{ vip: VIP, dests: [3] }]);
      const st = d.status() as { ipvs: LvsStatus };
      expect(st.ipvs.ipvs).toBe('active');
      expect(st.ipvs.virtualServers).toMatchObject([{ label: `[${VIP}]:tcp:80`, realServers: [{ label: '[198.51.100.1]:tcp:80', alive: true, weight: 3 }] }]);
      t.health.setAll(false, 'connect refused');
      await t.run(300);
      expect(t.services()).toEqual([{ vip: VIP, dests: [] }]);
      const down = d.status() as { ipvs: LvsStatus };
      expect(down.ipvs.virtualServers[0]?.realServers[0]).toMatchObject({ alive: false, lastResult: 'connect refused', checkersUp: 0, checkers: 1 });
      // The USR1 checker dump (keepalived's /tmp/keepalived_check.data) shows the same.
      const text = formatCheckData(down.ipvs, { pid: 1, now: 0 });
      expect(text).toContain(` Virtual server = [${VIP}]:tcp:80`);
      expect(text).toContain('   Real server = [198.51.100.1]:tcp:80: down, weight 3, pool');
      expect(text).toContain('checkers up 0/1, last result: connect refused');
    });
  });

  it('the control socket (beside the pid file) answers status with the virtual servers: health, weight, last result and latency', async () => {
    const t = setup(INSTANCE + VS(false));
    await t.running(500, async (d) => {
      for (const [key, h] of t.health.map) t.health.map.set(key, { ...h, lastResult: 'connect success', lastLatencyMs: 1.5 });
      const sock = join(t.dir, 'keepalived-ts.ctl');
      const r = await request(sock, { cmd: 'status' }, 5000);
      expect(r).toMatchObject({ ok: true, cmd: 'status' });
      const doc = (r as { status: StatusDocument }).status;
      expect(doc.ipvs).toEqual({
        state: 'active',
        error: null,
        virtualServers: [
          {
            name: `[${VIP}]:tcp:80`,
            quorumUp: true,
            inTable: true,
            sorryServer: null,
            realServers: [{ name: '[198.51.100.1]:tcp:80', up: true, weight: 3, pool: expect.any(String), checkersUp: 1, checkers: 1, lastResult: 'connect success', lastLatencyMs: 1.5 }],
          },
        ],
        // The service and its real server went into the (recording) kernel: two operations.
        stats: { passes: expect.any(Number), opsApplied: t.ipvs.ops.length, opsRefused: 0, repairs: 0, dumps: expect.any(Number), dumpErrors: 0 },
      });
      expect(t.ipvs.ops.length).toBe(2);
      expect(doc.vrrp?.instances.map((i) => i.name)).toEqual(['VI_1']);
      expect(formatStatusText(doc)).toMatch(/\[198\.51\.100\.1\]:tcp:80\s+up\s+3\s+1\/1\s+connect success\s+1\.5 ms/);
      t.health.setAll(false, 'connect refused');
      await t.run(300);
      // The socket reuses a status document for 100 ms (flood protection): ask after that.
      await new Promise((r) => setTimeout(r, 150));
      const down = ((await request(sock, { cmd: 'status' }, 5000)) as { status: StatusDocument }).status;
      expect(down.ipvs?.virtualServers[0].realServers[0]).toMatchObject({ up: false, checkersUp: 0, lastResult: 'connect refused' });
      expect(down.ipvs?.virtualServers[0].quorumUp).toBe(false); // its only real server is down: weight 0 < quorum 1
    });
  });

  it('an LVS-only config runs the LVS side only: no VRRP pid file, no "nothing to run" line', async () => {
    const t = setup(VS(false));
    await t.running(500, async (d) => {
      expect(Object.keys(d.status())).toEqual(['ipvs']);
      expect(() => d.runtime).toThrow(/VRRP side does not run/);
      expect(t.services()).toEqual([{ vip: VIP, dests: [3] }]);
      expect(existsSync(t.files.vrrp)).toBe(false);
      expect(existsSync(t.files.checkers)).toBe(true);
      expect(t.msgs().some((m) => /nothing to run/.test(m))).toBe(false);
      expect(t.msgs().some((m) => m.startsWith('Starting VRRP child process'))).toBe(false);
    });
  });

  it('-P runs only VRRP (no checkers built, no checkers pid file); -C only the LVS side (no VRRP instance, no VRRP pid file)', async () => {
    const p = setup(INSTANCE + VS(false), { vrrpOnly: true });
    await p.running(4500, async (d) => {
      expect(Object.keys(d.status())).toEqual(['vrrp']);
      expect(p.healthBuilt()).toBe(0);
      expect(p.services()).toEqual([]);
      expect(existsSync(p.files.checkers)).toBe(false);
      expect(p.kernel.snapshot().addresses.some((a) => a.address === VIP)).toBe(true);
    });
    const c = setup(INSTANCE + VS(false), { checkOnly: true });
    await c.running(4500, async (d) => {
      expect(Object.keys(d.status())).toEqual(['ipvs']);
      expect(c.services()).toEqual([{ vip: VIP, dests: [3] }]);
      expect(existsSync(c.files.vrrp)).toBe(false);
      expect(existsSync(c.files.checkers)).toBe(true);
      expect(c.kernel.snapshot().addresses.some((a) => a.address === VIP)).toBe(false);
    });
  });

  it('-I leaves the IPVS entries in place at stop', async () => {
    const t = setup(VS(false), { dontReleaseIpvs: true });
    const d = await t.start();
    await t.run(500);
    await stopDaemons(t.run, d);
    expect(t.services()).toEqual([{ vip: VIP, dests: [3] }]);
  });

  it('without IPVS in the kernel: one "Can\'t initialize ipvs" line, VRRP becomes MASTER, the checkers still run and report', async () => {
    const t = setup(INSTANCE + VS(false), {}, false);
    await t.running(5000, async (d) => {
      t.health.setAll(false, 'connect refused');
      await t.run(6000);
      expect(d.status()).toMatchObject({ vrrp: { instances: [{ state: 'MASTER' }] }, ipvs: { ipvs: 'unavailable', virtualServers: [{ realServers: [{ alive: false, lastResult: 'connect refused' }] }] } });
      const lines = t.msgs().filter((m) => m.startsWith("IPVS: Can't initialize ipvs"));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^IPVS: Can't initialize ipvs: No such file or directory/);
      expect(t.health.started).toBe(1);
    });
  });

  it('sidesToRun: -P leaves out the LVS side, -C the VRRP side, both together both (keepalived 2.2.7); --all runs a side with nothing configured', () => {
    const both = { vrrpInstances: [1], virtualServers: [1] };
    expect(sidesToRun({}, both)).toEqual({ vrrp: true, lvs: true });
    expect(sidesToRun({ vrrpOnly: true }, both)).toEqual({ vrrp: true, lvs: false });
    expect(sidesToRun({ checkOnly: true }, both)).toEqual({ vrrp: false, lvs: true });
    expect(sidesToRun({ vrrpOnly: true, checkOnly: true }, both)).toEqual({ vrrp: false, lvs: false });
    expect(sidesToRun({}, { vrrpInstances: [], virtualServers: [1] })).toEqual({ vrrp: false, lvs: true });
    expect(sidesToRun({}, { vrrpInstances: [1], virtualServers: [] })).toEqual({ vrrp: true, lvs: false });
    expect(sidesToRun({ all: true }, { vrrpInstances: [1], virtualServers: [] })).toEqual({ vrrp: true, lvs: true });
    // Nothing configured: the VRRP side stays up idle, as before.
    expect(sidesToRun({}, { vrrpInstances: [], virtualServers: [] })).toEqual({ vrrp: true, lvs: false });
  });
});

/** Writes `config` and reloads it, running 500 ms of virtual time meanwhile. */
async function reloadWith(t: ReturnType<typeof setup>, d: RunningDaemon, config: string) {
  writeFileSync(join(t.dir, 'keepalived.conf'), config);
  const r = d.reload();
  await t.run(500);
  return r;
}

/**
 * Starts the daemon with only the `before` side, checks `pidFile` is not made, reloads `next` and
 * checks the reload started `side` beside it. `started` gets the daemon at once (the caller stops it).
 */
async function grownByReload(t: ReturnType<typeof setup>, started: (d: RunningDaemon) => void, before: string, pidFile: 'vrrp' | 'checkers', next: string, side: string): Promise<RunningDaemon> {
  const d = await t.start();
  started(d);
  await t.run(500);
  expect(Object.keys(d.status())).toEqual([before]);
  expect(existsSync(t.files[pidFile])).toBe(false);
  const added = await reloadWith(t, d, next);
  expect(added).toMatchObject({ outcome: 'applied', changes: [`${side}: started`] });
  expect(Object.keys(d.status())).toEqual([before, side]);
  return d;
}

/**
 * Starts the daemon, reloads a config with both sides and checks the side the flags leave out
 * stays out: the reload changes nothing, status keeps `running`, the side's pid file is not made.
 */
async function reloadRefusesSide(t: ReturnType<typeof setup>, running: string[], pidFile: 'vrrp' | 'checkers') {
  let d: RunningDaemon | undefined;
  try {
    d = await t.start();
    await t.run(500);
    const r = await reloadWith(t, d, INSTANCE + VS(false));
    expect(r.outcome).toBe('unchanged');
    expect(Object.keys(d.status())).toEqual(running);
    expect(existsSync(t.files[pidFile])).toBe(false);
  } finally {
    await stopDaemons(t.run, d);
  }
  return t;
}

describe('reload: virtual servers added to a daemon started without any', () => {
  it('the LVS side is created and started (status, control socket, checkers pid file); removing every virtual server later leaves it running, idle', async () => {
    const t = setup(INSTANCE, { reloadOptions: { inProcess: true } });
    let d: RunningDaemon | undefined;
    try {
      d = await grownByReload(t, (x) => (d = x), 'vrrp', 'checkers', INSTANCE + VS(false), 'ipvs');
      expect(t.healthBuilt()).toBe(1);
      expect(t.health.started).toBe(1);
      expect(t.services()).toEqual([{ vip: VIP, dests: [3] }]);
      expect(existsSync(t.files.checkers)).toBe(true);
      expect(t.msgs()).toContain('Initializing ipvs');
      const doc = ((await request(join(t.dir, 'keepalived-ts.ctl'), { cmd: 'status' }, 5000)) as { status: StatusDocument }).status;
      expect(doc.ipvs?.virtualServers.map((v) => v.name)).toEqual([`[${VIP}]:tcp:80`]);
      // A later reload goes to the new side like any other; without virtual servers it stays, idle.
      const removed = await reloadWith(t, d, INSTANCE);
      expect(removed.outcome).toBe('applied');
      expect(t.services()).toEqual([]);
      expect(Object.keys(d.status())).toEqual(['vrrp', 'ipvs']);
      expect(t.health.stopped).toBe(0);
      const again = await reloadWith(t, d, INSTANCE + VS(false));
      expect(again.outcome).toBe('applied');
      expect(t.healthBuilt()).toBe(1);
      expect(t.services()).toEqual([{ vip: VIP, dests: [3] }]);
    } finally {
      await stopDaemons(t.run, d);
    }
    expect(t.health.stopped).toBe(1);
    expect(existsSync(t.files.checkers)).toBe(false);
  });

  it('-P (--vrrp): never; the virtual servers of the new config are not run', async () => {
    const t = await reloadRefusesSide(setup(INSTANCE, { vrrpOnly: true, reloadOptions: { inProcess: true } }), ['vrrp'], 'checkers');
    expect(t.healthBuilt()).toBe(0);
  });
});

describe('reload: a vrrp_instance added to a daemon started with virtual servers only', () => {
  it('the VRRP side is created and started (status, runtime, VRRP pid file) and runs its instance to MASTER', async () => {
    const t = setup(VS(false), { reloadOptions: { inProcess: true } });
    let d: RunningDaemon | undefined;
    try {
      d = await grownByReload(t, (x) => (d = x), 'ipvs', 'vrrp', INSTANCE + VS(false), 'vrrp');
      expect(readFileSync(t.files.vrrp, 'utf8').trim()).toBe(String(process.pid));
      await t.run(5000);
      expect(d.status()).toMatchObject({ vrrp: { instances: [{ name: 'VI_1', state: 'MASTER' }] } });
      expect(d.runtime.status().map((s) => s.name)).toEqual(['VI_1']);
      const doc = ((await request(join(t.dir, 'keepalived-ts.ctl'), { cmd: 'status' }, 5000)) as { status: StatusDocument }).status;
      expect(doc.vrrp?.instances.map((i) => i.name)).toEqual(['VI_1']);
      // The LVS side kept its table.
      expect(t.services()).toEqual([{ vip: VIP, dests: [3] }]);
    } finally {
      await stopDaemons(t.run, d);
    }
    expect(existsSync(t.files.vrrp)).toBe(false);
  });

  it('-C (--check): never; the instances of the new config are not run', async () => {
    await reloadRefusesSide(setup(VS(false), { checkOnly: true, reloadOptions: { inProcess: true } }), ['ipvs'], 'vrrp');
  });
});

describe('reload: notify FIFOs follow the new config', () => {
  it('an lvs_notify_fifo the reload names is made and opened (the reload says so); removed, it is closed', async () => {
    const t = setup(VS(false), { reloadOptions: { inProcess: true } });
    const fifo = join(t.dir, 'lvs.fifo');
    const withFifo = `global_defs {\n  lvs_notify_fifo ${fifo}\n}\n` + VS(false);
    let d: RunningDaemon | undefined;
    try {
      d = await t.start();
      await t.run(500);
      expect(await reloadWith(t, d, withFifo)).toMatchObject({ outcome: 'applied', changes: [`fifo: notify FIFO ${fifo} opened`] });
      expect(existsSync(fifo)).toBe(true);
      expect(await reloadWith(t, d, VS(false))).toMatchObject({ outcome: 'applied', changes: [`fifo: notify FIFO ${fifo} closed`] });
    } finally {
      await stopDaemons(t.run, d);
    }
  });
});
