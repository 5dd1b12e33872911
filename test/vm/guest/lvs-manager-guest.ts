// Runs inside the test VM for bench/lvs-director.mjs while our daemon has no -C: the IPVS part of
// our director as its own process (config loaded by our parser, IpvsManager over GenlIpvsKernel,
// every real server healthy), so it can be timed like `keepalived -C`: from process start to a
// complete table. After the first pass it runs one more pass over the unchanged table and writes
// how many kernel operations it issued to noop-ops.json; it removes its services at SIGTERM.
//   node lvs-manager.mjs CONFIG
import { writeFileSync } from 'node:fs';
import { loadConfig } from '../../../src/config/pipeline.js';
import { GenlIpvsKernel } from '../../../src/kernel/genl-ipvs-kernel.js';
import { IpvsManager } from '../../../src/ipvs/manager.js';
import { systemClock } from '../../../src/lib/clock.js';
import { DiagnosticSink } from '../../../src/lib/diagnostics.js';
import { createLogger } from '../../../src/lib/log.js';
import { RealTimers } from '../../../src/lib/timers.js';

// Milliseconds since the process started, at the end of each phase (noop-ops.json `phases`).
const at = (): number => Math.round(process.uptime() * 1000);
const phases: Record<string, number> = { modules: at() };
const sink = new DiagnosticSink();
const { model } = loadConfig(process.argv[2], { configId: 'vm' }, sink);
phases.config = at();
const kernel = await GenlIpvsKernel.open();
const manager = new IpvsManager({
  config: model,
  kernel,
  log: createLogger({ level: 'warn' }),
  timers: new RealTimers(systemClock),
  health: () => new Map(),
  passIntervalMs: 0,
});
const first = await manager.start();
phases.firstPass = at();
const noop = await manager.requestPass('periodic');
phases.noopPass = at();
writeFileSync('noop-ops.json', JSON.stringify({ first: first?.ops.length, noop: noop?.ops.length, stats: manager.stats, phases }));
const keepAlive = setInterval(() => undefined, 1 << 30);
process.once('SIGTERM', () => {
  void manager.stop().then(() => {
    kernel.close();
    clearInterval(keepAlive);
    process.exit(0);
  });
});
