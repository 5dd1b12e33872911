// SMTP_CHECK, the pure half (keepalived 2.2.7 check_smtp.c): the reply status of one line and
// the verdict and retry rules of smtp_final. The dialogue itself (smtp-probe.ts) is:
//   connect -> read a line, status 220 -> "HELO <helo_name>\r\n" -> read a line, status 250
//   -> "QUIT\r\n" -> read a line (any) -> success.
// Every read and the connect are bounded by connect_timeout.
import type { Ms } from '../lib/units.js';
import { ms } from '../lib/units.js';
import type { CheckerParams, CheckerState, ProbeResult, StepOutput } from './checker-state.js';
import { stepOutput, verdict } from './step-outcome.js';

/**
 * smtp_get_status: the line must start with exactly three digits followed by a space or its
 * end ("220-..." continuation lines do not count); -1 otherwise.
 */
export function smtpStatus(line: string): number {
  const m = /^(\d{3})(?: |$|\r)/.exec(line);
  return m ? Number(m[1]) : -1;
}

/** keepalived's inet_sockaddrtopair: `[192.0.2.1]:25`, `[2001:db8::1]:25`. */
export function smtpServerText(host: string, port: number): string {
  return `[${host}]:${port}`;
}

/** smtp_final: failures retry `retry` times at delay_before_retry whatever the state. */
export function smtpStep(p: CheckerParams, s: CheckerState, r: ProbeResult, endedAt: Ms): StepOutput {
  const logs: string[] = [];
  const decides = !s.hasRun || s.up !== (r.kind === 'connected');
  if (r.kind !== 'connected') {
    if (decides && (p.logAllFailures || s.retryIt >= p.retry)) {
      const detail = r.kind === 'failed' || r.kind === 'connectFailed' || r.kind === 'bindFailed' ? r.detail : 'Connection timeout';
      logs.push(`SMTP_CHECK ${detail}`);
    }
    const retryIt = s.retryIt + 1;
    if (retryIt <= p.retry) return { state: { ...s, retryIt }, next: ms(endedAt + p.delayBeforeRetry), logs };
    return stepOutput({ ...s, up: false, hasRun: true, retryIt }, ms(endedAt + p.delayLoop), verdict(p, s, false), logs);
  }
  if (decides) logs.push(`Remote SMTP server ${p.rsText} succeed on service.`);
  return stepOutput({ ...s, up: true, hasRun: true, retryIt: 0 }, ms(endedAt + p.delayLoop), verdict(p, s, true), logs);
}
