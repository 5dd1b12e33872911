// HTTP_GET and SSL_GET probes against a real HTTP and HTTPS server on loopback (http-server.ts,
// certificates made by openssl for this run): each url option passing and failing, the
// request's bytes, timeouts, TLS with SNI and a client certificate seen by the server, and the
// engine turning a real server down and up again with its notify lines.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthEngine } from '../../../src/check/engine.js';
import type { ProbeResult } from '../../../src/check/checker-state.js';
import { buildCheckPlan, type CheckPlan, type HttpCheckerPlan } from '../../../src/check/plan.js';
import { httpProbe } from '../../../src/check/http-probe.js';
import { NodeProber } from '../../../src/check/probes.js';
import { systemClock } from '../../../src/lib/clock.js';
import { RealTimers } from '../../../src/lib/timers.js';
import { NodeProcessRunner } from '../../../src/notify/process-runner.js';
import { modelOf } from '../../helpers/config-model.js';
import { pollFor } from '../../helpers/script-dir.js';
import { itWhen, runs } from '../../helpers/require.js';
import { BODY_OK, makeCertificates, startTestServers, type TestServers } from './http-server.js';

const hasOpenssl = runs('openssl', ['version'], 'openssl not installed (certificates for the HTTPS server)');
const md5 = (s: string | Buffer) => createHash('md5').update(s).digest('hex');

let dir: string;
let srv: TestServers;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kt-http-'));
  let tls: string | undefined;
  if (hasOpenssl() === undefined) {
    makeCertificates(dir);
    tls = dir;
  }
  srv = await startTestServers('127.0.0.1', tls);
});
afterAll(async () => {
  await srv?.close();
  rmSync(dir, { recursive: true, force: true });
});

function plan(text: string): CheckPlan {
  return buildCheckPlan(modelOf(text, join(dir, 'keepalived.conf')), { scripts: () => undefined });
}

/** One HTTP_GET (or SSL_GET) with the given body lines, against the test server. */
function checker(body: string, kind: 'HTTP_GET' | 'SSL_GET' = 'HTTP_GET', extra = ''): HttpCheckerPlan {
  const port = kind === 'SSL_GET' ? srv.https! : srv.http;
  const p = plan(`${extra}\nvirtual_server 192.0.2.1 80 {\n protocol TCP\n real_server 127.0.0.1 ${port} {\n  ${kind} {\n${body}\n  }\n }\n}\n`);
  return p.realServers[0]!.checkers[0] as HttpCheckerPlan;
}

const url = (lines: string) => `url {\n${lines}\n}`;

function probe(p: HttpCheckerPlan, i = 0): Promise<ProbeResult> {
  return new Promise((resolve) => httpProbe(p, i, resolve));
}

async function timed(p: HttpCheckerPlan): Promise<{ r: ProbeResult; ms: number }> {
  const t0 = performance.now();
  const r = await probe(p);
  return { r, ms: performance.now() - t0 };
}

