// UDP_CHECK and PING_CHECK, the pure half: keepalived's hex strings (payload, require_reply),
// the reply comparison, and the epilog both checkers share (keepalived 2.2.7 check_udp.c
// udp_epilog, check_ping.c icmp_epilog: same retry rules, different words).
//
// Reply rules (check_udp.c check_udp_reply): only when require_reply has data is the reply
// compared: its length must lie in [min_reply_length, max_reply_length] and its first
// min(length, data length) octets must equal the data, `x`/`X` nibbles matching anything.
// Without reply data a reply of any length is success; no reply within connect_timeout is
// success unless require_reply is set; an ICMP destination unreachable is failure.
import type { Ms } from '../lib/units.js';
import { ms } from '../lib/units.js';
import type { HexPattern } from '../lib/hex-pattern.js';
import type { CheckerParams, CheckerState, ProbeResult, StepOutput } from './checker-state.js';
import { stepOutput, verdict, type Verdict } from './step-outcome.js';

/** check_udp.c set_buf: the 32 octets sent when no payload is configured. */
export function defaultUdpPayload(len = 32): Buffer {
  const s = 'keepalived check - ';
  return Buffer.from(s.repeat(Math.ceil(len / s.length)).slice(0, len), 'latin1');
}

/** True when the reply satisfies require_reply (check_udp.c check_udp_reply, inverted). */
export function udpReplyMatches(reply: Uint8Array, want: HexPattern, minLen: number, maxLen: number): boolean {
  if (reply.length < minLen || reply.length > maxLen) return false;
  const n = Math.min(reply.length, want.data.length);
  for (let i = 0; i < n; i++) {
    const care = want.mask ? ~want.mask[i]! & 0xff : 0xff;
    if (((reply[i]! ^ want.data[i]!) & care) !== 0) return false;
  }
  return true;
}

/** The words of one datagram checker's log lines. */
interface EpilogWords {
  success: (p: CheckerParams) => string;
  failedAfter: (p: CheckerParams) => string;
  failed: (p: CheckerParams) => string;
  /** The per-failure line, logged while up with log_all_failures; undefined for none. */
  each: (p: CheckerParams, r: ProbeResult) => string | undefined;
}

const UDP_WORDS: EpilogWords = {
  success: (p) => `UDP connection to ${p.rsText} success.`,
  failedAfter: (p) => `UDP_CHECK on service ${p.rsText} failed after ${p.retry} retries.`,
  failed: (p) => `UDP_CHECK on service ${p.rsText} failed.`,
  each: (p, r) => (r.kind === 'failed' ? `UDP check to ${p.rsText} reply data mismatch.` : `UDP connection to ${p.rsText} failed.`),
};

const ICMP_WORDS: EpilogWords = {
  success: (p) => `ICMP connection to ${p.rsText} success.`,
  failedAfter: (p) => `ICMP CHECK on service ${p.rsText} of ${p.vsText} failed after ${p.retry} retries.`,
  failed: (p) => `ICMP CHECK on service ${p.rsText} failed.`,
  each: (p, r) => (r.kind === 'timeout' ? `ICMP connection to address ${p.rsText} timeout.` : `ICMP connection to ${p.rsText} of ${p.vsText} failed.`),
};

/** udp_epilog / icmp_epilog: the next probe is timed from the end of this one. */
function datagramEpilog(words: EpilogWords, p: CheckerParams, s: CheckerState, r: ProbeResult, endedAt: Ms): StepOutput {
  const logs: string[] = [];
  const ok = r.kind === 'connected';
  if (!ok && s.up && p.logAllFailures) {
    const line = words.each(p, r);
    if (line !== undefined) logs.push(line);
  }
  let delay: number = p.delayLoop;
  let retryIt = s.retryIt;
  let v: Verdict = { up: s.up };
  if (ok || ((s.up || !s.hasRun) && s.retryIt >= p.retry)) {
    retryIt = 0;
    if (ok && (!s.up || !s.hasRun)) {
      logs.push(words.success(p));
      v = verdict(p, s, true);
    } else if (!ok && (s.up || !s.hasRun)) {
      logs.push(p.retry > 0 && s.hasRun ? words.failedAfter(p) : words.failed(p));
      v = verdict(p, s, false);
    }
  } else if (s.up) {
    delay = p.delayBeforeRetry;
    retryIt++;
  }
  return stepOutput({ ...s, up: v.up, hasRun: true, retryIt }, ms(endedAt + delay), v, logs);
}

export function udpStep(p: CheckerParams, s: CheckerState, r: ProbeResult, endedAt: Ms): StepOutput {
  return datagramEpilog(UDP_WORDS, p, s, r, endedAt);
}

export function pingStep(p: CheckerParams, s: CheckerState, r: ProbeResult, endedAt: Ms): StepOutput {
  return datagramEpilog(ICMP_WORDS, p, s, r, endedAt);
}
