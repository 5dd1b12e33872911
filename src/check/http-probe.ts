// The HTTP_GET / SSL_GET probe: one url of a checker's plan fetched (http-fetch.ts) and judged in
// keepalived's order (check_http.c http_handle_response): any answer at all, then the status
// code, then the digest, then the regex. The result goes to http-state.ts.
import { readFileSync } from 'node:fs';
import type { ProbeResult } from './checker-state.js';
import { httpFetch, type HttpFetchOutcome, type HttpTls } from './http-fetch.js';
import type { HttpCheckerPlan, HttpTlsPlan, HttpUrlPlan } from './http-plan.js';
import type { ProbeHandle } from './probes.js';

const files = new Map<string, Buffer>();

/** The SSL block's files, read once per path (the checker process lives as long as its plan). */
function tlsFor(plan: HttpTlsPlan, servername: string | undefined): HttpTls {
  const read = (p: string | undefined): Buffer | undefined => {
    if (p === undefined) return undefined;
    let b = files.get(p);
    if (!b) {
      b = readFileSync(p);
      files.set(p, b);
    }
    return b;
  };
  const ca = read(plan.ca);
  const cert = read(plan.certificate);
  const key = read(plan.key);
  return {
    ...(servername !== undefined ? { servername } : {}),
    ...(ca ? { ca } : {}),
    ...(cert ? { cert } : {}),
    ...(key ? { key } : {}),
    ...(plan.password !== undefined ? { passphrase: plan.password } : {}),
  };
}

/** http_handle_response's verdict on one answer. */
export function judge(url: HttpUrlPlan, o: HttpFetchOutcome): ProbeResult {
  if (o.kind === 'bindFailed') return { kind: 'bindFailed', detail: o.detail };
  if (o.kind === 'failed') return { kind: 'http', ok: false, reason: o.reason };
  if (!o.extracted) return { kind: 'http', ok: false, reason: 'Read, no data received from ' };
  const counts = { status: o.status, rxBytes: o.rxBytes, ...(o.contentLength !== undefined ? { contentLength: o.contentLength } : {}) };
  if (!url.status.some(([lo, hi]) => o.status >= lo && o.status <= hi)) return { kind: 'http', ok: false, reason: 'HTTP status code error to', status: o.status };
  let what = 'HTTP status code';
  if (url.digest !== undefined) {
    if (o.digest !== url.digest) return { kind: 'http', ok: false, reason: 'MD5 digest error to', ...counts };
    what = 'MD5 digest';
  }
  if (url.regex) {
    if (o.regexMatched === url.regex.noMatch) return { kind: 'http', ok: false, reason: 'Regex match failed', ...counts };
    what = 'Regex match';
  }
  return { kind: 'http', ok: true, what, ...counts };
}

export function httpProbe(plan: HttpCheckerPlan, urlIndex: number, done: (r: ProbeResult) => void): ProbeHandle {
  const url = plan.urls[urlIndex] ?? plan.urls[0];
  if (!url) {
    // check_http.c http_connect_thread: no url to check, the server is enabled without one.
    queueMicrotask(() => done({ kind: 'http', ok: true, what: 'HTTP status code', status: 0, rxBytes: 0 }));
    return { cancel: () => Promise.resolve() };
  }
  let tls: HttpTls | undefined;
  try {
    tls = plan.tls ? tlsFor(plan.tls, url.sni) : undefined;
  } catch (e) {
    const reason = `SSL error: cannot read a file of the SSL block (${(e as NodeJS.ErrnoException).code ?? String(e)}), connecting to`;
    queueMicrotask(() => done({ kind: 'http', ok: false, reason }));
    return { cancel: () => Promise.resolve() };
  }
  const f = httpFetch(
    {
      host: plan.host,
      family: plan.family,
      port: plan.port,
      ...(plan.bindto !== undefined ? { bindto: plan.bindto } : {}),
      ...(plan.bindPort !== undefined ? { bindPort: plan.bindPort } : {}),
      timeoutMs: plan.connectTimeoutMs,
      ...(tls ? { tls } : {}),
    },
    { path: url.path, protocol: plan.protocol, ...(url.vhost !== undefined ? { vhost: url.vhost } : {}), digest: url.digest !== undefined, ...(url.regex ? { regex: url.regex } : {}) },
    (o) => done(judge(url, o)),
  );
  return {
    cancel: () => {
      f.cancel();
      return Promise.resolve();
    },
  };
}
