// DNS_CHECK, the pure half: the query keepalived 2.2.7 sends (check_dns.c dns_make_query), what
// it accepts as an answer (dns_recv_thread) and its verdict and retry rules (dns_final).
//
//  query:  header (id random, flags RD, QDCOUNT 1) + QNAME from `name` + QTYPE from `type` + IN
//  reply:  shorter than the header, another id or QR clear -> ignored, keep waiting;
//          RCODE != 0 -> failure "read error occurred. (rcode = N)"; otherwise success. The
//          answer count is not looked at: an empty NOERROR answer is up.
//
//   0  1  2  3  4  5  6  7  8  9 10 11 12 13 14 15
//  +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//  |                      ID                       |
//  |QR|   Opcode  |AA|TC|RD|RA|   Z    |   RCODE   |
//  |        QDCOUNT / ANCOUNT / NSCOUNT / ARCOUNT   |   (RFC 1035 4.1.1)
import type { Ms } from '../lib/units.js';
import { ms } from '../lib/units.js';
import type { CheckerParams, CheckerState, ProbeResult, StepOutput } from './checker-state.js';
import { stepOutput, verdict, type Verdict } from './step-outcome.js';

/** RFC 1035 3.2.2 / RFC 3596 QTYPE values of the types keepalived accepts. */
export const DNS_TYPES = { A: 1, NS: 2, CNAME: 5, SOA: 6, MX: 15, TXT: 16, AAAA: 28 } as const;
export type DnsTypeName = keyof typeof DNS_TYPES;

export const DNS_HEADER_LEN = 12;

/** The query for `name` (dotted; "." is the root) and `type`, with the given 16-bit id. */
export function buildDnsQuery(id: number, name: string, type: DnsTypeName): Buffer {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(DNS_HEADER_LEN);
  header.writeUInt16BE(id & 0xffff, 0);
  header.writeUInt16BE(0x0100, 2); // RD
  header.writeUInt16BE(1, 4);
  parts.push(header);
  // keepalived writes one length-prefixed label per dot-separated part; the root name "."
  // is the single zero octet.
  if (name === '.') parts.push(Buffer.from([0]));
  else {
    for (const label of name.split('.')) {
      if (label === '') continue;
      const b = Buffer.from(label, 'latin1');
      parts.push(Buffer.from([b.length & 0xff]), b);
    }
    parts.push(Buffer.from([0]));
  }
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(DNS_TYPES[type], 0);
  tail.writeUInt16BE(1, 2); // class IN
  parts.push(tail);
  return Buffer.concat(parts);
}

/** What one received datagram means for the query with `id`. */
export type DnsReplyVerdict = { kind: 'ignore' } | { kind: 'ok' } | { kind: 'rcode'; rcode: number };

export function judgeDnsReply(reply: Uint8Array, id: number): DnsReplyVerdict {
  if (reply.length < DNS_HEADER_LEN) return { kind: 'ignore' };
  const rid = (reply[0]! << 8) | reply[1]!;
  if (rid !== (id & 0xffff)) return { kind: 'ignore' };
  const flags = (reply[2]! << 8) | reply[3]!;
  if ((flags & 0x8000) === 0) return { kind: 'ignore' };
  const rcode = flags & 0x000f;
  return rcode === 0 ? { kind: 'ok' } : { kind: 'rcode', rcode };
}

/** The words of a failed probe (dns_final's formats). */
export function dnsFailureWords(r: ProbeResult): string {
  switch (r.kind) {
    case 'timeout':
      return 'read timeout from socket';
    case 'failed':
    case 'connectFailed':
    case 'bindFailed':
      return r.detail;
    default:
      return 'connection error.';
  }
}

/** check_dns.c dns_final: every verdict waits from the end of the probe. */
export function dnsStep(p: CheckerParams, s: CheckerState, r: ProbeResult, endedAt: Ms): StepOutput {
  const logs: string[] = [];
  if (r.kind === 'connected') return stepOutput({ ...s, up: true, hasRun: true, retryIt: 0 }, ms(endedAt + p.delayLoop), verdict(p, s, true), logs);
  // A failure counts only while the checker is up or has not run; a down checker just waits.
  let v: Verdict = { up: s.up };
  if (s.up || !s.hasRun) {
    if (p.logAllFailures || s.retryIt >= p.retry) {
      const after = s.hasRun && s.retryIt >= p.retry ? ` after ${p.retry} retries` : '';
      logs.push(`DNS_CHECK (${p.rsText}) ${dnsFailureWords(r)}${after}`);
    }
    if (s.retryIt < p.retry) {
      return { state: { ...s, hasRun: true, retryIt: s.retryIt + 1 }, next: ms(endedAt + p.delayBeforeRetry), logs };
    }
    v = verdict(p, s, false);
  }
  return stepOutput({ ...s, up: v.up, hasRun: true, retryIt: 0 }, ms(endedAt + p.delayLoop), v, logs);
}
