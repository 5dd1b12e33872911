// The state of one health checker (TCP_CHECK, MISC_CHECK) as a pure function of probe results.
// Time is data: every function takes the time it happens at and returns the next deadline; the
// scheduler (engine.ts) owns the timers, the probes (probes.ts) own the sockets and processes.
//
// keepalived 2.2.7 semantics, read from its source (keepalived/check/):
//  * start (check_api.c register_checkers_thread): first probe at 1 s (BOOTSTRAP_DELAY) plus a
//    random part of `warmup` (warmup defaults to delay_loop, check_data.c validate_check_config).
//  * alpha (check_data.c validate_check_config): an alpha checker starts failed, others start up.
//    Either way the retry counter starts at `retry`, so the first failure counts at once.
//  * TCP_CHECK (check_tcp.c tcp_epilog): a success, or a failure with the retry counter used up,
//    resets the counter and waits delay_loop; other failures count one retry and wait
//    delay_before_retry. The next probe is timed from the end of this one.
//  * MISC_CHECK (check_misc.c misc_check_child_thread): exit 0 is success; with misc_dynamic
//    2..255 is success too and sets the weight to code-2; anything else, a signal or a timeout is
//    a failure. Retries count only while the checker is up (or has not run). The next run is
//    timed from the START of this one (last_ran), delay_before_retry while retrying.
//  * A change of the checker's state goes to the real server (ipwrapper.c
//    update_svr_checker_state); the first result of a checker that already matches its state
//    still notifies when the checker is alpha or the result is a failure (an alpha real server
//    that fails its first check gets its notify_down).
// Log lines are keepalived's words, with its FMT_RS/FMT_VS texts (`[192.0.2.10]:tcp:80`).
import type { Ms } from '../lib/units.js';
import { ms } from '../lib/units.js';
import { httpStep, type HttpProbeResult } from './http-state.js';
import { dnsStep } from './dns-check.js';
import { smtpStep } from './smtp-check.js';
import { pingStep, udpStep } from './udp-check.js';
import { stepOutput, verdict, type Verdict } from './step-outcome.js';

/** check_api.h BOOTSTRAP_DELAY: the first probe is at least this far from the start. */
export const BOOTSTRAP_DELAY_MS = 1000;

export type RunnableCheckerKind = 'TCP_CHECK' | 'MISC_CHECK' | 'HTTP_GET' | 'SSL_GET' | 'UDP_CHECK' | 'DNS_CHECK' | 'SMTP_CHECK' | 'PING_CHECK' | 'FILE_CHECK';

/** What one checker needs to decide (plain data, serialisable). */
export interface CheckerParams {
  readonly kind: RunnableCheckerKind;
  /** keepalived's FMT_RS: `[192.0.2.10]:tcp:80` (the real server, not connect_ip). */
  readonly rsText: string;
  /** keepalived's FMT_VS: `[192.0.2.1]:tcp:80`, `FWM 5`, `[GROUP]:0`. */
  readonly vsText: string;
  readonly retry: number;
  readonly delayLoop: Ms;
  readonly delayBeforeRetry: Ms;
  readonly warmup: Ms;
  readonly alpha: boolean;
  /** The checker's log_all_failures or global checker_log_all_failures. */
  readonly logAllFailures: boolean;
  /** MISC_CHECK: the script's argv[0], as keepalived prints it. */
  readonly script?: string;
  /** MISC_CHECK misc_dynamic. */
  readonly dynamic?: boolean;
  /** HTTP_GET / SSL_GET: each url's path, in order (http-state.ts). */
  readonly urls?: readonly string[];
  /** HTTP_GET / SSL_GET: each url's own virtualhost ('' for none), printed before its path. */
  readonly urlVhosts?: readonly string[];
  /** HTTP_GET / SSL_GET fast_recovery. */
  readonly fastRecovery?: boolean;
}

export interface CheckerState {
  readonly up: boolean;
  readonly hasRun: boolean;
  /** keepalived's retry_it. */
  readonly retryIt: number;
  /** MISC_CHECK: the exit code that set the current weight (0: none). */
  readonly lastExitCode: number;
  /** misc_dynamic: the weight the last exit code set; undefined = the configured weight. */
  readonly dynamicWeight: number | undefined;
  /** HTTP_GET / SSL_GET: the url checked next (keepalived's url_it). */
  readonly urlIt?: number;
  /** HTTP_GET / SSL_GET: the url that failed (keepalived's failed_url). */
  readonly failedUrl?: number;
  /** HTTP_GET / SSL_GET: per url, the Content-Length mismatch last reported (0: none). */
  readonly lenMismatch?: readonly number[];
}

