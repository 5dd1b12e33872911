// The pure halves of UDP_CHECK, DNS_CHECK, SMTP_CHECK, PING_CHECK and FILE_CHECK: keepalived's
// hex strings, the reply comparison, the DNS query and ICMP echo bytes (checked against scapy,
// an independent encoder), and each checker's retry and verdict rules as keepalived 2.2.7
// applies them (check_udp.c udp_epilog, check_dns.c dns_final, check_smtp.c smtp_final,
// check_ping.c icmp_epilog, track_file.c).
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { initialState, onProbeResult, type CheckerParams, type CheckerState, type ProbeResult } from '../../../src/check/checker-state.js';
import { buildDnsQuery, judgeDnsReply } from '../../../src/check/dns-check.js';
import { fileStatus } from '../../../src/check/file-check.js';
import { buildEchoRequest, parseIcmp } from '../../../src/check/ping-packet.js';
import { smtpStatus } from '../../../src/check/smtp-check.js';
import { defaultUdpPayload, udpReplyMatches } from '../../../src/check/udp-check.js';
import { parseHexPattern } from '../../../src/lib/hex-pattern.js';
import { ms, type Ms } from '../../../src/lib/units.js';
import { hasScapy, itWhen, PYTHON } from '../../helpers/require.js';

/** scapy's bytes for each expression, from one python run (spawning it is slow on a loaded machine). */
const EXPRS = {
  qMx: "DNS(id=0x1234, rd=1, qd=DNSQR(qname='example.org', qtype='MX'))",
  qAaaa: "DNS(id=0x1234, rd=1, qd=DNSQR(qname='www.example.net.', qtype='AAAA'))",
  qRoot: "DNS(id=0xbeef, rd=1, qd=DNSQR(qname='.', qtype='SOA'))",
  rOk: 'DNS(id=7, qr=1, rcode=0, ancount=0)',
  rNx: 'DNS(id=7, qr=1, rcode=3)',
  rOtherId: 'DNS(id=8, qr=1)',
  rQuery: 'DNS(id=7, qr=0)',
  echo: "ICMP(type=8, id=0x1234, seq=7)/(b'keepalived check - '*7)[:128]",
  echoReply: "ICMP(type=0, id=0x1234, seq=7)/(b'x'*8)",
  unreach: "ICMP(type=3, code=1)/IP(src='192.0.2.1', dst='192.0.2.9')/ICMP(type=8, id=0x1234, seq=9)",
  echoReply6: 'ICMPv6EchoReply(id=5, seq=6)',
} as const;
let scapyCache: Record<string, string> | undefined;
const scapyHex = (name: keyof typeof EXPRS): string => {
  if (!scapyCache) {
    const code = `from scapy.all import *\n${Object.entries(EXPRS).map(([k, e]) => `print(${JSON.stringify(k)}, raw(${e}).hex())`).join('\n')}`;
    const r = spawnSync(PYTHON, ['-c', code], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    scapyCache = Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.split(' ') as [string, string]));
  }
  return scapyCache[name]!;
};

describe('hex strings and UDP replies', () => {
  it('reads keepalived hex strings: digit pairs, lone digits before a blank, x wildcards only where allowed', () => {
    expect(parseHexPattern('0123 4', false)).toEqual({ data: Uint8Array.from([0x01, 0x23, 0x04]) });
    expect(parseHexPattern('4f 4B 2d xX', true)).toEqual({ data: Uint8Array.from([0x4f, 0x4b, 0x2d, 0]), mask: Uint8Array.from([0, 0, 0, 0xff]) });
    expect(parseHexPattern('4x', true)).toEqual({ data: Uint8Array.from([0x40]), mask: Uint8Array.from([0x0f]) });
    expect(parseHexPattern('4x', false)).toBeUndefined();
    expect(parseHexPattern('zz', true)).toBeUndefined();
    expect(parseHexPattern('   ', true)).toBeUndefined();
  });

  it('compares a reply: lengths within [min, max], the first min(len, data) octets equal, wildcards match anything', () => {
    const want = parseHexPattern('4f 4b x5', true)!;
    expect(udpReplyMatches(Buffer.from([0x4f, 0x4b, 0xa5, 9]), want, 0, 255)).toBe(true);
    expect(udpReplyMatches(Buffer.from([0x4f, 0x4b, 0xa6]), want, 0, 255)).toBe(false);
    // A short reply is compared only as far as it goes (check_udp.c check_udp_reply).
    expect(udpReplyMatches(Buffer.from([0x4f]), want, 0, 255)).toBe(true);
    expect(udpReplyMatches(Buffer.from([0x4f]), want, 2, 255)).toBe(false);
    expect(udpReplyMatches(Buffer.from([0x4f, 0x4b, 0x05]), want, 0, 2)).toBe(false);
  });

  it('sends keepalived\'s filler when no payload is configured', () => {
    expect(defaultUdpPayload().toString('latin1')).toBe('keepalived check - keepalived ch');
  });
});

