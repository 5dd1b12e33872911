// The whole daemon in-process, without privileges: startDaemon on a RecordingKernel and a
// MemoryLan in virtual time (the seams DaemonOptions offers). It checks the composition: the
// config goes through the one pipeline `-t` uses (same diagnostics, same order), the VRRP
// subsystem starts after the pid files and before "Startup complete", stops before the shared
// parts close, and a config this host cannot run is refused before any pid file is written.
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StartError } from '../../../src/core/daemon.js';
import { VrrpSubsystem } from '../../../src/core/vrrp-subsystem.js';
import { runConfigTest } from '../../../src/cli/config-test.js';
import { formatDiagnostic } from '../../../src/lib/diagnostics.js';
import { memoryLogger } from '../../../src/lib/log.js';
import { VirtualTime } from '../../../src/lib/virtual-time.js';
import { daemonLan, stopDaemons } from '../../helpers/memory-daemon.js';

const VIP = '192.0.2.100';

function instance(name: string, vrid: number, priority: number, iface = 'eth0'): string {
  return `vrrp_instance ${name} {\n  interface ${iface}\n  virtual_router_id ${vrid}\n  priority ${priority}\n  advert_int 1\n  virtual_ipaddress {\n    ${VIP}/24\n  }\n}\n`;
}

function setup() {
  const { node: daemonNode, run, electPair, stopAll } = daemonLan();
  const node = (name: string, n: number, files: Record<string, string>, pattern = 'keepalived.conf') => {
    const d = daemonNode(name, n, undefined, { files, configName: pattern });
    return { ...d, holds: () => d.holds(VIP) };
  };
  return { node, run, electPair, stopAll };
}

