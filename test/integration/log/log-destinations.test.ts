// The daemon's log destinations over real unix datagram sockets (a python3 listener stands in
// for the syslog daemon and for systemd's notify socket): syslog lines in glibc's format with
// keepalived's idents and the -S facility, -G, the console fallback when there is no syslog
// socket, --log-format json, and the sd_notify messages. The daemon end to end, beside
// keepalived 2.2.7 on a private /dev/log, is in syslog.test.ts.
import { describe, expect } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { daemonLogger } from '../../../src/core/daemon-logger.js';
import { SdNotifier } from '../../../src/core/sd-notify.js';
import { withIdent, memoryLogger } from '../../../src/lib/log.js';
import { nativeUnavailable } from '../../../src/net/native.js';
import { itWhen, PYTHON, runs } from '../../helpers/require.js';
import { listenDgram, type DgramListener } from '../../helpers/dgram-listener.js';

const hasPython = runs(PYTHON, ['-c', 'import socket'], 'python3 missing (apt-get install python3)');
const it = itWhen(hasPython, () => nativeUnavailable());
// glibc syslog(): "<PRI>Mmm dd hh:mm:ss IDENT[PID]: MSG".
const LINE = /^<(\d+)>([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) (\w+)\[(\d+)\]: (.*)$/s;

async function withDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'kt-logdest-'));
  try {
    return await body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `body` with a listener bound at `name` in a fresh directory, once it is ready; closes it afterwards. */
function withListener<T>(name: string, body: (l: DgramListener, dir: string) => Promise<T>): Promise<T> {
  return withDir(async (dir) => {
    const l = listenDgram(join(dir, name));
    try {
      await l.ready;
      return await body(l, dir);
    } finally {
      l.close();
    }
  });
}

describe('log destinations', () => {
  it('syslog: one datagram per line, facility from -S, severity from the level, keepalived idents, our pid', () =>
    withListener('log', async (l) => {
      const console: string[] = [];
      const log = daemonLogger({ configFile: '', configId: '', logFacility: 'local3', syslogSocket: l.path, logLevel: 'debug' }, (s) => console.push(s));
      log.info('Starting Keepalived v2.2.7');
      withIdent(log, 'Keepalived_vrrp').info({ instance: 'VI_1', from: 'BACKUP' }, '(VI_1) Entering MASTER STATE');
      withIdent(log, 'Keepalived_healthcheckers').warn('TCP connection to [192.0.2.5]:tcp:80 failed.');
      log.error(new Error('boom'), 'Checker failed');
      log.debug('two\nlines');
      await l.waitFor((t) => t.endsWith('lines'));
      const got = l.datagrams().map((d) => LINE.exec(d.text)?.slice(1));
      // local3 = 19: 19*8 + info 6 = 158 (what keepalived -S 3 sends), + warning 4 = 156, + err 3 = 155, + debug 7 = 159.
      expect(got.map((g) => g && [g[0], g[2], g[3], g[4]])).toEqual([
        ['158', 'Keepalived', String(process.pid), 'Starting Keepalived v2.2.7'],
        ['158', 'Keepalived_vrrp', String(process.pid), '(VI_1) Entering MASTER STATE'],
        ['156', 'Keepalived_healthcheckers', String(process.pid), 'TCP connection to [192.0.2.5]:tcp:80 failed.'],
        ['155', 'Keepalived', String(process.pid), 'Checker failed: boom'],
        ['159', 'Keepalived', String(process.pid), 'two'],
        ['159', 'Keepalived', String(process.pid), 'lines'],
      ]);
      // The time stamp is local time now (glibc's %h %e %T), within a few seconds.
      const stamp = got[0]![1]!;
      const now = new Date();
      const parsed = new Date(`${stamp} ${now.getFullYear()}`);
      expect(Math.abs(parsed.getTime() - now.getTime())).toBeLessThan(10_000);
      // No -l: nothing on the console.
      expect(console).toEqual([]);
    }),
  );

  it('-G sends nothing to syslog; -l and -g get text lines, --log-format json JSON lines with the ident', () =>
    withListener('log', async (l, dir) => {
      const text: string[] = [];
      const file = join(dir, 'k.log');
      const quiet = daemonLogger({ configFile: '', configId: '', noSyslog: true, syslogSocket: l.path, logConsole: true, logFile: file }, (s) => text.push(s));
      withIdent(quiet, 'Keepalived_vrrp').info({ instance: 'VI_1' }, '(VI_1) Entering BACKUP STATE');
      expect(text).toHaveLength(1);
      expect(text[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO \(VI_1\) Entering BACKUP STATE instance=VI_1\n$/);
      expect(readFileSync(file, 'utf8')).toBe(text[0]);

      const json: string[] = [];
      const jlog = daemonLogger({ configFile: '', configId: '', syslogSocket: l.path, logConsole: true, logFormat: 'json' }, (s) => json.push(s));
      withIdent(jlog, 'Keepalived_vrrp').info({ instance: 'VI_1' }, '(VI_1) Entering MASTER STATE');
      const rec = JSON.parse(json[0]!) as Record<string, unknown>;
      expect(rec).toMatchObject({ level: 30, pid: process.pid, ident: 'Keepalived_vrrp', instance: 'VI_1', msg: '(VI_1) Entering MASTER STATE' });
      // The JSON logger also sent its line to syslog; the -G one did not.
      await l.waitFor((t) => t.includes('Entering MASTER STATE'));
      expect(l.datagrams().map((d) => LINE.exec(d.text)?.[5])).toEqual(['(VI_1) Entering MASTER STATE']);
    }),
  );

  it('no syslog socket: one line says so and the console takes over', () =>
    withDir(async (dir) => {
      const out: string[] = [];
      const log = daemonLogger({ configFile: '', configId: '', syslogSocket: join(dir, 'absent') }, (s) => out.push(s));
      log.info('(VI_1) Entering MASTER STATE');
      log.info('second');
      expect(out).toHaveLength(3);
      expect(out[0]).toBe(`keepalived-ts: cannot log to syslog socket ${join(dir, 'absent')} (ENOENT): logging to the console (stderr) instead\n`);
      expect(out[1]).toMatch(/ INFO \(VI_1\) Entering MASTER STATE\n$/);
      expect(out[2]).toMatch(/ INFO second\n$/);
      // With -l the console has every line already: no notice, the same lines.
      const withL: string[] = [];
      const l = daemonLogger({ configFile: '', configId: '', logConsole: true, syslogSocket: join(dir, 'absent') }, (x) => withL.push(x));
      l.info('only');
      expect(withL).toHaveLength(1);
      expect(withL[0]).toMatch(/ INFO only\n$/);
    }),
  );

  it('a syslog daemon that stops reading: lines wait in order (no advert waits for it) and all arrive once it reads again', () =>
    // A receiver still stopped at the end is killed all the same (SIGKILL ends a stopped process).
    withListener('log', async (l) => {
      const console: string[] = [];
      const log = daemonLogger({ configFile: '', configId: '', syslogSocket: l.path }, (s) => console.push(s));
      l.pause();
      const t0 = performance.now();
      for (let i = 0; i < 200; i++) log.info(`line ${i}`);
      // 200 lines while the receiver is stopped: its socket queues a few, ours the rest; no call blocked.
      expect(performance.now() - t0).toBeLessThan(2000);
      l.resume();
      await l.waitFor((t) => t.endsWith(': line 199'), 15_000);
      expect(l.datagrams().map((d) => / (line \d+)$/.exec(d.text)?.[1])).toEqual(Array.from({ length: 200 }, (_, i) => `line ${i}`));
      expect(console).toEqual([]);
    }),
  );

  it('a syslog daemon that restarts (new socket at the same path) gets the next line', () =>
    withListener('log', async (first) => {
      const log = daemonLogger({ configFile: '', configId: '', syslogSocket: first.path }, () => {});
      log.info('before');
      await first.waitFor((t) => t.endsWith('before'));
      first.close();
      const l = listenDgram(first.path);
      try {
        await l.ready;
        log.info('after');
        await l.waitFor((t) => t.endsWith(': after'), 5000);
      } finally {
        l.close();
      }
    }),
  );
});

describe('sd_notify', () => {
  it('READY=1 with STATUS, WATCHDOG=1 at half WATCHDOG_USEC, RELOADING=1 with MONOTONIC_USEC, STOPPING=1; the variables leave the environment', () =>
    withListener('notify', async (l) => {
      const { log, records } = memoryLogger();
      const env: NodeJS.ProcessEnv = { NOTIFY_SOCKET: l.path, WATCHDOG_USEC: '200000', WATCHDOG_PID: String(process.pid), KEEP: '1' };
      const sd = SdNotifier.fromEnv(log, env);
      expect(env).toEqual({ KEEP: '1' });
      expect(sd.active).toBe(true);
      sd.ready('Running 1 VRRP instance(s)');
      await l.waitFor((t) => t === 'READY=1\nSTATUS=Running 1 VRRP instance(s)');
      // 100 ms pings: several within 700 ms (generous: the machine is shared).
      await new Promise((r) => setTimeout(r, 700));
      expect(l.datagrams().filter((d) => d.text === 'WATCHDOG=1').length).toBeGreaterThanOrEqual(3);
      const before = process.hrtime.bigint() / 1000n;
      sd.reloading();
      const r = await l.waitFor((t) => t.startsWith('RELOADING=1'));
      const usec = BigInt(/MONOTONIC_USEC=(\d+)/.exec(r.text)![1]!);
      expect(usec >= before && usec <= process.hrtime.bigint() / 1000n).toBe(true);
      sd.stopping();
      await l.waitFor((t) => t.startsWith('STOPPING=1'));
      const n = l.datagrams().length;
      await new Promise((res) => setTimeout(res, 300));
      // The watchdog stopped with STOPPING=1.
      expect(l.datagrams().slice(n).filter((d) => d.text === 'WATCHDOG=1')).toEqual([]);
      sd.close();
      expect(records).toEqual([]);
    }),
  );

  it('no watchdog for another pid; no socket: nothing sent; a dead socket: one warning', () =>
    withListener('notify', async (l, dir) => {
      const { log, records } = memoryLogger();
      const sd = SdNotifier.fromEnv(log, { NOTIFY_SOCKET: l.path, WATCHDOG_USEC: '100000', WATCHDOG_PID: '1' });
      sd.ready('up');
      await l.waitFor((t) => t.startsWith('READY=1'));
      await new Promise((r) => setTimeout(r, 300));
      expect(l.datagrams().map((d) => d.text)).toEqual(['READY=1\nSTATUS=up']);
      sd.close();
      const none = SdNotifier.fromEnv(log, {});
      expect(none.active).toBe(false);
      none.ready('x');
      const dead = SdNotifier.fromEnv(log, { NOTIFY_SOCKET: join(dir, 'gone') });
      expect(dead.active).toBe(false);
      expect(records.map((x) => x.msg)).toEqual([`systemd notify socket ${join(dir, 'gone')}: ENOENT - readiness is not reported`]);
    }),
  );
});
