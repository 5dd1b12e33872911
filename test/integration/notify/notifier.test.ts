// The daemon's notify dispatcher (ScriptNotifySink) + FifoWriter with real scripts, a real FIFO
// and a real reader process.
import { describe, expect } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { NodeProcessRunner, type PreparedScript, type ProcessRunner, type RunSpec } from '../../../src/notify/process-runner.js';
import { ScriptNotifySink } from '../../../src/core/notify-sink.js';
import { stateNotifyActions } from '../../../src/vrrp/fsm/step.js';
import type { NotifyConfig } from '../../../src/vrrp/fsm/config.js';
import type { NotifyState } from '../../../src/vrrp/fsm/types.js';
import { FifoWriter } from '../../../src/notify/fifo.js';
import { RealTimers } from '../../../src/lib/timers.js';
import { systemClock } from '../../../src/lib/clock.js';
import { memoryLogger } from '../../../src/lib/log.js';
import { rsLine, vsLine } from '../../../src/notify/fifo-format.js';
import type { Ms } from '../../../src/lib/units.js';
import { itWhen, isRoot } from '../../helpers/require.js';
import { scriptDir, alive, pollFor } from '../../helpers/script-dir.js';

const tmp = scriptDir('kt-notify-int-');

const script = tmp.script;
/** Records "$0 args..." (one bracketed arg per field) to FILE. */
function recorder(name: string): { path: string; out: string } {
  const out = join(tmp.path, `${name}.out`);
  const path = script(name, `{ printf '%s' "$(basename "$0")"; for a in "$@"; do printf ' [%s]' "$a"; done; echo; } > "${out}"\n`);
  return { path, out };
}


const waitFor = (cond: () => boolean, ms: number) => pollFor(cond, ms);

/** Real runner that also remembers start order (the processes are real). */
class OrderedRunner implements ProcessRunner {
  readonly order: string[][] = [];
  private readonly real = new NodeProcessRunner();
  start(spec: RunSpec) {
    this.order.push([...spec.argv]);
    return this.real.start(spec);
  }
}

function startReader(fifo: string, out: string): ChildProcess {
  return spawn('/bin/sh', ['-c', `exec cat "${fifo}" > "${out}"`], { stdio: 'ignore' });
}

/** A FifoWriter with the real runner and timers, started (its FIFO exists). */
async function startWriter(opts: ConstructorParameters<typeof FifoWriter>[0]): Promise<FifoWriter> {
  const w = new FifoWriter(opts, new NodeProcessRunner(), new RealTimers(systemClock));
  await w.start();
  return w;
}

/** Closes the writer, waits for the reader to see the end of the FIFO, returns what it read. */
async function closeAndRead(w: FifoWriter, reader: ChildProcess, out: string): Promise<string> {
  await w.close();
  await new Promise((r) => reader.once('exit', r));
  return readFileSync(out, 'utf8');
}

/** The dispatcher with the given prepared scripts (command text = key), driven as the runtime does. */
function dispatcher(runner: ProcessRunner, scripts: Record<string, PreparedScript>, timeoutMs?: Ms) {
  const { log, records } = memoryLogger();
  const sink = new ScriptNotifySink(runner, new Map(Object.entries(scripts)), [], log, timeoutMs);
  const state = (name: string, s: NotifyState, prio: number, n: NotifyConfig) => {
    for (const a of stateNotifyActions(n, 'INSTANCE', name, s, prio)) {
      if (a.kind !== 'notify') continue;
      if (a.channel === 'script') sink.script(name, a.command);
      else if (a.channel === 'generic') sink.generic(name, a.command, a.args);
      else sink.fifo(a.line);
    }
  };
  return { sink, state, records };
}