describe('HTTP_GET probe against a real server', () => {
  it('status_code: the default 200-299, a list, ranges; outside them fails with keepalived\'s reason', async () => {
    expect(await probe(checker(url('path /ok')))).toMatchObject({ kind: 'http', ok: true, what: 'HTTP status code', status: 200 });
    expect(await probe(checker(url('path /status/302')))).toEqual({ kind: 'http', ok: false, reason: 'HTTP status code error to', status: 302 });
    expect(await probe(checker(url('path /status/302\nstatus_code 200 301-303')))).toMatchObject({ ok: true, status: 302 });
    expect(await probe(checker(url('path /status/503\nstatus_code 200 301-303 500-502')))).toMatchObject({ ok: false, status: 503 });
    expect(await probe(checker(url('path /nowhere\nstatus_code 404')))).toMatchObject({ ok: true, status: 404 });
  });

  it('digest: MD5 of the body (upper or lower case in the config); a wrong one fails; status still checked first', async () => {
    const d = md5(BODY_OK);
    expect(await probe(checker(url(`path /ok\ndigest ${d.toUpperCase()}`)))).toMatchObject({ ok: true, what: 'MD5 digest' });
    expect(await probe(checker(url(`path /ok\ndigest ${md5('other')}`)))).toMatchObject({ ok: false, reason: 'MD5 digest error to' });
    // keepalived applies the 200-299 default to a url with a digest and no status_code too.
    expect(await probe(checker(url(`path /nowhere\ndigest ${md5('no such page\n')}`)))).toMatchObject({ ok: false, reason: 'HTTP status code error to' });
  });

  it('digest as keepalived computes it: chunked bodies hashed with their framing, bodies cut at Content-Length, a lower-case header ignored', async () => {
    const chunkedRaw = '6\r\nchunk1\r\n7\r\nchunk-2\r\n0\r\n\r\n';
    expect(await probe(checker(url(`path /chunked\ndigest ${md5(chunkedRaw)}`)))).toMatchObject({ ok: true });
    expect(await probe(checker(url(`path /long\ndigest ${md5('hello')}`)))).toMatchObject({ ok: true, contentLength: 5, rxBytes: 15 });
    expect(await probe(checker(url(`path /lower\ndigest ${md5('hello, and more')}`)))).toMatchObject({ ok: true, rxBytes: 15 });
    expect((await probe(checker(url('path /lower')))) as object).not.toHaveProperty('contentLength');
    expect(await probe(checker(url(`path /short\ndigest ${md5('only this\n')}`)))).toMatchObject({ ok: true, contentLength: 100, rxBytes: 10 });
    const big = Buffer.concat(Array.from({ length: 100 }, (_, i) => Buffer.alloc(1024, 97 + (i % 26))));
    expect(await probe(checker(url(`path /big\ndigest ${md5(big)}`)))).toMatchObject({ ok: true, rxBytes: 102400 });
  });

  it('regex, regex_no_match, regex_min_offset / regex_max_offset, regex_options caseless', async () => {
    expect(await probe(checker(url('path /ok\nregex "real server"')))).toMatchObject({ ok: true, what: 'Regex match' });
    expect(await probe(checker(url('path /ok\nregex "REAL SERVER"')))).toEqual({ kind: 'http', ok: false, reason: 'Regex match failed', status: 200, contentLength: BODY_OK.length, rxBytes: BODY_OK.length });
    expect(await probe(checker(url('path /ok\nregex "REAL SERVER"\nregex_options caseless')))).toMatchObject({ ok: true });
    expect(await probe(checker(url('path /ok\nregex "real server"\nregex_no_match')))).toMatchObject({ ok: false, reason: 'Regex match failed' });
    expect(await probe(checker(url('path /ok\nregex "nothing like it"\nregex_no_match')))).toMatchObject({ ok: true, what: 'Regex match' });
    // "real" starts at offset 15 of the body, "server" at 20.
    expect(BODY_OK.indexOf('real')).toBe(15);
    expect(await probe(checker(url('path /ok\nregex "real"\nregex_max_offset 15')))).toMatchObject({ ok: true });
    expect(await probe(checker(url('path /ok\nregex "real"\nregex_max_offset 14')))).toMatchObject({ ok: false });
    expect(await probe(checker(url('path /ok\nregex "real"\nregex_min_offset 16')))).toMatchObject({ ok: false });
    expect(await probe(checker(url('path /ok\nregex "server"\nregex_min_offset 16')))).toMatchObject({ ok: true });
  });

  it('the request: keepalived\'s bytes for http_protocol 1.0 / 1.0C / 1.1, Host from the url, the checker or addr:port', async () => {
    const last = () => srv.seen[srv.seen.length - 1]!.raw;
    await probe(checker(url('path /echo')));
    expect(last()).toBe(`GET /echo HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 127.0.0.1:${srv.http}\r\n\r\n`);
    await probe(checker(`http_protocol 1.0C\nvirtualhost www.example.test\n${url('path /echo')}`));
    expect(last()).toBe('GET /echo HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: www.example.test\r\n\r\n');
    await probe(checker(`http_protocol 1.1\nvirtualhost www.example.test\n${url('path /echo?x=1\nvirtualhost url.example.test')}`));
    expect(last()).toBe('GET /echo?x=1 HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: url.example.test\r\n\r\n');
  });

  it('connect_ip / connect_port, bindto / bind_port: the source the server sees; an address not on this host is a bind failure', async () => {
    // The real server's own address is not where the check goes: connect_ip/connect_port are.
    const p = plan(`virtual_server 192.0.2.1 80 {\n protocol TCP\n real_server 192.0.2.10 80 {\n  HTTP_GET {\n   connect_ip 127.0.0.1\n   connect_port ${srv.http}\n   bindto 127.0.0.2\n   bind_port 40123\n   url {\n    path /echo\n   }\n  }\n }\n}\n`);
    const c = p.realServers[0]!.checkers[0] as HttpCheckerPlan;
    expect(await probe(c)).toMatchObject({ ok: true });
    expect(srv.seen[srv.seen.length - 1]!.from).toBe('127.0.0.2:40123');
    expect(await probe({ ...c, bindto: '192.0.2.77', bindPort: undefined } as HttpCheckerPlan)).toMatchObject({ kind: 'bindFailed', detail: 'EADDRNOTAVAIL' });
  });

  it('failures: refused, no header at all, connect_timeout on a slow answer and on a stalled body, each well within its limit', async () => {
    const closed = { ...checker(url('path /ok')), port: 1 };
    expect(await probe(closed)).toEqual({ kind: 'http', ok: false, reason: 'Connection failed' });
    expect(await probe(checker(url('path /noheader')))).toEqual({ kind: 'http', ok: false, reason: 'Read, no data received from ' });
    const slow = await timed(checker(`connect_timeout 0.5\n${url('path /slow/3000')}`));
    expect(slow.r).toEqual({ kind: 'http', ok: false, reason: 'Timeout WEB read' });
    expect(slow.ms).toBeGreaterThanOrEqual(450);
    expect(slow.ms).toBeLessThan(2500);
    const stall = await timed(checker(`connect_timeout 0.5\n${url('path /stall')}`));
    expect(stall.r).toEqual({ kind: 'http', ok: false, reason: 'Timeout HTTP read' });
    expect(stall.ms).toBeLessThan(2500);
    // The same slow page within a longer limit passes.
    expect(await probe(checker(`connect_timeout 3\n${url('path /slow/200')}`))).toMatchObject({ ok: true });
  });

  itWhen(hasOpenssl)('SSL_GET: TLS without verifying the server, SNI from the virtualhost only with enable_sni, the SSL block\'s client certificate', async () => {
    const before = srv.seen.length;
    expect(await probe(checker(`virtualhost sni.example.test\n${url(`path /ok\ndigest ${md5(BODY_OK)}`)}`, 'SSL_GET'))).toMatchObject({ ok: true, what: 'MD5 digest' });
    expect(await probe(checker(`enable_sni\nvirtualhost sni.example.test\n${url('path /ok')}`, 'SSL_GET'))).toMatchObject({ ok: true });
    const ssl = `SSL {\n password secret\n certificate ${join(dir, 'client.crt')}\n key ${join(dir, 'client.key')}\n ca ${join(dir, 'server.crt')}\n}`;
    expect(await probe(checker(`enable_sni\n${url('path /ok\nvirtualhost url.example.test')}`, 'SSL_GET', ssl))).toMatchObject({ ok: true });
    const seen = srv.seen.slice(before);
    expect(seen.map((s) => [s.tls, s.servername ?? null, s.clientCert])).toEqual([
      [true, null, false],
      [true, 'sni.example.test', false],
      [true, 'url.example.test', true],
    ]);
    // A plain-HTTP server waiting for a request never answers the handshake: the connect limit.
    const p = checker(`connect_timeout 0.5\n${url('path /ok')}`, 'SSL_GET');
    expect(await probe({ ...p, port: srv.http })).toEqual({ kind: 'http', ok: false, reason: 'Timeout connecting' });
    // A server answering the handshake with bytes that are not TLS: keepalived's handshake reason.
    const junk = createServer((s) => s.end('HTTP/1.0 400 Bad Request\r\n\r\n'));
    const jport = await new Promise<number>((r) => junk.listen(0, '127.0.0.1', () => r((junk.address() as { port: number }).port)));
    try {
      expect(await probe({ ...p, port: jport })).toEqual({ kind: 'http', ok: false, reason: 'SSL handshake/communication error connecting to' });
    } finally {
      junk.close();
    }
  });
});

