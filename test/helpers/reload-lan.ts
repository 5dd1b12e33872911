// Daemons on one MemoryLan in virtual time (startDaemon on a RecordingKernel each), for the
// in-process reload tests: each node has its config file in a temp dir (removed after the test),
// its log records, its kernel operations; the LAN records every VRRP advert.
import { afterEach } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon } from '../../src/core/daemon.js';
import { RecordingKernel } from '../../src/kernel/recording-kernel.js';
import { memoryLogger } from '../../src/lib/log.js';
import { VirtualTime } from '../../src/lib/virtual-time.js';
import { MemoryLan } from '../../src/net/memory-lan.js';
import type { ProcessRunner } from '../../src/notify/process-runner.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

export function reloadLan() {
  const time = new VirtualTime();
  const lan = new MemoryLan({ scheduler: time });
  /** Host `name` at 192.0.2.`n` with config `text`; `runner` runs its notify scripts (default: real processes). */
  const node = (name: string, n: number, text: string, runner?: ProcessRunner) => {
    const dir = mkdtempSync(join(tmpdir(), `kt-reload-${name}-`));
    dirs.push(dir);
    const file = join(dir, 'keepalived.conf');
    writeFileSync(file, text);
    const host = lan.addHost(name, { ifname: 'eth0', ifindex: 2, addresses: [`192.0.2.${n}`] });
    const kernel = new RecordingKernel([
      { name: 'lo', ifindex: 1 },
      { name: 'eth0', ifindex: 2, mac: host.mac },
    ]);
    kernel.seedAddress({ address: `192.0.2.${n}`, prefixLength: 24, dev: 'eth0' });
    const { log, records } = memoryLogger('debug');
    const start = (inProcess = true, watchConfig = false) =>
      startDaemon({
        configFile: file,
        configId: name,
        kernel,
        io: host,
        clock: time,
        oneShot: time.oneShot,
        log,
        signals: false,
        pidFile: join(dir, 'k.pid'),
        vrrpPidFile: join(dir, 'v.pid'),
        reloadOptions: { inProcess, watchDebounceMs: 100 },
        watchConfig,
        ...(runner ? { runner } : {}),
      });
    const msgs = () => records.map((r) => String(r.msg));
    const write = (text: string) => writeFileSync(file, text);
    return { file, kernel, msgs, start, write };
  };
  const run = async (msTotal: number) => {
    for (let t = 0; t < msTotal; t += 10) {
      time.advance(10);
      await new Promise<void>((r) => setImmediate(r));
    }
  };
  // Adverts on the LAN: sender, VRID, priority, virtual time.
  const adverts: { from: string; vrid: number; prio: number; at: number }[] = [];
  lan.onFrame((f) => {
    if (f.kind !== 'ip' || f.protocol !== 112) return;
    const ihl = (f.bytes[0] & 0x0f) * 4;
    adverts.push({ from: f.from, vrid: f.bytes[ihl + 1], prio: f.bytes[ihl + 2], at: time.now() });
  });
  return { node, run, adverts, time };
}
