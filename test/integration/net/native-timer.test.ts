// The addon's timerfd one-shot timer (native/timer.cc), checked in child processes so that the
// event-loop life rules (ref, unref, close) are seen by a fresh Node. No network traffic.
import { describe, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { findAddon, nativeUnavailable } from '../../../src/net/native.js';
import { itWhen } from '../../helpers/require.js';

const hasAddon = () => nativeUnavailable();

function node(script: string): { status: number | null; stdout: string; stderr: string } {
  const prelude = `const a = require(${JSON.stringify(findAddon())});\n`;
  const r = spawnSync(process.execPath, ['-e', prelude + script], { encoding: 'utf8', timeout: 15_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('native one-shot timer', () => {
  itWhen(hasAddon)('fires once and not before its delay', () => {
    const r = node(`
      let n = 0;
      const t0 = performance.now();
      const t = new a.Timer(() => { n++; console.log('fired ' + (performance.now() - t0).toFixed(3)); });
      t.arm(50.5);
      // Alive for 300 ms more by a ref'd timer: a second firing would show.
      setTimeout(() => { console.log('count ' + n); t.close(); }, 300);
    `);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const fired = r.stdout.split('\n').filter((l) => l.startsWith('fired '));
    expect(fired).toHaveLength(1);
    const at = Number(fired[0]!.slice(6));
    // The kernel never wakes a timerfd early; the upper bound is only a sanity check.
    expect(at).toBeGreaterThanOrEqual(50.5);
    expect(at).toBeLessThan(250);
    expect(r.stdout).toContain('count 1');
    console.log(`timerfd lateness for a 50.5 ms arm: ${(at - 50.5).toFixed(3)} ms`);
  });

  itWhen(hasAddon)('an armed timer holds the loop open; unref() lets the process exit; disarm() releases it', () => {
    const held = node(`const t0 = performance.now(); const t = new a.Timer(() => console.log('fired ' + Math.round(performance.now() - t0))); t.arm(200);`);
    expect(held.status).toBe(0);
    expect(held.stdout).toMatch(/^fired (\d+)/);
    expect(Number(/^fired (\d+)/.exec(held.stdout)![1])).toBeGreaterThanOrEqual(200);

    const unrefd = node(`const t = new a.Timer(() => console.log('fired')); t.unref(); t.arm(5000); console.log('end');`);
    expect(unrefd.status).toBe(0);
    expect(unrefd.stdout).toBe('end\n');

    const disarmed = node(`const t = new a.Timer(() => console.log('fired')); t.arm(5000); t.disarm(); console.log('end');`);
    expect(disarmed.status).toBe(0);
    expect(disarmed.stdout).toBe('end\n');
  });

  itWhen(hasAddon)('re-arming replaces the deadline; the callback may re-arm; disarm() prevents a firing', () => {
    const r = node(`
      const t0 = performance.now();
      const log = [];
      let again = true;
      const t = new a.Timer(() => {
        log.push(Math.round(performance.now() - t0));
        if (again) { again = false; t.arm(30); }
      });
      t.arm(1000);
      t.arm(20);          // replaces the 1000 ms deadline
      const u = new a.Timer(() => log.push('u'));
      u.arm(40);
      u.disarm();         // never fires
      setTimeout(() => { console.log(JSON.stringify(log)); t.close(); u.close(); }, 400);
    `);
    expect(r.stderr).toBe('');
    const log = JSON.parse(r.stdout) as (number | string)[];
    expect(log).toHaveLength(2);
    expect(log[0]).toBeGreaterThanOrEqual(20);
    expect(log[0]).toBeLessThan(300);
    expect(log[1]).toBeGreaterThanOrEqual(50);
  });

  itWhen(hasAddon)('a zero delay fires on the next loop turn; bad delays and arms after close() are errors with codes', () => {
    const r = node(`
      const out = [];
      const t = new a.Timer(() => { out.push('fired'); finish(); });
      t.arm(0);
      out.push('armed');
      function finish() {
        for (const bad of [-1, NaN, Infinity, '5']) {
          try { t.arm(bad); out.push('accepted ' + String(bad)); } catch (e) { out.push(e.name); }
        }
        t.close();
        t.close();
        try { t.arm(1); } catch (e) { out.push(e.code); }
        try { new a.Timer(5); } catch (e) { out.push(e.name); }
        console.log(JSON.stringify(out));
      }
    `);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(['armed', 'fired', 'RangeError', 'RangeError', 'RangeError', 'TypeError', 'ERR_TIMER_CLOSED', 'TypeError']);
  });

  itWhen(hasAddon)('an exception thrown by the callback reaches uncaughtException and the timer can be armed again', () => {
    const r = node(`
      let n = 0;
      process.on('uncaughtException', (e) => { console.log('uncaught ' + e.message); t.arm(5); });
      const t = new a.Timer(() => { n++; if (n === 1) throw new Error('boom'); console.log('second'); t.close(); });
      t.arm(5);
    `);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('uncaught boom\nsecond\n');
  });
});
