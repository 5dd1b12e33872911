// The control socket server on real unix sockets in a temp dir: the socket's mode, what happens
// to a stale socket, a live one and a path that is not a socket, requests and their errors,
// one reload at a time, a failing handler, and the bounds (long lines, bad lines, clients).
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlServer, ControlSocketError, type ControlHandlers } from '../../../src/core/control-server.js';
import { defaultControlSocket, parseRequest, type ReloadResult } from '../../../src/core/control-protocol.js';
import { controlSocketPath } from '../../../src/core/control-plane.js';
import { request } from '../../../src/cli/status.js';
import { memoryLogger } from '../../../src/lib/log.js';
import { rawExchange } from '../../helpers/unix-exchange.js';

const dirs: string[] = [];
const servers: ControlServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'kt-ctl-'));
  dirs.push(d);
  return d;
}

async function open(path: string, handlers: Partial<ControlHandlers> = {}, extra: { maxClients?: number } = {}) {
  const { log, records } = memoryLogger('debug');
  const s = await ControlServer.open({
    path,
    log,
    handlers: { status: handlers.status ?? (() => ({ hello: 'world' })), reload: handlers.reload ?? (() => Promise.resolve({ outcome: 'unchanged', diagnostics: [], changes: [] })) },
    ...extra,
  });
  servers.push(s);
  return { s, records };
}

/** Raw bytes in; the answer lines and whether the server closed the connection within `ms`. */
const raw = (path: string, payload: string | Buffer, ms = 500) => rawExchange(path, payload, ms);

describe('control socket path', () => {
  it('is derived from the pid file, so two pid files give two sockets', () => {
    expect(defaultControlSocket('/run/keepalived.pid')).toBe('/run/keepalived-ts.ctl');
    expect(defaultControlSocket('/var/run/lb2/keepalived.pid')).toBe('/var/run/lb2/keepalived-ts.ctl');
    expect(defaultControlSocket('/tmp/kp')).toBe('/tmp/kp-ts.ctl');
    expect(defaultControlSocket('/run/a.pid')).not.toBe(defaultControlSocket('/run/b.pid'));
    expect(controlSocketPath({ pidFile: '/run/a.pid' })).toBe('/run/a-ts.ctl');
    expect(controlSocketPath({ pidFile: '/run/a.pid', controlSocket: '/x.sock' })).toBe('/x.sock');
    expect(controlSocketPath({ pidFile: '/run/a.pid', controlSocket: false })).toBeUndefined();
    expect(controlSocketPath({})).toBeUndefined();
  });
});

describe('parseRequest', () => {
  it('accepts the commands, with an optional id, and refuses everything else with a code', () => {
    expect(parseRequest('{"cmd":"status"}')).toEqual({ ok: true, request: { cmd: 'status' } });
    expect(parseRequest('{"cmd":"reload","id":"r1"}')).toEqual({ ok: true, request: { cmd: 'reload', id: 'r1' } });
    expect(parseRequest('status')).toMatchObject({ ok: false, code: 'bad-json' });
    expect(parseRequest('[1]')).toMatchObject({ ok: false, code: 'bad-request' });
    expect(parseRequest('null')).toMatchObject({ ok: false, code: 'bad-request' });
    expect(parseRequest('{"id":3}')).toMatchObject({ ok: false, code: 'bad-request', id: 3 });
    expect(parseRequest('{"cmd":"status","id":{}}')).toMatchObject({ ok: false, code: 'bad-request' });
    expect(parseRequest('{"cmd":"halt"}')).toMatchObject({ ok: false, code: 'unknown-command' });
  });
});

