// UDP_CHECK and DNS_CHECK probes: one connected node:dgram socket per probe, bounded by
// connect_timeout. A connected UDP socket reports the ICMP destination unreachable its datagram
// drew as ECONNREFUSED (or EHOSTUNREACH ...) on receive, which is keepalived's IP_RECVERR check
// (core/layer4.c udp_socket_error) in Node's words.
import { createSocket, type Socket } from 'node:dgram';
import { constants as osConstants } from 'node:os';
import type { ProbeResult } from './checker-state.js';
import { buildDnsQuery, judgeDnsReply } from './dns-check.js';
import type { DnsCheckerPlan, UdpCheckerPlan } from './plan.js';
import type { ProbeHandle } from './probes.js';
import { parseHexPattern } from '../lib/hex-pattern.js';
import { defaultUdpPayload, udpReplyMatches } from './udp-check.js';
import { errorDetail, probeEnd } from './probe-end.js';

const ERRNO = osConstants.errno as Readonly<Record<string, number>>;
/** strerror() texts keepalived prints for the errors a UDP probe meets. */
const STRERROR: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'Connection refused',
  EHOSTUNREACH: 'No route to host',
  ENETUNREACH: 'Network is unreachable',
  EACCES: 'Permission denied',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  EADDRINUSE: 'Address already in use',
};

interface Exchange {
  /** Each datagram received; return a result to finish, undefined to keep waiting. */
  onMessage(m: Buffer): ProbeResult | undefined;
  onTimeout(): ProbeResult;
  onError(e: NodeJS.ErrnoException): ProbeResult;
}

type DatagramPlan = UdpCheckerPlan | DnsCheckerPlan;

function exchange(plan: DatagramPlan, payload: Buffer, x: Exchange, done: (r: ProbeResult) => void): ProbeHandle {
  const sock: Socket = createSocket({ type: plan.family === 6 ? 'udp6' : 'udp4' });
  const end = probeEnd(done, () => {
    try {
      sock.close();
    } catch {
      // already closed
    }
  });
  const finish = end.finish;
  end.arm(plan.connectTimeoutMs, () => x.onTimeout());
  sock.on('error', (e: NodeJS.ErrnoException) => {
    if (e.syscall === 'bind') finish({ kind: 'bindFailed', detail: e.code ?? e.message });
    else finish(x.onError(e));
  });
  sock.on('message', (m) => {
    const r = x.onMessage(m);
    if (r) finish(r);
  });
  const connect = (): void =>
    sock.connect(plan.port, plan.host, () => {
      sock.send(payload, (e) => {
        if (e) finish(x.onError(e as NodeJS.ErrnoException));
      });
    });
  try {
    if (plan.bindto !== undefined || plan.bindPort !== undefined) sock.bind({ ...(plan.bindto !== undefined ? { address: plan.bindto } : {}), port: plan.bindPort ?? 0, exclusive: true }, connect);
    else connect();
  } catch (e) {
    end.later({ kind: 'connectFailed', detail: errorDetail(e) });
  }
  return end.handle;
}

/** UDP_CHECK: payload out; a reply, or silence when no reply is required, is up. */
export function udpProbe(plan: UdpCheckerPlan, done: (r: ProbeResult) => void): ProbeHandle {
  const payload = plan.payloadHex !== undefined ? Buffer.from(parseHexPattern(plan.payloadHex, false)?.data ?? []) : defaultUdpPayload();
  const want = plan.replyHex !== undefined ? parseHexPattern(plan.replyHex, true) : undefined;
  return exchange(
    plan,
    payload.length > 0 ? payload : defaultUdpPayload(),
    {
      onMessage: (m) => {
        // keepalived reads at most max_reply_length + 1 octets, so a longer reply fails the
        // length test.
        const got = m.subarray(0, plan.maxReplyLength + 1);
        if (want && !udpReplyMatches(got, want, plan.minReplyLength, plan.maxReplyLength)) return { kind: 'failed', detail: 'reply data mismatch' };
        return { kind: 'connected' };
      },
      onTimeout: () => (plan.requireReply ? { kind: 'timeout' } : { kind: 'connected' }),
      onError: (e) => ({ kind: 'connectFailed', detail: e.code ?? e.message }),
    },
    done,
  );
}

/** DNS_CHECK: one query, the first reply with our id and QR set decides. */
export function dnsProbe(plan: DnsCheckerPlan, done: (r: ProbeResult) => void, random: () => number = Math.random): ProbeHandle {
  const id = Math.floor(random() * 0x10000) & 0xffff;
  return exchange(
    plan,
    buildDnsQuery(id, plan.name, plan.type),
    {
      onMessage: (m) => {
        const v = judgeDnsReply(m, id);
        if (v.kind === 'ignore') return undefined;
        return v.kind === 'ok' ? { kind: 'connected' } : { kind: 'failed', detail: `read error occurred. (rcode = ${v.rcode})` };
      },
      onTimeout: () => ({ kind: 'timeout' }),
      onError: (e) => {
        const code = e.code ?? '';
        if (e.syscall === 'send') return { kind: 'failed', detail: 'failed to write socket.' };
        return { kind: 'failed', detail: `failed to read socket; errno ${ERRNO[code] ?? 0} (${STRERROR[code] ?? code})` };
      },
    },
    done,
  );
}