describe('DNS query and reply', () => {
  itWhen(hasScapy)('the query is what scapy encodes for the same id, name, type and RD', () => {
    expect(buildDnsQuery(0x1234, 'example.org', 'MX').toString('hex')).toBe(scapyHex('qMx'));
    expect(buildDnsQuery(0x1234, 'www.example.net.', 'AAAA').toString('hex')).toBe(scapyHex('qAaaa'));
    expect(buildDnsQuery(0xbeef, '.', 'SOA').toString('hex')).toBe(scapyHex('qRoot'));
  });

  itWhen(hasScapy)('a reply: other id or QR clear is ignored, RCODE decides, answers are not required', () => {
    const reply = (k: keyof typeof EXPRS) => Buffer.from(scapyHex(k), 'hex');
    expect(judgeDnsReply(reply('rOk'), 7)).toEqual({ kind: 'ok' });
    expect(judgeDnsReply(reply('rNx'), 7)).toEqual({ kind: 'rcode', rcode: 3 });
    expect(judgeDnsReply(reply('rOtherId'), 7)).toEqual({ kind: 'ignore' });
    expect(judgeDnsReply(reply('rQuery'), 7)).toEqual({ kind: 'ignore' });
    expect(judgeDnsReply(Buffer.alloc(5), 0)).toEqual({ kind: 'ignore' });
  });
});

describe('ICMP echo', () => {
  itWhen(hasScapy)('the ICMPv4 echo request is what scapy encodes (checksum included); replies and quoted errors are matched by id and sequence', () => {
    const ours = buildEchoRequest(4, 0x1234, 7);
    expect(ours.toString('hex')).toBe(scapyHex('echo'));
    const reply = Buffer.from(scapyHex('echoReply'), 'hex');
    expect(parseIcmp(4, reply)).toEqual({ kind: 'reply', id: 0x1234, seq: 7 });
    const unreach = Buffer.from(scapyHex('unreach'), 'hex');
    expect(parseIcmp(4, unreach)).toEqual({ kind: 'unreachable', id: 0x1234, seq: 9 });
    expect(parseIcmp(6, Buffer.from(scapyHex('echoReply6'), 'hex'))).toEqual({ kind: 'reply', id: 5, seq: 6 });
  });
});

describe('SMTP status lines', () => {
  it('three digits then a blank or the end; continuation lines do not count', () => {
    expect(smtpStatus('220 mx.example ESMTP')).toBe(220);
    expect(smtpStatus('250')).toBe(250);
    expect(smtpStatus('220-mx.example')).toBe(-1);
    expect(smtpStatus('2200 x')).toBe(-1);
    expect(smtpStatus('hello')).toBe(-1);
  });
});

const P = (kind: CheckerParams['kind'], over: Partial<CheckerParams> = {}): CheckerParams => ({
  kind,
  rsText: '[192.0.2.10]:udp:53',
  vsText: '[192.0.2.1]:udp:53',
  retry: 2,
  delayLoop: ms(1000),
  delayBeforeRetry: ms(300),
  warmup: ms(0),
  alpha: false,
  logAllFailures: false,
  ...over,
});

/** Feeds results one after the other; returns each step's change, next delay and logs. */
function run(p: CheckerParams, results: ProbeResult[]) {
  let s: CheckerState = initialState(p);
  let t = 0;
  return results.map((r) => {
    const o = onProbeResult(p, s, r, ms(t) as Ms, ms(t + 10) as Ms);
    s = o.state;
    const step = { up: s.up, change: o.change, initial: o.initialNotify, delay: o.next - (t + 10), logs: o.logs };
    t = o.next;
    return step;
  });
}

/** Each step as `state(change) delay-to-next-probe`, e.g. `up 1000, down(down) 1000`. */
const trace = (steps: ReturnType<typeof run>): string =>
  steps.map((s) => `${s.up ? 'up' : 'down'}${s.change ? `(${s.change})` : ''} ${s.delay}`).join(', ');