describe('ControlServer', () => {
  it('listens with mode 0600 and answers status, ping and reload; the file goes at close', async () => {
    const path = join(tmp(), 'k-ts.ctl');
    const { s } = await open(path, { status: () => ({ n: 42 }), reload: () => Promise.resolve({ outcome: 'applied', diagnostics: [], changes: ['VI_1: priority 100 -> 120'] }) });
    const st = statSync(path);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    expect(await request(path, { cmd: 'status', id: 1 }, 2000)).toEqual({ ok: true, v: 1, id: 1, cmd: 'status', status: { n: 42 } });
    expect(await request(path, { cmd: 'ping' }, 2000)).toEqual({ ok: true, v: 1, cmd: 'ping', pid: process.pid });
    expect(await request(path, { cmd: 'reload' }, 2000)).toMatchObject({ ok: true, cmd: 'reload', reload: { outcome: 'applied', changes: ['VI_1: priority 100 -> 120'] } });
    await s.close();
    expect(() => statSync(path)).toThrow();
  });

  it('replaces a stale socket file, refuses a live socket and a path that is not a socket', async () => {
    const d = tmp();
    const stale = join(d, 'stale.ctl');
    // A socket bound but never listening: what a daemon killed with SIGKILL leaves behind (connect is refused).
    const py = spawnSync('python3', ['-c', `import socket; s=socket.socket(socket.AF_UNIX); s.bind(${JSON.stringify(stale)})`]);
    expect(py.status).toBe(0);
    expect(statSync(stale).isSocket()).toBe(true);
    await open(stale);
    expect(await request(stale, { cmd: 'ping' }, 2000)).toMatchObject({ ok: true });

    const live = join(d, 'live.ctl');
    await open(live);
    const second = ControlServer.open({ path: live, log: memoryLogger('debug').log, handlers: { status: () => 1, reload: () => Promise.reject(new Error('x')) } });
    await expect(second).rejects.toBeInstanceOf(ControlSocketError);
    await expect(second).rejects.toMatchObject({ code: 'IN-USE' });
    expect(await request(live, { cmd: 'ping' }, 2000)).toMatchObject({ ok: true, pid: process.pid });

    const file = join(d, 'file.ctl');
    writeFileSync(file, 'not a socket');
    await expect(ControlServer.open({ path: file, log: memoryLogger('debug').log, handlers: { status: () => 1, reload: () => Promise.reject(new Error('x')) } })).rejects.toMatchObject({ code: 'NOT-SOCKET' });
  });

  it('answers garbage with an error and keeps serving; too many bad lines or an over-long line close the connection', async () => {
    const path = join(tmp(), 'k-ts.ctl');
    const { records } = await open(path);
    const g = await raw(path, '\u0000\u0001garbage\n\n{"cmd":"status"}\r\n');
    expect(g.lines.map((l) => JSON.parse(l) as { ok: boolean })).toMatchObject([{ ok: false, error: { code: 'bad-json' } }, { ok: true, status: { hello: 'world' } }]);
    expect(g.closed).toBe(false);
    const bad = await raw(path, '{}\n'.repeat(30));
    expect(bad.lines).toHaveLength(8);
    expect(bad.closed).toBe(true);
    const long = await raw(path, 'a'.repeat(100_000));
    expect(long.lines.map((l) => JSON.parse(l) as unknown)).toMatchObject([{ ok: false, error: { code: 'too-long' } }]);
    expect(long.closed).toBe(true);
    const longLine = await raw(path, 'b'.repeat(5000) + '\n{"cmd":"ping"}\n');
    expect(longLine.lines.map((l) => JSON.parse(l) as unknown)).toMatchObject([{ ok: false, error: { code: 'too-long' } }]);
    // Counted and logged, rate-limited (one line per reason per 10 s here).
    const warned = records.filter((r) => String(r.msg).startsWith('control socket: refused a request'));
    expect(warned.length).toBeGreaterThan(0);
    expect(warned.length).toBeLessThanOrEqual(3);
    expect(await request(path, { cmd: 'ping' }, 2000)).toMatchObject({ ok: true });
  });

  it('runs one reload at a time (a second is answered busy) and reports a failing handler as an internal error', async () => {
    const path = join(tmp(), 'k-ts.ctl');
    let finish!: (r: ReloadResult) => void;
    await open(path, {
      reload: () => new Promise((r) => (finish = r)),
      status: () => {
        throw new Error('snapshot failed');
      },
    });
    const first = request(path, { cmd: 'reload' }, 5000);
    await new Promise((r) => setTimeout(r, 100));
    expect(await request(path, { cmd: 'reload' }, 2000)).toMatchObject({ ok: false, error: { code: 'busy' } });
    finish({ outcome: 'rejected', diagnostics: ['k.conf:3:5: error: bad'], changes: [] });
    expect(await first).toMatchObject({ ok: true, reload: { outcome: 'rejected', diagnostics: ['k.conf:3:5: error: bad'] } });
    expect(await request(path, { cmd: 'status' }, 2000)).toMatchObject({ ok: false, error: { code: 'internal', message: 'status failed: snapshot failed' } });
  });

  it('serves at most maxClients connections at once; the others are answered busy and closed', async () => {
    const path = join(tmp(), 'k-ts.ctl');
    await open(path, {}, { maxClients: 2 });
    const holders = [createConnection({ path }), createConnection({ path })];
    await Promise.all(holders.map((h) => new Promise((r) => h.once('connect', r))));
    await new Promise((r) => setTimeout(r, 50));
    const third = await raw(path, '{"cmd":"ping"}\n');
    expect(third.lines.map((l) => JSON.parse(l) as unknown)).toMatchObject([{ ok: false, error: { code: 'busy' } }]);
    expect(third.closed).toBe(true);
    for (const h of holders) h.destroy();
    await new Promise((r) => setTimeout(r, 50));
    expect(await request(path, { cmd: 'ping' }, 2000)).toMatchObject({ ok: true });
  });

  it('a client that pipelines many requests gets every answer, in order', async () => {
    const path = join(tmp(), 'k-ts.ctl');
    await open(path);
    const r = await raw(path, Array.from({ length: 200 }, (_, i) => JSON.stringify({ cmd: 'ping', id: i })).join('\n') + '\n', 1500);
    expect(r.lines.map((l) => (JSON.parse(l) as { id: number }).id)).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });
});
