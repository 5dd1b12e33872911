// TCP_CHECK and MISC_CHECK against real things: TCP listeners on loopback (one accepting, one
// refusing, one whose accept queue is full so SYNs go unanswered), real scripts (exit codes,
// misc_dynamic, a hang killed at misc_timeout), real notify_up / notify_down scripts, the
// engine in the checker worker thread. No IPVS is needed: the checkers report their results
// through logs, notify scripts, FIFO lines and the HealthSource.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { prepareCheckerScripts } from '../../../src/check/checker-scripts.js';
import { HealthEngine } from '../../../src/check/engine.js';
import type { RealServerHealth } from '../../../src/check/health.js';
import { buildCheckPlan, notRunWarnings } from '../../../src/check/plan.js';
import { NodeProber } from '../../../src/check/probes.js';
import { CheckerHost, type CheckerTransport } from '../../../src/check/checker-host.js';
import { systemClock } from '../../../src/lib/clock.js';
import { RealTimers } from '../../../src/lib/timers.js';
import { NodeProcessRunner } from '../../../src/notify/process-runner.js';
import { nodeSecurityFs, parseUserDb } from '../../../src/notify/script-security.js';
import { modelOf } from '../../helpers/config-model.js';
import { pollFor } from '../../helpers/script-dir.js';
import { isRoot, itWhen, type Prereq } from '../../helpers/require.js';

const hasPython: Prereq = () => (existsSync('/usr/bin/python3') ? undefined : 'python3 not installed (listener that never accepts)');

let dir: string;
const servers: Server[] = [];
const children: ChildProcess[] = [];

function listen(host: string, onConn?: (s: Socket) => void): Promise<Server> {
  return new Promise((resolve) => {
    const srv = createServer((s) => {
      onConn?.(s);
      s.destroy();
    });
    srv.listen(0, host, () => resolve(srv));
    servers.push(srv);
  });
}
const portOf = (s: Server): number => (s.address() as { port: number }).port;

/** A port nobody listens on (bound, then closed): connects are refused. */
async function refusedPort(host: string): Promise<number> {
  const s = await listen(host);
  const p = portOf(s);
  await new Promise((r) => s.close(r));
  return p;
}

/**
 * A listener that never accepts, with backlog 0, whose accept queue is then filled: the kernel
 * drops further SYNs (tcp_abort_on_overflow 0), so a connect gets no answer at all.
 */
