// The addon's SignalWatch (uv_signal): keepalived's realtime signals, which Node's process.on()
// cannot name, reach the callback instead of killing the process; watching does not keep the
// process alive; after close() the default action is back. Each case in a fresh child Node that
// signals itself.
import { describe, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { findAddon, nativeUnavailable } from '../../../src/net/native.js';
import { SIGNUMS } from '../../../src/cli/argv.js';
import { itWhen } from '../../helpers/require.js';

const hasAddon = () => nativeUnavailable();

function node(script: string) {
  const prelude = `const a = require(${JSON.stringify(findAddon())});\n`;
  const r = spawnSync(process.execPath, ['-e', prelude + script], { encoding: 'utf8', timeout: 15_000 });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

describe('native SignalWatch', () => {
  itWhen(hasAddon)('without a handler the JSON and STATS_CLEAR signals kill a Node process (what the daemon must avoid)', () => {
    for (const n of [SIGNUMS.JSON, SIGNUMS.STATS_CLEAR]) {
      const r = node(`process.kill(process.pid, ${n}); setTimeout(() => console.log('survived'), 300);`);
      expect(r.stdout).not.toContain('survived');
      expect(r.status).toBeNull();
    }
  });

  itWhen(hasAddon)('watched, each signal reaches its callback with its number, in order, and the process lives on', () => {
    const r = node(`
      const got = [];
      const w = [${SIGNUMS.JSON}, ${SIGNUMS.STATS_CLEAR}].map((n) => new a.SignalWatch(n, (s) => got.push(s)));
      const keep = setInterval(() => {}, 1000);
      process.kill(process.pid, ${SIGNUMS.JSON});
      setTimeout(() => process.kill(process.pid, ${SIGNUMS.STATS_CLEAR}), 50);
      setTimeout(() => process.kill(process.pid, ${SIGNUMS.JSON}), 100);
      setTimeout(() => { console.log(JSON.stringify(got)); for (const x of w) x.close(); clearInterval(keep); }, 400);`);
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([SIGNUMS.JSON, SIGNUMS.STATS_CLEAR, SIGNUMS.JSON]);
  });

  itWhen(hasAddon)('a watch does not keep the process alive; after close() the signal is fatal again', () => {
    const idle = node(`new a.SignalWatch(${SIGNUMS.JSON}, () => {}); console.log('end');`);
    expect(idle.status).toBe(0);
    expect(idle.stdout).toContain('end');
    const closed = node(`
      const w = new a.SignalWatch(${SIGNUMS.JSON}, () => {});
      w.close(); w.close();
      setTimeout(() => { process.kill(process.pid, ${SIGNUMS.JSON}); setTimeout(() => console.log('survived'), 300); }, 50);`);
    expect(closed.stdout).not.toContain('survived');
    expect(closed.status).toBeNull();
  });

  itWhen(hasAddon)('bad arguments throw instead of watching', () => {
    const r = node(`
      for (const args of [[0, () => {}], [9, () => {}], [1000, () => {}], [${SIGNUMS.JSON}]]) {
        try { new a.SignalWatch(...args); console.log('accepted ' + args[0]); } catch (e) { console.log('refused ' + e.constructor.name); }
      }`);
    expect(r.stdout.trim().split('\n')).toEqual(['refused RangeError', 'refused RangeError', 'refused RangeError', 'refused TypeError']);
  });
});
