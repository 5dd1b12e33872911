// The checker worker's entry (a worker_threads Worker, ADR 0015): runs the HealthEngine with
// real timers, sockets and processes on its own event loop, and reports over the port.
import { isMainThread, parentPort } from 'node:worker_threads';
import { systemClock } from '../lib/clock.js';
import { RealTimers } from '../lib/timers.js';
import { NodeProcessRunner } from '../notify/process-runner.js';
import { HealthEngine } from './engine.js';
import { NodeProber } from './probes.js';
import type { FromWorker, ToWorker } from './worker-protocol.js';

function serve(port: NonNullable<typeof parentPort>): void {
  const post = (m: FromWorker): void => port.postMessage(m);
  const line =
    (level: 'info' | 'warn' | 'error') =>
    (a: unknown, b?: unknown): void =>
      post({ kind: 'log', level, msg: typeof a === 'string' ? a : String(b ?? '') });
  let engine: HealthEngine | undefined;
  port.on('message', (m: ToWorker) => {
    switch (m.kind) {
      case 'start': {
        if (engine) return;
        const runner = new NodeProcessRunner();
        engine = new HealthEngine({
          plan: m.plan,
          prober: new NodeProber(runner),
          timers: new RealTimers(systemClock),
          runner,
          log: { info: line('info'), warn: line('warn'), error: line('error') },
          onFifoLine: (l) => post({ kind: 'fifo', line: l }),
          ...(m.options.maxTcp !== undefined ? { maxTcp: m.options.maxTcp } : {}),
          ...(m.options.maxScripts !== undefined ? { maxScripts: m.options.maxScripts } : {}),
        });
        engine.onChange((health) => post({ kind: 'health', health, change: true }));
        engine.onStatus((health) => post({ kind: 'health', health, change: false }));
        void engine.start().then(() => post({ kind: 'started', health: [...engine!.current().values()] }));
        // The engine's timers are unref'd; the port keeps the worker alive until it is closed.
        return;
      }
      case 'stop': {
        const e = engine;
        engine = undefined;
        void (e ? e.stop() : Promise.resolve()).then(() => {
          post({ kind: 'stopped' });
          port.close();
        });
        return;
      }
    }
  });
}

if (!isMainThread && parentPort) serve(parentPort);