/** One probe's outcome, as the probes report it. */
export type ProbeResult =
  /** TCP: the connection was established (and closed at once). */
  | { readonly kind: 'connected' }
  /** TCP: no answer within connect_timeout. MISC: killed after misc_timeout. */
  | { readonly kind: 'timeout' }
  /** TCP: refused, reset, unreachable ... (errno text in detail). */
  | { readonly kind: 'connectFailed'; readonly detail: string }
  /** TCP: bind_to / bind_port could not be bound; keepalived reschedules without a verdict. */
  | { readonly kind: 'bindFailed'; readonly detail: string }
  /** MISC: the script exited. */
  | { readonly kind: 'exited'; readonly code: number }
  /** MISC: the script died of a signal we did not send for a timeout. */
  | { readonly kind: 'signaled'; readonly signal: number }
  /** HTTP_GET / SSL_GET: one url checked (http-state.ts). */
  | HttpProbeResult
  /** UDP/DNS/SMTP: the exchange failed; detail is keepalived's words for why. */
  | { readonly kind: 'failed'; readonly detail: string };

export interface StepOutput {
  readonly state: CheckerState;
  /** Absolute time (ms, the clock of `now`) of the next probe. */
  readonly next: Ms;
  /** The checker turned up or down: the real server's state is recomputed. */
  readonly change?: 'up' | 'down';
  /** First result matching the initial state of an alpha checker (or a failure): the real server's notifies are sent as they stand. */
  readonly initialNotify?: boolean;
  /** misc_dynamic changed the weight: the new one, or null for back to the configured weight. */
  readonly weight?: number | null;
  readonly logs: readonly string[];
}

export function initialState(p: CheckerParams): CheckerState {
  return { up: !p.alpha, hasRun: false, retryIt: p.retry, lastExitCode: 0, dynamicWeight: undefined };
}

/** The first probe: BOOTSTRAP_DELAY plus `warmup * random` (random in [0, 1)). */
export function firstDeadline(p: CheckerParams, now: Ms, random: number): Ms {
  const r = Math.min(Math.max(random, 0), 1);
  return ms(now + BOOTSTRAP_DELAY_MS + Math.floor(p.warmup * r));
}

/** keepalived's "Activating healthchecker ..." start line. */
export function activatingLine(p: CheckerParams): string {
  return `Activating healthchecker for service ${p.rsText} for VS ${p.vsText}`;
}

/**
 * Applies one probe result. `startedAt` / `endedAt` are when the probe began and finished
 * (same clock as `now` elsewhere).
 */
export function onProbeResult(p: CheckerParams, s: CheckerState, r: ProbeResult, startedAt: Ms, endedAt: Ms): StepOutput {
  return STEPS[p.kind](p, s, r, endedAt, startedAt);
}

/** One checker kind's rules: the result of a probe that began at `startedAt` and ended at `endedAt`. */
type Step = (p: CheckerParams, s: CheckerState, r: ProbeResult, endedAt: Ms, startedAt: Ms) => StepOutput;

const STEPS: Readonly<Record<RunnableCheckerKind, Step>> = {
  HTTP_GET: httpStep,
  SSL_GET: httpStep,
  TCP_CHECK: tcpStep,
  UDP_CHECK: udpStep,
  PING_CHECK: pingStep,
  DNS_CHECK: dnsStep,
  SMTP_CHECK: smtpStep,
  MISC_CHECK: miscStep,
  FILE_CHECK: miscStep,
};

