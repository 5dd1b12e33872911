// Event-loop semantics of the addon's sockets, checked in child processes (each is a fresh
// Node). Only netlink requests to the kernel are used: nothing is sent on any network.
import { describe, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { findAddon, nativeUnavailable } from '../../../src/net/native.js';
import { itWhen } from '../../helpers/require.js';

const hasAddon = () => nativeUnavailable();

function node(script: string): { status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; ms: number } {
  const t0 = performance.now();
  const prelude = `const a = require(${JSON.stringify(findAddon())});
const dump = (seq) => { const r = Buffer.alloc(20); r.writeUInt32LE(20, 0); r.writeUInt16LE(18, 4); r.writeUInt16LE(0x301, 6); r.writeUInt32LE(seq, 8); return r; };
`;
  const r = spawnSync(process.execPath, ['-e', prelude + script], { encoding: 'utf8', timeout: 15_000 });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - t0 };
}

describe('addon event-loop semantics', () => {
  itWhen(hasAddon)('a polling socket keeps the process alive until close(); unref() does not', () => {
    // Closed after the first reply: exits by itself.
    const closed = node(`const s = new a.Socket(a.kinds.netlink, {}); s.start((b) => { if (b) { console.log('got'); s.close(); } }); s.send(dump(1));`);
    expect(closed.status).toBe(0);
    expect(closed.stdout).toContain('got');
    // Unref'd while polling: exits although the socket is open.
    const unrefd = node(`const s = new a.Socket(a.kinds.netlink, { groups: 1 }); s.start(() => {}); s.unref(); console.log('end');`);
    expect(unrefd.status).toBe(0);
    // Polling and ref'd: still alive after 1 s (killed by the timer we set).
    const alive = node(`const s = new a.Socket(a.kinds.netlink, { groups: 1 }); s.start(() => {}); setTimeout(() => { console.log('alive'); process.exit(7); }, 1000).unref();`);
    expect(alive.stdout).toContain('alive');
    expect(alive.status).toBe(7);
  });

  itWhen(hasAddon)('an exception thrown by a receive handler reaches uncaughtException and the socket keeps working', () => {
    const r = node(`
      let n = 0;
      process.on('uncaughtException', (e) => { console.log('uncaught ' + e.message); });
      const s = new a.Socket(a.kinds.netlink, {});
      s.start((b) => {
        if (!b) return;
        const type = b.readUInt16LE(4), seq = b.readUInt32LE(8);
        if (type !== 3) return; // wait for NLMSG_DONE of each dump
        n++;
        if (seq === 1) { s.send(dump(2)); throw new Error('boom'); }
        console.log('second dump done ' + n); s.close();
      });
      s.send(dump(1));`);
    expect(r.signal).toBeNull();
    expect(r.stdout).toContain('uncaught boom');
    expect(r.stdout).toContain('second dump done 2');
    expect(r.status).toBe(0);
  });

  itWhen(hasAddon)('without a handler, such an exception ends the process like any uncaught error', () => {
    const r = node(`const s = new a.Socket(a.kinds.netlink, {}); s.start((b) => { throw new Error('unhandled-in-recv'); }); s.send(dump(1));`);
    expect(r.signal).toBeNull();
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('unhandled-in-recv');
  });
});