async function silentPort(host: string): Promise<number> {
  const py = spawn('python3', ['-c', `import socket,sys,time\ns=socket.socket()\ns.bind(('${host}',0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(600)`], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(py);
  const port = await new Promise<number>((resolve) => py.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
  // Fill the queue: each connection completes in the kernel and waits there, never accepted.
  for (let i = 0; i < 3; i++) {
    const s = new Socket();
    s.on('error', () => undefined);
    s.connect(port, host);
    await new Promise((r) => setTimeout(r, 100));
  }
  return port;
}

function script(name: string, body: string): string {
  const p = join(dir, name);
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o755);
  return p;
}

const scriptEnv = () => ({ db: parseUserDb(readFileSync('/etc/passwd', 'utf8'), readFileSync('/etc/group', 'utf8')), fs: nodeSecurityFs, path: process.env.PATH });

/** The model of a test config, read as `keepalived.conf` in the test's directory. */
const model = (text: string) => modelOf(text, join(dir, 'keepalived.conf'));
const until = (what: () => boolean, ms: number) => pollFor(what, ms, 25);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kt-check-'));
});
afterAll(() => {
  for (const s of servers) s.close();
  for (const c of children) if (c.pid !== undefined && c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('health checkers against real listeners and scripts', () => {
  for (const transport of ['process', 'thread'] as CheckerTransport[]) {
    itWhen(isRoot, hasPython)(
      `checker ${transport}: accept = up, refuse = down, silence = down at connect_timeout, misc exit codes and timeout, notify scripts and FIFO lines`,
      async () => {
        const accepting = await listen('127.0.0.1');
        const pA = portOf(accepting);
        const pB = await refusedPort('127.0.0.1');
        const pC = await silentPort('127.0.0.1');
        const calls = join(dir, `calls-${transport}.txt`);
        const notify = script('notify.sh', `echo "$*" >> ${calls}`);
        const dyn = script('dyn.sh', 'exit 7');
        const hang = script('hang.sh', 'exec sleep 30');
        const text = `
  virtual_server 192.0.2.1 80 {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 127.0.0.1 ${pA} {
      notify_up "${notify} up A"
      notify_down "${notify} down A"
      TCP_CHECK {
        connect_timeout 1
        retry 0
        warmup 0
      }
    }
    real_server 127.0.0.1 ${pB} {
      notify_down "${notify} down B"
      TCP_CHECK {
        connect_timeout 1
        warmup 0
      }
    }
    real_server 127.0.0.1 ${pC} {
      notify_down "${notify} down C"
      TCP_CHECK {
        connect_timeout 1
        warmup 0
      }
    }
    real_server 127.0.0.2 1 {
      MISC_CHECK {
        misc_path "${dyn}"
        misc_dynamic
        warmup 0
      }
    }
    real_server 127.0.0.3 1 {
      notify_down "${notify} down hang"
      MISC_CHECK {
        misc_path "${hang}"
        misc_timeout 1
        warmup 0
      }
    }
    real_server 127.0.0.4 80 {
      HTTP_GET {
        url {
          path /
          regex "x"
          regex_options extended
        }
      }
    }
  }
  `;
        const m = model(text);
        const logs: string[] = [];
        const log = { info: (s: unknown) => logs.push(String(s)), warn: (s: unknown) => logs.push(String(s)), error: (s: unknown) => logs.push(String(s)) };
        const plan = buildCheckPlan(m, { scripts: prepareCheckerScripts(m, scriptEnv()) });
        const fifo: string[] = [];
        const src = new CheckerHost({ plan, log, onFifoLine: (l) => fifo.push(l), transport });
        const changes: RealServerHealth[] = [];
        src.onChange((h) => changes.push(h));
        const key = (host: string, port: number) => `tcp|192.0.2.1|80#${host}|${port}`;
        try {
          await src.start();
          expect(src.checkerId).toBeGreaterThan(0);
          if (transport === 'process') expect(src.checkerId).not.toBe(process.pid);
          const settled = () =>
            src.current().get(key('127.0.0.1', pC))?.up === false && src.current().get(key('127.0.0.3', 1))?.up === false && src.current().get(key('127.0.0.2', 1))?.weight === 5;
          expect(await until(settled, 8000)).toBe(true);
          const h = src.current();
          expect(h.get(key('127.0.0.1', pA))).toMatchObject({ up: true, lastResult: 'connected' });
          expect(h.get(key('127.0.0.1', pB))).toMatchObject({ up: false, lastResult: 'ECONNREFUSED' });
          expect(h.get(key('127.0.0.1', pC))).toMatchObject({ up: false, lastResult: 'timeout' });
          expect(h.get(key('127.0.0.1', pC))!.lastLatencyMs).toBeGreaterThanOrEqual(990);
          expect(h.get(key('127.0.0.2', 1))).toMatchObject({ up: true, weight: 5, lastResult: 'exit 7' });
          expect(h.get(key('127.0.0.3', 1))).toMatchObject({ up: false, lastResult: 'timeout' });
          // The HTTP_GET is not run (a PCRE2 option with no JavaScript equivalent): counted up, as if absent.
          expect(h.get(key('127.0.0.4', 80))).toMatchObject({ up: true, checkersUp: 1, checkers: 1 });

          const vsT = '[192.0.2.1]:tcp:80';
          expect(logs).toEqual(
            expect.arrayContaining([
              `Activating healthchecker for service [127.0.0.1]:tcp:${pA} for VS ${vsT}`,
              `TCP connection to [127.0.0.1]:tcp:${pA} success.`,
              `TCP_CHECK on service [127.0.0.1]:tcp:${pB} failed.`,
              `TCP_CHECK on service [127.0.0.1]:tcp:${pC} failed.`,
              `Misc check for [[127.0.0.2]:tcp:1 VS ${vsT}] by [${dyn}] succeeded.`,
              `Changing weight from 1 to 5 for active service [127.0.0.2]:tcp:1 of VS ${vsT}`,
              `Misc check for [[127.0.0.3]:tcp:1 VS ${vsT}] by [${hang}] timed out with retry disabled.`,
            ]),
          );
          expect(fifo.sort()).toEqual(
            [`RS [127.0.0.1]:tcp:${pB} ${vsT} DOWN\n`, `RS [127.0.0.1]:tcp:${pC} ${vsT} DOWN\n`, `RS [127.0.0.3]:tcp:1 ${vsT} DOWN\n`].sort(),
          );
          expect(await until(() => existsSync(calls) && readFileSync(calls, 'utf8').split('\n').length >= 4, 3000)).toBe(true);
          expect(readFileSync(calls, 'utf8').trim().split('\n').sort()).toEqual(['down B', 'down C', 'down hang']);

          // The accepting server goes away: refused on the next check, down (retry 0), notify_down A.
          await new Promise((r) => accepting.close(r));
          expect(await until(() => src.current().get(key('127.0.0.1', pA))?.up === false, 4000)).toBe(true);
          expect(await until(() => readFileSync(calls, 'utf8').includes('down A'), 3000)).toBe(true);
          expect(fifo).toContain(`RS [127.0.0.1]:tcp:${pA} ${vsT} DOWN\n`);
          expect(changes.some((c) => c.key === key('127.0.0.1', pA) && !c.up)).toBe(true);
          expect(notRunWarnings(m)).toEqual([
            'HTTP_GET with regex_options on [127.0.0.4]:tcp:80 is not run yet by keepalived-ts (regex_options extended has no equivalent in the JavaScript regular expressions this checker uses): the real server is treated as up by this checker, as if it were not configured; its other checkers still decide',
          ]);
        } finally {
          await src.stop();
        }
        expect(src.checkerId).toBeUndefined();
      },
      30_000,
    );
  }

  itWhen(isRoot)(
    'off the VRRP thread: with the default transport, scripts are started by the checker child, not by the daemon process',
    async () => {
      const out = join(dir, 'ppid.txt');
      const who = script('who.sh', `echo $PPID > ${out}`);
      const m = model(`virtual_server 192.0.2.1 80 {\n protocol TCP\n delay_loop 1\n real_server 127.0.0.9 80 {\n  MISC_CHECK {\n   misc_path "${who}"\n   warmup 0\n  }\n }\n}\n`);
      const host = new CheckerHost({ plan: buildCheckPlan(m, { scripts: prepareCheckerScripts(m, scriptEnv()) }) });
      await host.start();
      try {
        // The shell creates the file before it writes the line: wait for the line.
        expect(await until(() => existsSync(out) && readFileSync(out, 'utf8').endsWith('\n'), 5000)).toBe(true);
        const ppid = Number(readFileSync(out, 'utf8').trim());
        expect(ppid).toBe(host.checkerId);
        expect(ppid).not.toBe(process.pid);
      } finally {
        await host.stop();
      }
    },
    15_000,
  );

  itWhen(isRoot)(
    'TCP_CHECK options: connect_ip/connect_port replace the real server, bindto/bind_port set the source; an address not on the host is a bind failure',
    async () => {
      const seen: { addr?: string; port?: number }[] = [];
      const srv = await listen('127.0.0.1', (s) => seen.push({ addr: s.remoteAddress, port: s.remotePort }));
      const p = portOf(srv);
      const bindPort = await refusedPort('127.0.0.5');
      const m = model(`
virtual_server 192.0.2.1 80 {
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 192.0.2.50 80 {
    TCP_CHECK {
      connect_ip 127.0.0.1
      connect_port ${p}
      bindto 127.0.0.5
      bind_port ${bindPort}
      connect_timeout 1
      warmup 0
    }
  }
  real_server 192.0.2.51 80 {
    TCP_CHECK {
      connect_ip 127.0.0.1
      connect_port ${p}
      bindto 198.51.100.77
      connect_timeout 1
      warmup 0
    }
  }
}
`);
      const runner = new NodeProcessRunner();
      const logs: string[] = [];
      const log = { info: (s: unknown) => logs.push(String(s)), warn: (s: unknown) => logs.push(String(s)), error: (s: unknown) => logs.push(String(s)) };
      const engine = new HealthEngine({ plan: buildCheckPlan(m, { scripts: () => undefined }), prober: new NodeProber(runner), timers: new RealTimers(systemClock), runner, log });
      await engine.start();
      try {
        expect(await until(() => logs.includes('TCP socket bind failed. Rescheduling.') && seen.length > 0, 4000)).toBe(true);
        expect(seen[0]).toEqual({ addr: '127.0.0.5', port: bindPort });
        expect(logs).toContain('TCP connection to [192.0.2.50]:tcp:80 success.');
        // A bind failure gives no verdict: the server stays as it started.
        expect(engine.current().get('tcp|192.0.2.1|80#192.0.2.51|80')).toMatchObject({ up: true, lastResult: 'bind EADDRNOTAVAIL' });
      } finally {
        await engine.stop();
      }
    },
    15_000,
  );
});