function tcpStep(p: CheckerParams, s: CheckerState, r: ProbeResult, endedAt: Ms): StepOutput {
  const logs: string[] = [];
  if (r.kind === 'bindFailed') {
    // check_tcp.c tcp_connect_thread: no verdict, try again after delay_loop.
    logs.push('TCP socket bind failed. Rescheduling.');
    return { state: s, next: ms(endedAt + p.delayLoop), logs };
  }
  const ok = r.kind === 'connected';
  if (!ok && s.up && p.logAllFailures) logs.push(`TCP connection to ${p.rsText} ${r.kind === 'timeout' ? 'timeout' : 'failed'}.`);
  let delay: number;
  let retryIt = s.retryIt;
  let v: Verdict = { up: s.up };
  if (ok || s.retryIt >= p.retry) {
    delay = p.delayLoop;
    retryIt = 0;
    if (ok && (!s.up || !s.hasRun)) {
      logs.push(`TCP connection to ${p.rsText} success.`);
      v = verdict(p, s, true);
    } else if (!ok && (s.up || !s.hasRun)) {
      logs.push(p.retry > 0 && s.hasRun ? `TCP_CHECK on service ${p.rsText} failed after ${p.retry} retries.` : `TCP_CHECK on service ${p.rsText} failed.`);
      v = verdict(p, s, false);
    }
  } else {
    delay = p.delayBeforeRetry;
    retryIt++;
  }
  return stepOutput({ ...s, up: v.up, hasRun: true, retryIt }, ms(endedAt + delay), v, logs);
}

function miscStep(p: CheckerParams, s: CheckerState, r: ProbeResult, endedAt: Ms, startedAt: Ms): StepOutput {
  const logs: string[] = [];
  let retryIt = s.retryIt;
  let lastExitCode = s.lastExitCode;
  let dynamicWeight = s.dynamicWeight;
  let weight: number | null | undefined;
  let exitType: string | undefined;
  let reason: string | undefined;
  let reasonCode = 0;
  let success = false;
  let messageOnly = false;

  const countFailure = (): void => {
    if (retryIt < p.retry) {
      retryIt++;
      if (p.logAllFailures) messageOnly = true;
      else exitType = undefined; // a retry follows: nothing is said
    } else {
      retryIt = 0;
    }
  };

  if (r.kind === 'exited') {
    const code = r.code;
    if (code === 0 || (p.dynamic === true && code >= 2 && code <= 255)) {
      // misc_dynamic: weight = exit code - 2 (0..253); exit 0 puts the configured weight back.
      if (code !== lastExitCode) {
        dynamicWeight = code === 0 ? undefined : code - 2;
        weight = dynamicWeight ?? null;
        lastExitCode = code;
      }
      if (!s.up || !s.hasRun) {
        exitType = 'succeeded';
        success = true;
      }
      retryIt = 0;
    } else if (s.up || !s.hasRun) {
      exitType = 'failed';
      reason = 'exited with status';
      reasonCode = code;
      const before = retryIt;
      countFailure();
      if (before >= p.retry) {
        // Retries used up: the dynamic weight goes with the checker.
        if (dynamicWeight !== undefined) weight = null;
        dynamicWeight = undefined;
        lastExitCode = code;
      }
    }
  } else if (s.up || !s.hasRun) {
    // A signal, or our own kill after misc_timeout ("timed out"). Connection results cannot
    // come from a script; they are failures here too.
    if (r.kind === 'timeout') exitType = 'timed out';
    else {
      exitType = 'failed';
      reason = 'due to signal';
      reasonCode = r.kind === 'signaled' ? r.signal : 0;
    }
    countFailure();
  }

  let v: Verdict = { up: s.up };
  if (exitType !== undefined) {
    let message = '';
    if (!success) {
      if (p.retry > 0) {
        const word = p.retry === 1 ? 'retry' : 'retries';
        if (retryIt === 1) message = `, will do ${p.retry} ${word}`;
        else if (retryIt > 1) message = ` on retry ${retryIt - 1}/${p.retry}`;
        else message = ` after ${p.retry} ${word}`;
      } else message = ' with retry disabled';
    }
    const head = `Misc check for [${p.rsText} VS ${p.vsText}] by [${p.script ?? ''}] ${exitType}${message}`;
    logs.push(reason !== undefined ? `${head} (${reason} ${reasonCode}).` : `${head}.`);
    if (!messageOnly) {
      v = verdict(p, s, success);
      if (!success && dynamicWeight !== undefined) {
        // keepalived zeroes the checker's weight share when it fails (cur_weight = 0).
        dynamicWeight = undefined;
        weight = null;
      }
    }
  }

  // Timed from the start of this run; never in the past (keepalived: at least 1 us ahead).
  const due = startedAt + (retryIt > 0 ? p.delayBeforeRetry : p.delayLoop);
  return stepOutput({ up: v.up, hasRun: true, retryIt, lastExitCode, dynamicWeight }, ms(Math.max(due, endedAt + 0.001)), v, logs, weight);
}