describe('ScriptNotifySink with real scripts', () => {
  itWhen(isRoot)('state script gets exactly its args, notify gets the 4 extra, in that start order', async () => {
    const nm = recorder('nm.sh');
    const gen = recorder('notify.sh');
    const runner = new OrderedRunner();
    const { sink, state } = dispatcher(runner, { nm: { argv: [nm.path, 'arg1', 'two words'] }, gen: { argv: [gen.path] } });
    state('VI_1', 'MASTER', 150, { master: 'nm', generic: 'gen', fifo: false });
    await sink.idle();
    expect(readFileSync(nm.out, 'utf8')).toBe('nm.sh [arg1] [two words]\n');
    expect(readFileSync(gen.out, 'utf8')).toBe('notify.sh [INSTANCE] [VI_1] [MASTER] [150]\n');
    expect(runner.order.map((a) => a[0])).toEqual([nm.path, gen.path]);
    expect(sink.stats).toMatchObject({ started: 2, failed: 0 });
  });

  itWhen(isRoot)('a hanging notify script is killed with its children at the timeout; a failing one is just logged', async () => {
    const pids = join(tmp.path, 'hang.pids');
    const hang = script('hang.sh', `sleep 300 &\necho $! > "${pids}"\nwait\n`);
    const fail = script('fail.sh', 'exit 7\n');
    const { sink, state, records } = dispatcher(new NodeProcessRunner(), { hang: { argv: [hang] }, fail: { argv: [fail] } }, 300 as Ms);
    const t0 = Date.now();
    state('VI_1', 'BACKUP', 100, { backup: 'hang', generic: 'fail', fifo: false });
    // The call returned at once: both scripts are running in the background.
    expect(Date.now() - t0).toBeLessThan(100);
    expect(sink.runningCount).toBe(2);
    await sink.idle();
    expect(Date.now() - t0).toBeLessThan(2500);
    expect(sink.stats).toMatchObject({ started: 2, failed: 2 });
    const child = Number(readFileSync(pids, 'utf8'));
    expect(await waitFor(() => !alive(child), 1000)).toBe(true);
    const results = records.filter((r) => r.msg === 'notify script did not succeed').map((r) => (r.result as { kind: string }).kind);
    expect(results.sort()).toEqual(['exited', 'timeout']);
  });

  itWhen(isRoot)('drain() gives running scripts the grace, then terminates them (stop)', async () => {
    const slow = script('slow.sh', 'sleep 300\n');
    const { sink, state } = dispatcher(new NodeProcessRunner(), { slow: { argv: [slow] } });
    state('VI_1', 'FAULT', 0, { fault: 'slow', generic: 'slow', fifo: false });
    expect(sink.runningCount).toBe(2);
    const t0 = Date.now();
    await sink.drain(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(sink.runningCount).toBe(0);
  });
});

describe('FifoWriter with a real FIFO', () => {
  itWhen(isRoot)('creates the FIFO, a reader process receives the exact lines, removes it on close', async () => {
    const fifo = join(tmp.path, 'notify.fifo');
    const out = join(tmp.path, 'fifo1.out');
    const timers = new RealTimers(systemClock);
    const runner = new NodeProcessRunner();
    const w = new FifoWriter({ path: fifo, retryMs: 20 }, runner, timers);
    await w.start();
    expect(statSync(fifo).isFIFO()).toBe(true);
    expect(statSync(fifo).mode & 0o777).toBe(0o600);
    const reader = startReader(fifo, out);
    const { log } = memoryLogger();
    const sink = new ScriptNotifySink(runner, new Map(), [w], log);
    for (const a of [...stateNotifyActions({ fifo: true }, 'INSTANCE', 'VI_1', 'MASTER', 100), ...stateNotifyActions({ fifo: true }, 'GROUP', 'SG1', 'BACKUP', 0)]) {
      if (a.kind === 'notify' && a.channel === 'fifo') sink.fifo(a.line);
    }
    w.write(vsLine({ kind: 'addr', ip: '10.0.0.1', protocol: 'tcp', port: 80 }, true));
    w.write(rsLine({ kind: 'addr', ip: '192.168.1.2', protocol: 'tcp', port: 80 }, { kind: 'addr', ip: '10.0.0.1', protocol: 'tcp', port: 80 }, false));
    expect(await waitFor(() => w.stats.written === 4, 3000)).toBe(true);
    expect(await closeAndRead(w, reader, out)).toBe(
      'INSTANCE "VI_1" MASTER 100\nGROUP "SG1" BACKUP 0\nVS [10.0.0.1]:tcp:80 UP\nRS [192.168.1.2]:tcp:80 [10.0.0.1]:tcp:80 DOWN\n',
    );
    expect(existsSync(fifo)).toBe(false);
  });

  itWhen(isRoot)('without a reader writes never block; lines wait (bounded, drops counted) and flow once a reader appears', async () => {
    const fifo = join(tmp.path, 'noreader.fifo');
    const out = join(tmp.path, 'fifo2.out');
    const w = await startWriter({ path: fifo, retryMs: 20, maxBufferedBytes: 100 });
    const t0 = performance.now();
    for (let i = 0; i < 10; i++) w.write(`INSTANCE "VI_${i}" BACKUP 100\n`); // 27 bytes each
    const took = performance.now() - t0;
    expect(took).toBeLessThan(50);
    expect(w.isOpen).toBe(false);
    expect(w.stats.lastError).toBe('ENXIO');
    expect(w.stats.dropped).toBe(7); // 100-byte buffer keeps the newest 3 lines
    expect(w.stats.bufferedBytes).toBe(81);
    const reader = startReader(fifo, out);
    expect(await waitFor(() => w.stats.written === 3, 3000)).toBe(true);
    expect(await closeAndRead(w, reader, out)).toBe('INSTANCE "VI_7" BACKUP 100\nINSTANCE "VI_8" BACKUP 100\nINSTANCE "VI_9" BACKUP 100\n');
  });

  itWhen(isRoot)('reconnects after the reader dies (EPIPE) without losing the line', async () => {
    const fifo = join(tmp.path, 'epipe.fifo');
    const out1 = join(tmp.path, 'fifo3a.out');
    const out2 = join(tmp.path, 'fifo3b.out');
    const w = await startWriter({ path: fifo, retryMs: 20 });
    const r1 = startReader(fifo, out1);
    w.write('INSTANCE "A" MASTER 1\n');
    expect(await waitFor(() => w.stats.written === 1, 3000)).toBe(true);
    expect(w.stats.opens).toBe(1);
    // A line in the pipe when its reader dies is lost with the pipe; wait until it was read.
    expect(await waitFor(() => readFileSync(out1, 'utf8') === 'INSTANCE "A" MASTER 1\n', 3000)).toBe(true);
    r1.kill('SIGKILL');
    await new Promise((r) => r1.once('exit', r));
    w.write('INSTANCE "B" BACKUP 2\n');
    expect(w.stats.lastError).toBe('EPIPE');
    expect(w.isOpen).toBe(false);
    const r2 = startReader(fifo, out2);
    expect(await waitFor(() => w.stats.written === 2, 3000)).toBe(true);
    expect(w.stats.opens).toBe(2);
    expect(await closeAndRead(w, r2, out2)).toBe('INSTANCE "B" BACKUP 2\n');
  });

  itWhen(isRoot)('starts fifo_script with the FIFO path appended and stops it on close', async () => {
    const fifo = join(tmp.path, 'script.fifo');
    const out = join(tmp.path, 'fifo4.out');
    const pidFile = join(tmp.path, 'fifo4.pid');
    const reader = script('fifo-reader.sh', `echo $$ > "${pidFile}"\nexec cat "$2" > "$1"\n`);
    const w = await startWriter({ path: fifo, retryMs: 20, script: { argv: [reader, out] } });
    w.write('INSTANCE "A" MASTER 1\n');
    expect(await waitFor(() => existsSync(out) && readFileSync(out, 'utf8') === 'INSTANCE "A" MASTER 1\n', 3000)).toBe(true);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await w.close(200 as Ms);
    expect(alive(pid)).toBe(false);
  });
});
