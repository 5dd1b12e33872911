// UDP_CHECK, DNS_CHECK, SMTP_CHECK and FILE_CHECK against real servers this test starts on
// loopback (a UDP responder, a DNS responder answering with messages built here, an SMTP
// responder speaking a good and a broken dialogue, a tracked file), and PING_CHECK against a
// peer in a lab namespace. The engine runs with the real prober (node:dgram, node:net, the
// addon's raw sockets, the track_file watcher); results are read from keepalived's log lines,
// the HealthSource and the FIFO lines. keepalived's own checker process needs IPVS, which this
// kernel lacks, so the expected words come from its 2.2.7 source (check_udp.c, check_dns.c,
// check_smtp.c, check_ping.c, check_file.c).
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckerHost } from '../../../src/check/checker-host.js';
import { prepareCheckerScripts } from '../../../src/check/checker-scripts.js';
import { HealthEngine } from '../../../src/check/engine.js';
import { buildCheckPlan, notRunWarnings } from '../../../src/check/plan.js';
import { NodeProber } from '../../../src/check/probes.js';
import { systemClock } from '../../../src/lib/clock.js';
import { RealTimers } from '../../../src/lib/timers.js';
import { NodeProcessRunner } from '../../../src/notify/process-runner.js';
import { modelOf } from '../../helpers/config-model.js';
import { pollFor } from '../../helpers/script-dir.js';
import { isRoot, itWhen } from '../../helpers/require.js';

let dir: string;
const closers: (() => void)[] = [];

/** The model of a test config, read as `keepalived.conf` in the test's directory. */
const model = (text: string) => modelOf(text, join(dir, 'keepalived.conf'));
const until = (what: () => boolean, ms: number) => pollFor(what, ms, 20);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kt-check2-'));
});
afterAll(() => {
  for (const c of closers) c();
  rmSync(dir, { recursive: true, force: true });
});

/** A UDP server on 127.0.0.1 calling `answer` for each datagram (undefined: stay silent). */
async function udpServer(answer: (m: Buffer) => Buffer | undefined, seen: Buffer[] = []): Promise<number> {
  const s: UdpSocket = createSocket('udp4');
  s.on('message', (m, rinfo) => {
    seen.push(m);
    const out = answer(m);
    if (out) s.send(out, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  closers.push(() => s.close());
  return s.address().port;
}

/** A UDP port nobody listens on: the kernel answers ICMP port unreachable. */
async function closedUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const p = s.address().port;
  await new Promise<void>((r) => s.close(r));
  return p;
}

function engineFor(text: string) {
  const m = model(text);
  const logs: string[] = [];
  const fifo: string[] = [];
  const log = { info: (s: unknown) => logs.push(String(s)), warn: (s: unknown) => logs.push(String(s)), error: (s: unknown) => logs.push(String(s)) };
  const plan = buildCheckPlan(m, { scripts: () => undefined });
  const engine = new HealthEngine({ plan, prober: new NodeProber(new NodeProcessRunner()), timers: new RealTimers(systemClock), runner: new NodeProcessRunner(), log, onFifoLine: (l) => fifo.push(l) });
  return { m, engine, logs, fifo, plan };
}

/**
 * keepalived text: virtual server 192.0.2.1:`vsPort` (delay_loop 1) with one real server on
 * 127.0.0.1 per entry of `servers` ([port, its own lines]), each with one `check` block holding
 * the `common` lines, then its own.
 */
function service(vsPort: number, protocol: 'UDP' | 'TCP', check: string, common: string, servers: [number, string?][]): string {
  const rs = servers.map(([port, own = '']) => `  real_server 127.0.0.1 ${port} {\n    ${check} {\n${common}\n${own}\n    }\n  }\n`);
  return `\nvirtual_server 192.0.2.1 ${vsPort} {\n  protocol ${protocol}\n  delay_loop 1\n${rs.join('\n')}\n}\n`;
}

const VS = '[192.0.2.1]:udp:53';
const key = (host: string, port: number, proto = 'udp') => `${proto}|192.0.2.1|${proto === 'udp' ? 53 : 25}#${host}|${port}`;

// ---- DNS answers built here (RFC 1035 4.1), independent of src/check/dns-check.ts ----
interface Question {
  id: number;
  flags: number;
  labels: string[];
  qtype: number;
  qclass: number;
  end: number;
}
function readQuestion(q: Buffer): Question {
  let o = 12;
  const labels: string[] = [];
  while (q[o] !== 0) {
    const n = q[o]!;
    labels.push(q.subarray(o + 1, o + 1 + n).toString('latin1'));
    o += 1 + n;
  }
  o++;
  return { id: q.readUInt16BE(0), flags: q.readUInt16BE(2), labels, qtype: q.readUInt16BE(o), qclass: q.readUInt16BE(o + 2), end: o + 4 };
}
function dnsAnswer(q: Buffer, opts: { rcode?: number; answers?: number; id?: number; qr?: boolean }): Buffer {
  const qq = readQuestion(q);
  const question = q.subarray(12, qq.end);
  const head = Buffer.alloc(12);
  head.writeUInt16BE(opts.id ?? qq.id, 0);
  head.writeUInt16BE(((opts.qr ?? true) ? 0x8000 : 0) | 0x0100 | 0x0080 | (opts.rcode ?? 0), 2);
  head.writeUInt16BE(1, 4);
  head.writeUInt16BE(opts.answers ?? 0, 6);
  const rrs: Buffer[] = [];
  for (let i = 0; i < (opts.answers ?? 0); i++) {
    // NAME (pointer to the question), TYPE A, CLASS IN, TTL 60, RDLENGTH 4, 192.0.2.53
    rrs.push(Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 53]));
  }
  return Buffer.concat([head, question, ...rrs]);
}

