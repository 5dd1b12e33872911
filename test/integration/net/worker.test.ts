// The addon is context-aware: it loads in several worker threads at once (each with its own
// event loop), its sockets deliver there, and a worker torn down with a socket still polling
// exits cleanly (the env cleanup hook closes the uv_poll handle). Uses only netlink link
// dumps: read-only requests to the kernel, nothing is sent on any network.
import { describe, expect } from 'vitest';
import { Worker } from 'node:worker_threads';
import { spawnSync } from 'node:child_process';
import { findAddon, loadNative, nativeUnavailable } from '../../../src/net/native.js';
import { itWhen } from '../../helpers/require.js';

const hasAddon = () => nativeUnavailable();

// Worker body (CommonJS, eval): dump the links through the addon, close, report the count.
const DUMP_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const addon = require(workerData.path);
const s = new addon.Socket(addon.kinds.netlink, { groups: 0 });
const req = Buffer.alloc(20);
req.writeUInt32LE(20, 0); req.writeUInt16LE(18, 4); req.writeUInt16LE(0x301, 6); req.writeUInt32LE(workerData.seq, 8);
let links = 0;
s.start((buf) => {
  if (!buf) return;
  let done = false;
  for (let off = 0; off + 16 <= buf.length; ) {
    const len = buf.readUInt32LE(off), type = buf.readUInt16LE(off + 4), seq = buf.readUInt32LE(off + 8);
    if (seq === workerData.seq && type === 3) done = true;
    if (seq === workerData.seq && type === 16) links++;
    off += (len + 3) & ~3;
  }
  if (done) { s.close(); parentPort.postMessage({ links, seq: workerData.seq }); }
});
s.send(req);
`;

function runDumpWorker(seq: number): Promise<{ links: number; seq: number; exitCode: number }> {
  return new Promise((resolve, reject) => {
    const w = new Worker(DUMP_WORKER, { eval: true, workerData: { path: findAddon(), seq } });
    let result: { links: number; seq: number } | undefined;
    w.on('message', (m) => (result = m));
    w.on('error', reject);
    // No terminate(): the worker must end by itself once its socket is closed.
    w.on('exit', (code) => (result ? resolve({ ...result, exitCode: code }) : reject(new Error(`worker exited ${code} without result`))));
  });
}

describe('native addon in worker threads', () => {
  itWhen(hasAddon)('loads and delivers in three workers at once and in the main thread; workers exit on their own', async () => {
    const main = loadNative();
    expect(main.ifNameToIndex('lo')).toBe(1);
    const results = await Promise.all([101, 202, 303].map((s) => runDumpWorker(s)));
    for (const [i, r] of results.entries()) {
      expect(r.seq).toBe([101, 202, 303][i]);
      expect(r.links).toBeGreaterThan(0); // at least lo
      expect(r.exitCode).toBe(0);
    }
  });

  itWhen(hasAddon)('terminating a worker whose socket is still polling does not crash the process', () => {
    // In a child process: a failure here would be an abort (uv_loop_close with open handles).
    const script = `
      const { Worker } = require('node:worker_threads');
      const body = "const { parentPort, workerData } = require('node:worker_threads');" +
        "const a = require(workerData.path);" +
        "const s = new a.Socket(a.kinds.netlink, { groups: 1 }); s.start(() => {});" +
        "const s2 = new a.Socket(a.kinds.netlink, { groups: 0 }); s2.start(() => {});" +
        "parentPort.postMessage('polling');";
      const w = new Worker(body, { eval: true, workerData: { path: ${JSON.stringify(findAddon())} } });
      w.on('message', () => w.terminate().then((code) => { console.log('terminated ' + code); }));
      w.on('error', (e) => { console.log('error ' + e.message); process.exitCode = 3; });
    `;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(r.signal).toBeNull();
    expect(r.stdout).toContain('terminated 1');
    expect(r.status).toBe(0);
  });

  itWhen(hasAddon)('syscall failures are Errors with code and errno; a closed socket refuses to send', () => {
    const a = loadNative();
    const s = new a.Socket(a.kinds.netlink, { groups: 0 });
    s.close();
    s.close(); // idempotent
    expect(() => s.send(new Uint8Array(16))).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
    // Netlink family 31 does not exist: socket() fails with EPROTONOSUPPORT.
    let err: unknown;
    try {
      new a.Socket(a.kinds.netlink, { protocol: 31 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ code: 'EPROTONOSUPPORT', errno: 93, syscall: 'socket(AF_NETLINK)' });
  });
});
