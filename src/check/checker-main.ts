// The checker's entry (ADR 0015): a child process of the daemon by default, or a worker thread.
// It runs the HealthEngine with real timers, sockets and processes on its own event loop and
// reports over the channel it was started with (the IPC channel of a forked child, or the
// worker's port). Started as a child it lowers its priority and exits when the daemon goes away.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { isMainThread, parentPort } from 'node:worker_threads';
import { systemClock } from '../lib/clock.js';
import { RealTimers } from '../lib/timers.js';
import { NodeProcessRunner } from '../notify/process-runner.js';
import { HealthEngine } from './engine.js';
import { NodeProber } from './probes.js';
import { CHECKER_CHILD_ENV, type FromChecker, type ToChecker } from './checker-protocol.js';

interface Channel {
  post(m: FromChecker): void;
  onMessage(f: (m: ToChecker) => void): void;
  close(): void;
}

function serve(ch: Channel): void {
  const post = ch.post;
  const line =
    (level: 'info' | 'warn' | 'error') =>
    (a: unknown, b?: unknown): void =>
      post({ kind: 'log', level, msg: typeof a === 'string' ? a : String(b ?? '') });
  let engine: HealthEngine | undefined;
  ch.onMessage((m) => {
    switch (m.kind) {
      case 'start': {
        if (engine) return;
        const nice = m.options.niceness === undefined ? 10 : m.options.niceness;
        if (nice !== null) {
          const err = lowerThreadPriority(nice);
          if (err !== undefined) post({ kind: 'log', level: 'warn', msg: `Checker: cannot set its priority to ${nice} (${err})` });
        }
        const runner = new NodeProcessRunner();
        const e = new HealthEngine({
          plan: m.plan,
          prober: new NodeProber(runner),
          timers: new RealTimers(systemClock),
          runner,
          log: { info: line('info'), warn: line('warn'), error: line('error') },
          onFifoLine: (l) => post({ kind: 'fifo', line: l }),
          ...(m.options.maxTcp !== undefined ? { maxTcp: m.options.maxTcp } : {}),
          ...(m.options.maxScripts !== undefined ? { maxScripts: m.options.maxScripts } : {}),
        });
        engine = e;
        e.onChange((health) => post({ kind: 'health', health, change: true }));
        e.onStatus((health) => post({ kind: 'health', health, change: false }));
        void e.start().then(() => post({ kind: 'started', health: [...e.current().values()] }));
        // The engine's timers are unref'd; the open channel keeps this loop alive until closed.
        return;
      }
      case 'reload': {
        const e = engine;
        if (!e) return;
        void e.reload(m.plan).then((report) => post({ kind: 'reloaded', report, health: [...e.current().values()] }));
        return;
      }
      case 'stop': {
        const e = engine;
        engine = undefined;
        void (e ? e.stop() : Promise.resolve()).then(() => {
          post({ kind: 'stopped', probes: e?.probes ?? 0 });
          ch.close();
        });
        return;
      }
    }
  });
}

/**
 * setpriority(2) on the calling thread only: on Linux a thread id names one thread (the kernel
 * gives it through /proc/thread-self); threads and processes it starts afterwards inherit it.
 * Returns an error text, or undefined when done.
 */
function lowerThreadPriority(nice: number): string | undefined {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return 'no thread id';
    setPriority(tid, nice);
    return undefined;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? String(e);
  }
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  serve({ post: (m) => port.postMessage(m), onMessage: (f) => port.on('message', f), close: () => port.close() });
} else if (process.env[CHECKER_CHILD_ENV] === '1' && process.send) {
  // The daemon gone (its end of the channel closed) means this checker has no one to report to.
  process.once('disconnect', () => process.exit(0));
  serve({
    post: (m) => process.send?.(m),
    onMessage: (f) => process.on('message', (m) => f(m as ToChecker)),
    close: () => process.disconnect(),
  });
}