describe('HTTP_GET in the engine, real time', () => {
  it('a real server goes down when its page fails (retry 1) and up again when every url passes; keepalived\'s lines and FIFO lines', async () => {
    const logs: string[] = [];
    const fifo: string[] = [];
    srv.setSwitch(200);
    const p = plan(
      `virtual_server 192.0.2.1 80 {\n protocol TCP\n delay_loop 0.3\n real_server 127.0.0.1 ${srv.http} {\n  HTTP_GET {\n   warmup 0\n   retry 1\n   delay_before_retry 0.2\n   connect_timeout 1\n   url {\n    path /ok\n   }\n   url {\n    path /switch\n   }\n  }\n }\n}\n`,
    );
    // The second url's status is switched to a failing one while the engine runs.
    const rs = p.realServers[0]!;
    const engine = new HealthEngine({
      plan: p,
      prober: new NodeProber(new NodeProcessRunner()),
      timers: new RealTimers(systemClock),
      runner: new NodeProcessRunner(),
      log: { info: (s: unknown) => logs.push(String(s)), warn: (s: unknown) => logs.push(String(s)), error: (s: unknown) => logs.push(String(s)) },
      onFifoLine: (l) => fifo.push(l),
    });
    const until = (f: () => boolean, ms: number) => pollFor(f, ms, 20);
    const RS_T = `[127.0.0.1]:tcp:${srv.http}`;
    try {
      await engine.start();
      expect(await until(() => logs.includes(`Remote Web server ${RS_T} succeed on service.`), 5000)).toBe(true);
      srv.setSwitch(500);
      expect(await until(() => engine.current().get(rs.key)?.up === false, 5000)).toBe(true);
      expect(logs).toContain(`HTTP_CHECK on service ${RS_T} failed after 1 retries.`);
      expect(fifo).toEqual([`RS ${RS_T} [192.0.2.1]:tcp:80 DOWN\n`]);
      expect(engine.current().get(rs.key)?.lastResult).toBe('HTTP status code error');
      srv.setSwitch(204);
      expect(await until(() => engine.current().get(rs.key)?.up === true, 5000)).toBe(true);
      expect(logs.filter((l) => l.includes('success to'))).toEqual(expect.arrayContaining([`HTTP status code success to ${RS_T} url(/switch)`, `HTTP status code success to ${RS_T} url(/ok)`]));
      expect(fifo).toEqual([`RS ${RS_T} [192.0.2.1]:tcp:80 DOWN\n`, `RS ${RS_T} [192.0.2.1]:tcp:80 UP\n`]);
    } finally {
      await engine.stop();
    }
  }, 20_000);
});
