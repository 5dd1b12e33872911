// HTTP_GET / SSL_GET checker state as a pure function of one url's result (keepalived 2.2.7
// check_http.c: http_handle_response, timeout_epilog, epilog). Time is data, as in
// checker-state.ts; the probe (http-probe.ts) does the sockets.
//
// keepalived checks ONE url per run, walking the list:
//  * a url passes: the walk moves to the next url, due after delay_loop. When the last url
//    passes (and none is marked failed) the checker is up ("Remote Web server ... succeed on
//    service.") and the walk starts again at the first url.
//  * a url fails while the checker is up (or has not run yet): the retry counter counts; the same
//    url is tried again after delay_before_retry. When the counter passes `retry`, the checker
//    goes down ("HTTP_CHECK on service ... failed after N retries.") and the url is marked
//    failed; it is tried again after the longer of delay_before_retry and delay_loop.
//  * a url fails while the checker is already down: no counting, same delay.
//  * the failed url passes again: the mark is cleared and the walk restarts at the first url,
//    so every url has to pass before the checker is up again.
//  * fast_recovery: while the checker has not run, or is down with no url marked failed, the
//    next url is checked at once.
// Each failure's reason ("Timeout connecting", "HTTP status code error to", ...) is logged only
// with log_all_failures, as "<reason> server <RS>.".
import type { Ms } from '../lib/units.js';
import { ms } from '../lib/units.js';
import type { CheckerParams, CheckerState, ProbeResult, StepOutput } from './checker-state.js';
import { stepOutput, verdict, type Verdict } from './step-outcome.js';

/** What the HTTP probe found for one url. */
export type HttpProbeResult =
  | {
      readonly kind: 'http';
      readonly ok: true;
      /** The test that decided: `HTTP status code`, `MD5 digest` or `Regex match`. */
      readonly what: string;
      readonly status: number;
      /** Content-Length as keepalived reads it, when the header had one. */
      readonly contentLength?: number;
      /** Body bytes received. */
      readonly rxBytes: number;
    }
  | {
      readonly kind: 'http';
      readonly ok: false;
      /** keepalived's reason text, e.g. `Timeout connecting`, `HTTP status code error to`. */
      readonly reason: string;
      readonly status?: number;
      readonly contentLength?: number;
      readonly rxBytes?: number;
    };

export function httpStep(p: CheckerParams, s: CheckerState, r: ProbeResult, endedAt: Ms): StepOutput {
  const urls = p.urls ?? [];
  const logs: string[] = [];
  if (r.kind === 'bindFailed') {
    // http_connect_thread: no verdict, the same url again after delay_loop.
    logs.push('WEB socket bind failed. Rescheduling');
    return { state: s, next: ms(endedAt + p.delayLoop), logs };
  }
  let urlIt: number | undefined = s.urlIt ?? 0;
  let failedUrl = s.failedUrl;
  let retryIt = s.retryIt;
  let hasRun = s.hasRun;
  let lenMismatch = s.lenMismatch;
  let v: Verdict = { up: s.up };
  const ok = r.kind === 'http' && r.ok;
  const here = urlIt;

  if (r.kind === 'http' && r.contentLength !== undefined && r.rxBytes !== undefined && (r.ok || r.reason === 'MD5 digest error to' || r.reason === 'Regex match failed')) {
    // http_handle_response: a Content-Length that differs from the bytes received is logged the
    // first time each difference is seen (per url); a matching one clears the memory.
    const diff = r.contentLength - r.rxBytes;
    const before = lenMismatch?.[here] ?? 0;
    if (diff !== 0 && diff !== before) {
      logs.push(`http_check for RS ${p.rsText} VS ${p.vsText} url ${p.urlVhosts?.[here] ?? ''}${urls[here] ?? ''}: content_length (${r.contentLength}) does not match received bytes (${r.rxBytes})`);
    }
    if (diff !== before) {
      const next = [...(lenMismatch ?? [])];
      while (next.length < urls.length) next.push(0);
      next[here] = diff;
      lenMismatch = next;
    }
  }

  let method: 'new' | 'retry' | 'failed';
  if (ok) {
    if (!s.up) logs.push(`${r.what} success to ${p.rsText} url(${urls[here] ?? ''})`);
    method = 'new';
  } else if (s.up || !hasRun) {
    // timeout_epilog
    const reason = r.kind === 'http' && !r.ok ? r.reason : 'Connection failed';
    if (p.logAllFailures) logs.push(`${reason} server ${p.rsText}.`);
    hasRun = true;
    method = 'retry';
  } else {
    method = 'failed';
  }

  // epilog
  if (method === 'new') {
    urlIt = here + 1 < urls.length ? here + 1 : undefined;
    retryIt = 0;
  } else if (method === 'retry') {
    retryIt++;
  }
  if (method === 'new' && urlIt === undefined && failedUrl === undefined) {
    if (!s.up || !hasRun) {
      logs.push(`Remote Web server ${p.rsText} succeed on service.`);
      v = verdict(p, { ...s, hasRun }, true);
      hasRun = true;
    }
    urlIt = 0;
    retryIt = 0;
  } else if (method === 'retry' && retryIt > p.retry) {
    if (s.up || !hasRun) {
      logs.push(hasRun && p.retry > 0 ? `HTTP_CHECK on service ${p.rsText} failed after ${retryIt - 1} retries.` : `HTTP_CHECK on service ${p.rsText} failed.`);
      v = verdict(p, { ...s, hasRun }, false);
    }
    failedUrl = here;
  } else if (method === 'new' && failedUrl !== undefined) {
    failedUrl = undefined;
    urlIt = 0;
    retryIt = 0;
  }

  let delay: number;
  if (method === 'new') {
    delay = p.delayLoop;
    if (!hasRun) retryIt = p.retry;
  } else if (failedUrl !== undefined) delay = Math.max(p.delayBeforeRetry, p.delayLoop);
  else delay = p.delayBeforeRetry;
  if (p.fastRecovery === true && (!hasRun || (!v.up && failedUrl === undefined))) delay = 0;

  return stepOutput(
    {
      ...s,
      up: v.up,
      hasRun,
      retryIt,
      urlIt: urlIt ?? 0,
      ...(failedUrl !== undefined ? { failedUrl } : { failedUrl: undefined }),
      ...(lenMismatch !== undefined ? { lenMismatch } : {}),
    },
    ms(endedAt + delay),
    v,
    logs,
  );
}

/** Status words for one HTTP result (`status 200`, or keepalived's reason). */
export function httpResultWords(r: HttpProbeResult): string {
  return r.ok ? `HTTP ${r.status}` : r.reason.replace(/ (to|from|with)$/, '').trim();
}
