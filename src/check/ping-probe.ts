// PING_CHECK probe: ICMP / ICMPv6 echo through the project's addon raw sockets (one socket per
// family, shared by every PING_CHECK of the checker process; replies are matched by identifier,
// sequence number and source). keepalived 2.2.7 uses unprivileged ping sockets
// (SOCK_DGRAM/IPPROTO_ICMP), which the kernel demultiplexes by identifier; the raw socket needs
// the matching done here and root, which the daemon has. An echo reply within connect_timeout
// is up; an ICMP destination unreachable quoting our request, or no reply, is down.
import { isIP } from 'node:net';
import { loadNative, type NativeRecvMeta, type NativeSocket } from '../net/native.js';
import type { ProbeResult } from './checker-state.js';
import { buildEchoRequest, ipPayload, ipv4Source, parseIcmp } from './ping-packet.js';
import type { PingCheckerPlan } from './plan.js';
import type { ProbeHandle } from './probes.js';
import { errorDetail, PendingProbes } from './probe-end.js';

/** Canonical text of an address, so `2001:db8::1` and `2001:DB8:0::1` meet. */
function canon(a: string): string {
  if (isIP(a) !== 6) return a;
  const u = new URL(`http://[${a}]/`);
  return u.hostname.slice(1, -1);
}

export class PingSockets {
  private readonly socks = new Map<4 | 6, NativeSocket>();
  /** Requests in flight by `family/seq`, with the address the reply must come from; when none is left the sockets stop holding the process. */
  private readonly pending = new PendingProbes<string, { readonly host: string }>(() => {
    for (const s of this.socks.values()) s.unref();
  });
  private seq = 0;
  /** The identifier of every request this process sends. */
  private readonly ident = process.pid & 0xffff;

  private socket(family: 4 | 6): NativeSocket {
    let s = this.socks.get(family);
    if (s) return s;
    const addon = loadNative();
    s =
      family === 4
        ? new addon.Socket(addon.kinds.raw4, { protocol: 1, hdrincl: false })
        : // IPPROTO_ICMPV6: the kernel computes the checksum itself (RFC 3542 3.1).
          new addon.Socket(addon.kinds.raw6, { protocol: 58, checksumOffset: -1 });
    s.start((data, meta) => {
      if (data) this.onPacket(family, data, meta as NativeRecvMeta);
    });
    this.socks.set(family, s);
    return s;
  }

  private onPacket(family: 4 | 6, data: Buffer, meta: NativeRecvMeta): void {
    const icmp = family === 4 ? ipPayload(data) : data;
    const src = canon(family === 4 ? ipv4Source(data) : (meta.src ?? ''));
    const ev = parseIcmp(family, icmp);
    if (ev.kind === 'other' || ev.id !== this.ident) return;
    const key = `${family}/${ev.seq}`;
    const p = this.pending.get(key);
    if (!p) return;
    if (ev.kind === 'reply' && src !== p.host) return;
    this.pending.settle(key, ev.kind === 'reply' ? { kind: 'connected' } : { kind: 'connectFailed', detail: 'unreachable' });
  }

  start(plan: PingCheckerPlan, done: (r: ProbeResult) => void): ProbeHandle {
    const family = plan.family;
    this.seq = (this.seq + 1) & 0xffff;
    const seq = this.seq;
    const key = `${family}/${seq}`;
    // A sequence number still pending after 65,536 requests is answered as a timeout first.
    this.pending.settle(key, { kind: 'timeout' });
    const handle = this.pending.add(key, { host: canon(plan.host) }, done, plan.connectTimeoutMs);
    try {
      const s = this.socket(family);
      s.ref();
      s.send(buildEchoRequest(family, this.ident, seq), plan.host);
    } catch (e) {
      this.pending.later(key, { kind: 'connectFailed', detail: errorDetail(e) });
    }
    return handle;
  }

  close(): void {
    this.pending.clear();
    for (const s of this.socks.values()) s.close();
    this.socks.clear();
  }
}