const ok: ProbeResult = { kind: 'connected' };
const timeout: ProbeResult = { kind: 'timeout' };

describe('retry and verdict rules', () => {
  it('UDP_CHECK (udp_epilog): the first failure counts at once; once up, retry failures wait delay_before_retry, then down after N retries', () => {
    const steps = run(P('UDP_CHECK'), [ok, { kind: 'connectFailed', detail: 'ECONNREFUSED' }, timeout, timeout, timeout, ok]);
    expect(trace(steps)).toBe('up 1000, up 300, up 300, down(down) 1000, down 1000, up(up) 1000');
    expect(steps[0]!.logs).toEqual(['UDP connection to [192.0.2.10]:udp:53 success.']);
    expect(steps[3]!.logs).toEqual(['UDP_CHECK on service [192.0.2.10]:udp:53 failed after 2 retries.']);
    expect(run(P('UDP_CHECK'), [timeout])[0]).toMatchObject({ up: false, change: 'down', logs: ['UDP_CHECK on service [192.0.2.10]:udp:53 failed.'] });
  });

  it('PING_CHECK (icmp_epilog) uses the same rules with its own words, the VS named after retries', () => {
    const steps = run(P('PING_CHECK', { retry: 1, logAllFailures: true }), [ok, timeout, timeout]);
    expect(steps[1]!.logs).toEqual(['ICMP connection to address [192.0.2.10]:udp:53 timeout.']);
    expect(steps[2]!.logs).toEqual(['ICMP connection to address [192.0.2.10]:udp:53 timeout.', 'ICMP CHECK on service [192.0.2.10]:udp:53 of [192.0.2.1]:udp:53 failed after 1 retries.']);
  });

  it('DNS_CHECK (dns_final): silent retries unless log_all_failures, "after N retries" on the last, no line for success', () => {
    const f: ProbeResult = { kind: 'failed', detail: 'read error occurred. (rcode = 2)' };
    const steps = run(P('DNS_CHECK'), [ok, f, f, f, ok]);
    expect(steps.map((s) => [s.up, s.change ?? '-', s.delay, s.logs.length])).toEqual([
      [true, '-', 1000, 0],
      [true, '-', 300, 0],
      [true, '-', 300, 0],
      [false, 'down', 1000, 1],
      [true, 'up', 1000, 0],
    ]);
    expect(steps[3]!.logs).toEqual(['DNS_CHECK ([192.0.2.10]:udp:53) read error occurred. (rcode = 2) after 2 retries']);
    expect(run(P('DNS_CHECK', { logAllFailures: true }), [ok, f])[1]!.logs).toEqual(['DNS_CHECK ([192.0.2.10]:udp:53) read error occurred. (rcode = 2)']);
  });

  it('SMTP_CHECK (smtp_final): failures retry at delay_before_retry in either state; when down, failures stay at delay_loop once retries are spent', () => {
    const f: ProbeResult = { kind: 'failed', detail: 'Bad HELO response from server [192.0.2.10]:25' };
    const steps = run(P('SMTP_CHECK', { retry: 1 }), [ok, f, f, f, ok]);
    expect(trace(steps)).toBe('up 1000, up 300, down(down) 1000, down 1000, up(up) 1000');
    expect(steps[0]!.logs).toEqual(['Remote SMTP server [192.0.2.10]:udp:53 succeed on service.']);
    expect(steps[2]!.logs).toEqual(['SMTP_CHECK Bad HELO response from server [192.0.2.10]:25']);
  });

  it('FILE_CHECK (track_file.c): weight 0 is up only at 0 (reverse: the other way); a weight scales the value, the lowest 32-bit value is FAULT', () => {
    expect(fileStatus(0, 0, false)).toEqual({ up: true, offset: 0 });
    expect(fileStatus(3, 0, false)).toEqual({ up: false });
    expect(fileStatus(0, 0, true)).toEqual({ up: false });
    expect(fileStatus(3, 0, true)).toEqual({ up: true, offset: 0 });
    expect(fileStatus(3, 2, false)).toEqual({ up: true, offset: 6 });
    expect(fileStatus(3, 2, true)).toEqual({ up: true, offset: -6 });
    expect(fileStatus(-2147483648, 1, false)).toEqual({ up: false });
    expect(fileStatus(-5, 2147483647, false)).toEqual({ up: false });
  });
});