describe('startDaemon: shared parts and the VRRP subsystem', () => {
  it('elects over the LAN, reports status per subsystem, and stops the subsystem before the shared parts', async () => {
    const { node, run, electPair, stopAll } = setup();
    const a = node('a', 11, { 'keepalived.conf': instance('VI_1', 51, 150) });
    const b = node('b', 12, { 'keepalived.conf': instance('VI_1', 51, 100) });
    try {
      const [da, db] = await electPair(a, b);
      expect([a.holds(), b.holds()]).toEqual([true, false]);
      expect(readFileSync(a.pidFile, 'utf8').trim()).toBe(String(process.pid));
      expect(readFileSync(a.vrrpPidFile, 'utf8').trim()).toBe(String(process.pid));
      const started = a.msgs();
      const at = (m: string) => started.findIndex((x) => x.startsWith(m));
      // keepalived's lines, in its order.
      expect(at('Starting Keepalived v')).toBe(0);
      expect(at('Configuration file ')).toBeGreaterThan(0);
      expect(at('Starting VRRP child process, pid=')).toBeGreaterThan(at('Configuration file '));
      expect(at('Startup complete')).toBeGreaterThan(at('Starting VRRP child process, pid='));

      const stopping = da.stop();
      await run(2000);
      expect(await stopping).toBe(0);
      expect(await da.done).toBe(0);
      // The runtime and the status stay readable after the stop.
      expect(da.status()).toMatchObject({ vrrp: { instances: [{ name: 'VI_1', state: 'STOP' }] } });
      expect(da.runtime.status()[0]?.state).toBe('STOP');
      const all = a.msgs();
      expect(all[all.length - 1]).toMatch(/^Stopped Keepalived v/);
      expect(all.indexOf('Stopping')).toBeGreaterThan(at('Startup complete'));
      // The VRRP subsystem released its VIP; the shared parts closed after it; the pid files are gone.
      expect(a.holds()).toBe(false);
      await expect(a.kernel.listLinks()).rejects.toThrow(/closed/);
      expect(existsSync(a.pidFile) || existsSync(a.vrrpPidFile)).toBe(false);
      await run(5000);
      expect(db.status()).toMatchObject({ vrrp: { instances: [{ name: 'VI_1', state: 'MASTER' }] } });
      expect(b.holds()).toBe(true);
    } finally {
      await stopAll();
    }
  });

  it('logs the diagnostics `-t` reports for the same file, in the same order (one pipeline)', async () => {
    const { node, run } = setup();
    const conf = `global_defs {\n  no_such_keyword 1\n  router_id r1 extra\n}\n${instance('VI_1', 51, 150)}vrrp_instance VI_2 {\n  interface eth0\n  virtual_router_id 52\n  priority 300\n  bogus_line\n  virtual_ipaddress {\n    ${VIP}/24\n  }\n}\n`;
    const a = node('a', 11, { 'keepalived.conf': conf });
    const expected = runConfigTest(join(a.dir, 'keepalived.conf'), { configId: 'a' }).diagnostics.map(formatDiagnostic);
    expect(expected.length).toBeGreaterThanOrEqual(3);
    const d = await a.start();
    try {
      const logged = a.records.filter((r) => typeof r.code === 'string' && String(r.msg).startsWith(join(a.dir, 'keepalived.conf') + ':')).map((r) => String(r.msg));
      expect(logged).toEqual(expected);
    } finally {
      await stopDaemons(run, d);
    }
  });

  it('reads every file of a -f glob, as -t does, with keepalived-ts -t\'s warning first', async () => {
    const { node, run } = setup();
    const a = node('a', 11, { 'a.conf': instance('VI_1', 51, 150), 'b.conf': instance('VI_2', 52, 150).replace(VIP, '192.0.2.101') }, '*.conf');
    const d = await a.start();
    try {
      await run(5000);
      expect(d.status()).toMatchObject({ vrrp: { instances: [{ name: 'VI_1', state: 'MASTER' }, { name: 'VI_2', state: 'MASTER' }] } });
      expect(a.msgs().some((m) => m.includes('multiple configuration file matches of'))).toBe(true);
    } finally {
      await stopDaemons(run, d);
    }
  });

  it('refuses a config naming an interface this host lacks: exit 2, no pid file, shared parts closed', async () => {
    const { node } = setup();
    const a = node('a', 11, { 'keepalived.conf': instance('VI_1', 51, 150, 'eth9') });
    const err = await a.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StartError);
    expect((err as StartError).exitCode).toBe(2);
    expect((err as StartError).message).toContain('eth9');
    expect(existsSync(a.pidFile) || existsSync(a.vrrpPidFile)).toBe(false);
    await expect(a.kernel.listLinks()).rejects.toThrow(/closed/);
    expect(a.msgs().some((m) => m.startsWith('Starting VRRP child process'))).toBe(false);
  });

  it('a missing main file stops the start before the banner (exit 6)', async () => {
    const { node } = setup();
    const a = node('a', 11, {}, 'nope.conf');
    await expect(a.start()).rejects.toMatchObject({ exitCode: 6 });
    expect(a.msgs()).toEqual([]);
  });
});

describe('VrrpSubsystem.reload', () => {
  it('is rejected with a reason before the subsystem runs (test/unit/core/reload.test.ts covers a running one)', async () => {
    const { node } = setup();
    const a = node('a', 11, { 'keepalived.conf': '' });
    const { model, tree } = runConfigTest(join(a.dir, 'keepalived.conf'), { configId: 'a' });
    const v = await VrrpSubsystem.create({
      model: model!,
      tree: tree!,
      empty: true,
      host: { kernel: a.kernel, io: { close() {} } as never, close: () => a.kernel.close() },
      clock: new VirtualTime(),
      log: memoryLogger().log,
      runner: undefined as never,
      fifos: undefined as never,
      options: { configFile: join(a.dir, 'keepalived.conf'), configId: 'a' },
    });
    const outcome = await v.reload(model!, model!);
    expect(outcome.kind).toBe('rejected');
    expect(outcome.kind === 'rejected' && outcome.reason).toMatch(/not running/);
    expect(v.status()).toEqual({ instances: [] });
  });
});