describe('UDP_CHECK, DNS_CHECK, SMTP_CHECK, FILE_CHECK against real servers', () => {
  it('UDP_CHECK: payload sent as configured; a matching reply, silence without require_reply = up; mismatch, too short, port unreachable, silence with require_reply = down', async () => {
    const seenOk: Buffer[] = [];
    const ok = await udpServer(() => Buffer.from('OK-ready'), seenOk);
    const wrong = await udpServer(() => Buffer.from('NO-ready'));
    const short = await udpServer(() => Buffer.from('O'));
    const seenSilent: Buffer[] = [];
    const silent = await udpServer(() => undefined, seenSilent);
    const silent2 = await udpServer(() => undefined);
    const closed = await closedUdpPort();
    const { engine, logs, fifo } = engineFor(
      service(53, 'UDP', 'UDP_CHECK', '      connect_timeout 0.5\n      retry 0\n      warmup 0', [
        [ok, '      payload 70 69 6e 67 0a\n      require_reply 4f 4B 2d xX\n      min_reply_length 4'],
        [wrong, '      require_reply 4f4b\n      log_all_failures'],
        [short, '      require_reply 4f\n      min_reply_length 2'],
        [silent],
        [silent2, '      require_reply'],
        [closed],
      ]),
    );
    await engine.start();
    try {
      const h = () => engine.current();
      const done = () => [wrong, short, silent2, closed].every((p) => h().get(key('127.0.0.1', p))?.up === false) && h().get(key('127.0.0.1', ok))?.lastResult === 'connected';
      expect(await until(done, 6000)).toBe(true);
      expect(h().get(key('127.0.0.1', ok))).toMatchObject({ up: true, lastResult: 'connected' });
      expect(h().get(key('127.0.0.1', silent))).toMatchObject({ up: true, lastResult: 'connected' });
      expect(h().get(key('127.0.0.1', wrong))).toMatchObject({ up: false, lastResult: 'reply data mismatch' });
      expect(h().get(key('127.0.0.1', short))).toMatchObject({ up: false, lastResult: 'reply data mismatch' });
      expect(h().get(key('127.0.0.1', silent2))).toMatchObject({ up: false, lastResult: 'timeout' });
      expect(h().get(key('127.0.0.1', closed))).toMatchObject({ up: false, lastResult: 'ECONNREFUSED' });
      // payload as written; without payload keepalived's 32 octets of "keepalived check - ".
      expect(seenOk[0]).toEqual(Buffer.from('ping\n'));
      expect(seenSilent[0]!.toString('latin1')).toBe('keepalived check - keepalived ch');
      expect(seenSilent[0]!.length).toBe(32);
      expect(logs).toEqual(
        expect.arrayContaining([
          `UDP connection to [127.0.0.1]:udp:${ok} success.`,
          `UDP connection to [127.0.0.1]:udp:${silent} success.`,
          `UDP check to [127.0.0.1]:udp:${wrong} reply data mismatch.`,
          `UDP_CHECK on service [127.0.0.1]:udp:${wrong} failed.`,
          `UDP_CHECK on service [127.0.0.1]:udp:${closed} failed.`,
        ]),
      );
      expect(fifo).toContain(`RS [127.0.0.1]:udp:${closed} ${VS} DOWN\n`);
      expect(fifo.some((l) => l.includes(`:${ok} `))).toBe(false);
    } finally {
      await engine.stop();
    }
  }, 20_000);

  it('DNS_CHECK: the query carries the name, type and RD; NOERROR with the query id = up (even with no answer), an RCODE = down, wrong id or QR clear ignored, no answer = down after its retries', async () => {
    const queries: Buffer[] = [];
    const good = await udpServer((q) => dnsAnswer(q, { answers: 1 }), queries);
    const empty = await udpServer((q) => dnsAnswer(q, { answers: 0 }));
    const nx = await udpServer((q) => dnsAnswer(q, { rcode: 3 }));
    // A reply with another id, then a query echoed back (QR clear): both must be ignored.
    const odd: UdpSocket = createSocket('udp4');
    odd.on('message', (q, r) => {
      odd.send(dnsAnswer(q, { id: (q.readUInt16BE(0) + 1) & 0xffff, answers: 1 }), r.port, r.address);
      odd.send(dnsAnswer(q, { qr: false }), r.port, r.address);
    });
    await new Promise<void>((r) => odd.bind(0, '127.0.0.1', r));
    closers.push(() => odd.close());
    const oddPort = odd.address().port;
    const mute = await udpServer(() => undefined);
    // Answers until told to stop: up first, then two timeouts (retry 1) before it goes down.
    let flipOk = true;
    const flip = await udpServer((q) => (flipOk ? dnsAnswer(q, { answers: 1 }) : undefined));
    const { engine, logs } = engineFor(
      service(53, 'UDP', 'DNS_CHECK', '      connect_timeout 0.4\n      warmup 0', [
        [good, '      type MX\n      name example.org'],
        [empty, '      type AAAA\n      name www.example.net.'],
        [nx, '      retry 0\n      name nope.example'],
        [oddPort, '      retry 0'],
        [mute, '      retry 1\n      delay_before_retry 0.2'],
        [flip, '      retry 1\n      delay_before_retry 0.2'],
      ]),
    );
    await engine.start();
    try {
      const h = () => engine.current();
      const done = () => [nx, oddPort, mute].every((p) => h().get(key('127.0.0.1', p))?.up === false);
      expect(await until(done, 8000)).toBe(true);
      expect(h().get(key('127.0.0.1', good))).toMatchObject({ up: true, lastResult: 'connected' });
      expect(h().get(key('127.0.0.1', empty))).toMatchObject({ up: true, lastResult: 'connected' });
      const q = readQuestion(queries[0]!);
      expect(q.labels).toEqual(['example', 'org']);
      expect(q.qtype).toBe(15);
      expect(q.qclass).toBe(1);
      expect(q.flags).toBe(0x0100);
      expect(queries[0]!.readUInt16BE(4)).toBe(1);
      expect(logs).toEqual(
        expect.arrayContaining([
          `DNS_CHECK ([127.0.0.1]:udp:${nx}) read error occurred. (rcode = 3)`,
          `DNS_CHECK ([127.0.0.1]:udp:${oddPort}) read timeout from socket`,
          // check_data.c: the retry counter starts used up, so the first failure counts at once.
          `DNS_CHECK ([127.0.0.1]:udp:${mute}) read timeout from socket`,
        ]),
      );
      expect(h().get(key('127.0.0.1', flip))?.up).toBe(true);
      flipOk = false;
      // retry 1 once up: the first timeout is silent (no log_all_failures), the second says "after 1 retries".
      expect(await until(() => h().get(key('127.0.0.1', flip))?.up === false, 5000)).toBe(true);
      expect(logs.filter((l) => l.startsWith(`DNS_CHECK ([127.0.0.1]:udp:${flip})`))).toEqual([`DNS_CHECK ([127.0.0.1]:udp:${flip}) read timeout from socket after 1 retries`]);
    } finally {
      await engine.stop();
    }
  }, 20_000);

  it('SMTP_CHECK: banner 220, HELO helo_name, 250, QUIT = up; a bad banner, a bad HELO reply or a closed connection = down with keepalived\'s words', async () => {
    const helos: string[] = [];
    const smtp = async (banner: string, heloReply: string | undefined): Promise<number> => {
      const srv: Server = createServer((s: Socket) => {
        s.on('error', () => undefined);
        s.write(banner);
        let buf = '';
        s.on('data', (d) => {
          buf += d.toString();
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl).replace(/\r$/, '');
            buf = buf.slice(nl + 1);
            if (line.startsWith('HELO')) {
              helos.push(line);
              if (heloReply === undefined) s.destroy();
              else s.write(heloReply);
            } else if (line === 'QUIT') s.end('221 bye\r\n');
          }
        });
      });
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
      closers.push(() => srv.close());
      return (srv.address() as { port: number }).port;
    };
    const good = await smtp('220 mx.example ESMTP\r\n', '250 mx.example\r\n');
    const badBanner = await smtp('554 go away\r\n', '250 ok\r\n');
    const badHelo = await smtp('220 mx\r\n', '501 no\r\n');
    const hangup = await smtp('220 mx\r\n', undefined);
    const common = '      connect_timeout 1\n      retry 0\n      warmup 0\n      helo_name check.example';
    const { engine, logs } = engineFor(service(25, 'TCP', 'SMTP_CHECK', common, [[good], [badBanner], [badHelo], [hangup]]));
    const k = (p: number) => `tcp|192.0.2.1|25#127.0.0.1|${p}`;
    await engine.start();
    try {
      const h = () => engine.current();
      expect(await until(() => [badBanner, badHelo, hangup].every((p) => h().get(k(p))?.up === false) && h().get(k(good))?.lastResult === 'connected', 6000)).toBe(true);
      expect(h().get(k(good))?.up).toBe(true);
      expect(helos).toContain('HELO check.example');
      expect(logs).toEqual(
        expect.arrayContaining([
          `Remote SMTP server [127.0.0.1]:tcp:${good} succeed on service.`,
          `SMTP_CHECK Bad greeting banner from server [127.0.0.1]:${badBanner}`,
          `SMTP_CHECK Bad HELO response from server [127.0.0.1]:${badHelo}`,
          `SMTP_CHECK Read failure from server [127.0.0.1]:${hangup}`,
        ]),
      );
    } finally {
      await engine.stop();
    }
  }, 20_000);

  it('FILE_CHECK: the tracked value sets the checker (weight 0: non-zero is down) and the real server weight (value x weight, reverse), live as the file changes', async () => {
    const f1 = join(dir, 'w1');
    const f2 = join(dir, 'w2');
    writeFileSync(f1, '0\n');
    writeFileSync(f2, '3\n');
    const { engine, logs, fifo } = engineFor(`
track_file gate {
  file ${f1}
}
track_file load {
  file ${f2}
  weight 2
}
virtual_server 192.0.2.1 53 {
  protocol UDP
  real_server 127.0.0.1 7001 {
    weight 10
    FILE_CHECK {
      track_file gate
      weight 0
    }
  }
  real_server 127.0.0.1 7002 {
    weight 10
    FILE_CHECK {
      track_file load
    }
  }
  real_server 127.0.0.1 7003 {
    weight 10
    FILE_CHECK {
      track_file load
      weight 1 reverse
    }
  }
}
`);
    await engine.start();
    const h = () => engine.current();
    try {
      // Values read at start: no notifies, no FIFO lines (keepalived applies them before start).
      expect(h().get(key('127.0.0.1', 7001))).toMatchObject({ up: true });
      expect(h().get(key('127.0.0.1', 7002))).toMatchObject({ up: true, weight: 16 });
      expect(h().get(key('127.0.0.1', 7003))).toMatchObject({ up: true, weight: 7 });
      expect(fifo).toEqual([]);
      writeFileSync(f1, '1\n');
      expect(await until(() => h().get(key('127.0.0.1', 7001))?.up === false, 3000)).toBe(true);
      expect(fifo).toEqual([`RS [127.0.0.1]:udp:7001 ${VS} DOWN\n`]);
      // Replaced by rename, as configuration tools do.
      writeFileSync(`${f2}.new`, '-1\n');
      renameSync(`${f2}.new`, f2);
      expect(await until(() => h().get(key('127.0.0.1', 7002))?.weight === 8, 3000)).toBe(true);
      expect(h().get(key('127.0.0.1', 7003))?.weight).toBe(11);
      expect(logs).toEqual(
        expect.arrayContaining([`Changing weight from 16 to 8 for active service [127.0.0.1]:udp:7002 of VS ${VS}`, `Changing weight from 7 to 11 for active service [127.0.0.1]:udp:7003 of VS ${VS}`]),
      );
      writeFileSync(f1, '0\n');
      expect(await until(() => h().get(key('127.0.0.1', 7001))?.up === true, 3000)).toBe(true);
      expect(fifo).toEqual([`RS [127.0.0.1]:udp:7001 ${VS} DOWN\n`, `RS [127.0.0.1]:udp:7001 ${VS} UP\n`]);
    } finally {
      await engine.stop();
    }
  }, 20_000);

  itWhen(isRoot)('the checker child process runs them too (plans cross the IPC channel); only BFD_CHECK and options Node cannot honour are reported not run', async () => {
    const port = await udpServer(() => Buffer.from('ok'));
    const closed = await closedUdpPort();
    const m = model(`
virtual_server 192.0.2.1 53 {
  protocol UDP
  delay_loop 1
  real_server 127.0.0.1 ${port} {
    UDP_CHECK {
      require_reply
      warmup 0
    }
  }
  real_server 127.0.0.1 ${closed} {
    DNS_CHECK {
      retry 0
      warmup 0
    }
    PING_CHECK {
      warmup 0
    }
  }
}
`);
    expect(notRunWarnings(m)).toEqual([]);
    const logs: string[] = [];
    const log = { info: (s: unknown) => logs.push(String(s)), warn: (s: unknown) => logs.push(String(s)), error: (s: unknown) => logs.push(String(s)) };
    const host = new CheckerHost({ plan: buildCheckPlan(m, { scripts: prepareCheckerScripts(m, { db: { users: new Map(), groups: new Map() } as never, fs: undefined as never, path: '' }) }), log, transport: 'process' });
    await host.start();
    try {
      expect(await until(() => host.current().get(key('127.0.0.1', closed))?.up === false && host.current().get(key('127.0.0.1', port))?.lastResult === 'connected', 8000)).toBe(true);
      expect(host.current().get(key('127.0.0.1', port))?.up).toBe(true);
      expect(logs).toEqual(expect.arrayContaining([`DNS_CHECK ([127.0.0.1]:udp:${closed}) failed to read socket; errno 111 (Connection refused)`]));
      // The PING_CHECK to loopback answers: its checker is up, the DNS_CHECK holds the server down.
      expect(host.current().get(key('127.0.0.1', closed))).toMatchObject({ checkersUp: 1, checkers: 2 });
    } finally {
      await host.stop();
    }
  }, 20_000);
});
