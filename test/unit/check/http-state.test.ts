// HTTP_GET / SSL_GET state as data: the url results a checker gets, and the lines, transitions
// and next-probe delays keepalived 2.2.7's check_http.c (http_handle_response, timeout_epilog,
// epilog) produces for them: one url per run, retries per url, the failed url re-checked at the
// longer of delay_loop and delay_before_retry, every url re-checked before the checker is up
// again, fast_recovery, the Content-Length mismatch line once per difference.
import { describe, expect, it } from 'vitest';
import { initialState, onProbeResult, type CheckerParams, type CheckerState, type ProbeResult } from '../../../src/check/checker-state.js';
import { ms } from '../../../src/lib/units.js';

const RS_T = '[192.0.2.10]:tcp:80';
const VS_T = '[192.0.2.1]:tcp:80';

function params(over: Partial<CheckerParams> = {}): CheckerParams {
  return {
    kind: 'HTTP_GET',
    rsText: RS_T,
    vsText: VS_T,
    retry: 1,
    delayLoop: ms(10_000),
    delayBeforeRetry: ms(3000),
    warmup: ms(0),
    alpha: false,
    logAllFailures: false,
    urls: ['/a', '/b'],
    urlVhosts: ['', 'www.example.com'],
    ...over,
  };
}

const ok = (what = 'HTTP status code', extra: object = {}): ProbeResult => ({ kind: 'http', ok: true, what, status: 200, rxBytes: 5, ...extra });
const fail = (reason = 'HTTP status code error to'): ProbeResult => ({ kind: 'http', ok: false, reason });

interface Row {
  url: number;
  up: boolean;
  delay: number;
  change?: string;
  logs: readonly string[];
}

/** Runs results one after another (each probe ends at the time it was due) and records each step. */
function run(p: CheckerParams, results: ProbeResult[], s0?: CheckerState): Row[] {
  let s = s0 ?? initialState(p);
  let now = 0;
  const rows: Row[] = [];
  for (const r of results) {
    const url = s.urlIt ?? 0;
    const out = onProbeResult(p, s, r, ms(now), ms(now));
    rows.push({ url, up: out.state.up, delay: out.next - now, ...(out.change ? { change: out.change } : {}), logs: out.logs });
    s = out.state;
    now = out.next;
  }
  return rows;
}

describe('HTTP_GET checker state (check_http.c)', () => {
  it('walks the urls one per delay_loop; all passing on the first run is the "succeed on service" line', () => {
    expect(run(params(), [ok(), ok(), ok()])).toEqual([
      { url: 0, up: true, delay: 10_000, logs: [] },
      { url: 1, up: true, delay: 10_000, logs: [`Remote Web server ${RS_T} succeed on service.`] },
      { url: 0, up: true, delay: 10_000, logs: [] },
    ]);
  });

  it('first run failing: down at once (the retry counter starts used up); the failed url again after max(delay_loop, delay_before_retry)', () => {
    expect(run(params(), [fail()])).toEqual([{ url: 0, up: false, delay: 10_000, change: 'down', logs: [`HTTP_CHECK on service ${RS_T} failed after 1 retries.`] }]);
  });

  it('an up checker retries the same url after delay_before_retry, then goes down; the failed url passing restarts the walk; up only after every url passes', () => {
    const p = params();
    const rows = run(p, [ok(), ok(), fail(), fail(), fail(), ok(), ok('MD5 digest'), ok()]);
    expect(rows.map((r) => [r.url, r.up, r.delay, r.change ?? '', r.logs.join(' | ')])).toEqual([
      [0, true, 10_000, '', ''],
      [1, true, 10_000, '', `Remote Web server ${RS_T} succeed on service.`],
      [0, true, 3000, '', ''],
      [0, false, 10_000, 'down', `HTTP_CHECK on service ${RS_T} failed after 1 retries.`],
      // Down: no counting, same delay.
      [0, false, 10_000, '', ''],
      // The failed url passes: its success line, then the walk restarts at the first url.
      [0, false, 10_000, '', `HTTP status code success to ${RS_T} url(/a)`],
      [0, false, 10_000, '', `MD5 digest success to ${RS_T} url(/a)`],
      [1, true, 10_000, 'up', `HTTP status code success to ${RS_T} url(/b) | Remote Web server ${RS_T} succeed on service.`],
    ]);
  });

  it('retry 0: "failed." without the count; log_all_failures adds the reason line', () => {
    const p = params({ retry: 0, logAllFailures: true, urls: ['/'], urlVhosts: [''] });
    const rows = run(p, [ok(), fail('Timeout connecting')]);
    expect(rows[1]).toEqual({ url: 0, up: false, delay: 10_000, change: 'down', logs: [`Timeout connecting server ${RS_T}.`, `HTTP_CHECK on service ${RS_T} failed.`] });
  });

  it('alpha: starts down; a first failure says nothing and notifies nothing; the failed url passing only clears the mark, the next full pass brings it up', () => {
    const p = params({ alpha: true, urls: ['/'], urlVhosts: [''] });
    const rows = run(p, [fail(), ok(), ok()]);
    expect(rows).toEqual([
      { url: 0, up: false, delay: 10_000, logs: [] },
      { url: 0, up: false, delay: 10_000, logs: [`HTTP status code success to ${RS_T} url(/)`] },
      { url: 0, up: true, delay: 10_000, change: 'up', logs: [`HTTP status code success to ${RS_T} url(/)`, `Remote Web server ${RS_T} succeed on service.`] },
    ]);
  });

  it('fast_recovery: the next url at once while the checker has not run, or is down with no failed url', () => {
    const p = params({ alpha: true, fastRecovery: true });
    const rows = run(p, [ok(), ok(), fail(), fail()]);
    expect(rows.map((r) => [r.url, r.up, r.delay])).toEqual([
      [0, false, 0],
      [1, true, 10_000],
      [0, true, 3000],
      [0, false, 10_000],
    ]);
  });

  it('a bind failure is no verdict: the same url after delay_loop', () => {
    const p = params();
    const out = onProbeResult(p, initialState(p), { kind: 'bindFailed', detail: 'EADDRNOTAVAIL' }, ms(0), ms(5));
    expect(out).toEqual({ state: initialState(p), next: 10_005, logs: ['WEB socket bind failed. Rescheduling'] });
  });

  it('Content-Length not matching the bytes received: one line per new difference, with the url virtualhost before the path', () => {
    const p = params({ urls: ['/b'], urlVhosts: ['www.example.com'] });
    const short = ok('HTTP status code', { contentLength: 10, rxBytes: 4 });
    const rows = run(p, [short, short, ok('HTTP status code', { contentLength: 10, rxBytes: 10 }), short, ok('HTTP status code', { contentLength: 10, rxBytes: 3 })]);
    const line = (rx: number) => `http_check for RS ${RS_T} VS ${VS_T} url www.example.com/b: content_length (10) does not match received bytes (${rx})`;
    expect(rows.map((r) => r.logs.filter((l) => l.startsWith('http_check')))).toEqual([[line(4)], [], [], [line(4)], [line(3)]]);
  });
});
