// IpvsKernel over generic netlink (family "IPVS", linux/ip_vs.h), the way ipvsadm and keepalived
// program the kernel's IPVS table. Bytes are ipvs-genl-codec.ts; the socket is the project's one
// netlink transport (src/net/netlink-socket.ts) opened for NETLINK_GENERIC by genetlink.ts.
//
// apply() batches: up to `window` requests go out in ONE datagram (NetlinkSocket.requestMany),
// and the next batch when every ACK of this one is in. The kernel runs the requests of a
// datagram one after another inside the sendmsg() that carries them, so the table changes in
// exactly the order of `ops`; each op still gets its own ACK or errno. One system call, one
// wake-up and one timer per batch instead of per request: at 11,000 requests the per-request
// cost of a JavaScript round trip was most of the time (docs/BENCHMARKS.md). The window is
// bounded so the ACKs (and the echoed requests of refusals) never overflow the receive buffer.
import { KernelError, errnoError, toKernelError } from './errors.js';
import { GenericNetlink, type GenlFamily } from './genetlink.js';
import { NetlinkRequestError, NetlinkTimeoutError, NLM_F, type NetlinkMessage } from '../net/netlink-socket.js';
import type { NetlinkWriter, NlResult } from '../net/netlink-codec.js';
import {
  IPVS_CMD,
  IPVS_GENL_NAME,
  IpvsEncodeError,
  decodeDest,
  decodeInfo,
  decodeService,
  decodeSyncDaemon,
  decodeTimeouts,
  writeGenlHeader,
  writeIpvsOp,
  writeServiceKey,
  writeSyncDaemon,
  writeTimeouts,
} from './ipvs-genl-codec.js';
import {
  ipvsOpText,
  serviceKeyText,
  destKeyText,
  type IpvsEntry,
  type IpvsInfo,
  type IpvsKernel,
  type IpvsOp,
  type IpvsOpResult,
  type IpvsSyncDaemon,
  type IpvsTimeouts,
} from './ipvs.js';

/** What a kernel without IPVS answers: one line naming the cause. */
export const IPVS_UNAVAILABLE_MESSAGE =
  'generic netlink family "IPVS" not found: the ip_vs module is not loaded (modprobe ip_vs) or the kernel was built without CONFIG_IP_VS';

export interface GenlIpvsKernelOptions {
  /** Per-request timeout (default 5000 ms). */
  timeoutMs?: number;
  /** Requests per datagram in apply() (default 128). Dumps run one at a time. */
  window?: number;
}


/** What the kernel's errno means for each kind of IPVS request (ip_vs_ctl.c). */
function refusalText(op: IpvsOp, errno: number): string {
  if (errno === 3) return 'no such virtual server';
  if (errno === 17) return op.op === 'addService' ? 'virtual server already exists' : 'real server already exists';
  if (errno === 2) return op.op === 'addService' || op.op === 'editService' ? 'scheduler or persistence engine not found' : 'no such real server';
  if (errno === 22) return 'invalid argument';
  return `errno ${errno}`;
}

export class GenlIpvsKernel implements IpvsKernel {
  private closed = false;
  private readonly timeoutMs: number;
  private readonly window: number;

  private constructor(
    private readonly genl: GenericNetlink,
    private readonly family: GenlFamily,
    opts: GenlIpvsKernelOptions,
  ) {
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.window = Math.max(1, opts.window ?? 128);
  }

  /**
   * Opens a generic netlink socket and resolves the "IPVS" family. Rejects with a KernelError
   * code ENOENT and IPVS_UNAVAILABLE_MESSAGE when the kernel has no IPVS.
   */
  static async open(opts: GenlIpvsKernelOptions = {}): Promise<GenlIpvsKernel> {
    const genl = GenericNetlink.open({ timeoutMs: opts.timeoutMs ?? 5000 });
    try {
      const family = await genl.resolveFamily(IPVS_GENL_NAME);
      if (!family) throw new KernelError('ENOENT', 'ipvsOpen', IPVS_UNAVAILABLE_MESSAGE, { errno: 2 });
      return new GenlIpvsKernel(genl, family, opts);
    } catch (e) {
      genl.close();
      throw e;
    }
  }

  /** One request; resolves with its reply messages (ACK and DONE left out). */
  private request(cmd: number, dump: boolean, body: (w: NetlinkWriter) => void): Promise<NetlinkMessage[]> {
    if (this.closed) return Promise.reject(new KernelError('ECLOSED', 'ipvs', 'the IPVS kernel handle is closed'));
    return this.genl.sock.request(
      this.family.id,
      dump ? NLM_F.DUMP : 0,
      (w) => {
        writeGenlHeader(w, cmd);
        body(w);
      },
      this.timeoutMs,
    );
  }

  private wrap(e: unknown, op: string, detail: string): KernelError {
    if (e instanceof KernelError) return e;
    if (e instanceof NetlinkRequestError) return errnoError(e.errno, op, detail);
    if (e instanceof NetlinkTimeoutError) return new KernelError('ETIMEDOUT', op, e.message, { errno: 110 });
    if (e instanceof IpvsEncodeError) return new KernelError('EINVALID_ARG', op, e.message);
    if ((e as { code?: unknown }).code === 'ERR_SOCKET_CLOSED') return new KernelError('ECLOSED', op, 'the IPVS kernel handle is closed');
    return toKernelError(e, op);
  }

  /** One request, its refusal (or a timeout, or a closed handle) thrown as a KernelError of `op` saying `detail`. */
  private async ask(cmd: number, dump: boolean, body: (w: NetlinkWriter) => void, op: string, detail: string): Promise<NetlinkMessage[]> {
    try {
      return await this.request(cmd, dump, body);
    } catch (e) {
      throw this.wrap(e, op, detail);
    }
  }

  /** The IPVS family's messages among `msgs`, decoded; one that does not decode is EBADMSG of `op`. */
  private decodeReplies<T>(msgs: readonly NetlinkMessage[], op: string, what: string, decode: (payload: Buffer) => NlResult<T>): T[] {
    return msgs
      .filter((m) => m.type === this.family.id)
      .map((m) => {
        const r = decode(m.payload);
        if (!r.ok) throw new KernelError('EBADMSG', op, `undecodable ${what}: ${r.error.message}`);
        return r.value;
      });
  }

  /** Single-message reply of a non-dump GET (INFO, CONFIG). */
  private async getOne(cmd: number, op: string): Promise<NetlinkMessage> {
    const replies = await this.ask(cmd, false, () => undefined, op, 'kernel refused the request');
    const reply = replies.find((m) => m.type === this.family.id);
    if (!reply) throw new KernelError('EBADMSG', op, 'no reply message from the IPVS family');
    return reply;
  }

  async info(): Promise<IpvsInfo> {
    const r = decodeInfo((await this.getOne(IPVS_CMD.GET_INFO, 'ipvsInfo')).payload);
    if (!r.ok) throw new KernelError('EBADMSG', 'ipvsInfo', r.error.message);
    return r.value;
  }

  async getTimeouts(): Promise<IpvsTimeouts> {
    const r = decodeTimeouts((await this.getOne(IPVS_CMD.GET_CONFIG, 'ipvsGetTimeouts')).payload);
    if (!r.ok) throw new KernelError('EBADMSG', 'ipvsGetTimeouts', r.error.message);
    return r.value;
  }

  async setTimeouts(t: IpvsTimeouts): Promise<void> {
    await this.ask(IPVS_CMD.SET_CONFIG, false, (w) => writeTimeouts(w, t), 'ipvsSetTimeouts', `kernel refused timeouts tcp ${t.tcp} tcpfin ${t.tcpFin} udp ${t.udp}`);
  }

  async startSyncDaemon(d: IpvsSyncDaemon): Promise<void> {
    await this.ask(IPVS_CMD.NEW_DAEMON, false, (w) => writeSyncDaemon(w, d, true), 'ipvsStartDaemon', `kernel refused to start the ${d.state} sync daemon on ${d.ifname}`);
  }

  async stopSyncDaemon(state: IpvsSyncDaemon['state']): Promise<void> {
    await this.ask(IPVS_CMD.DEL_DAEMON, false, (w) => writeSyncDaemon(w, { state }, false), 'ipvsStopDaemon', `kernel refused to stop the ${state} sync daemon`);
  }

  async listSyncDaemons(): Promise<IpvsSyncDaemon[]> {
    const msgs = await this.ask(IPVS_CMD.GET_DAEMON, true, () => undefined, 'ipvsGetDaemon', 'kernel refused the sync daemon dump');
    return this.decodeReplies(msgs, 'ipvsGetDaemon', 'sync daemon', decodeSyncDaemon);
  }

  async dump(): Promise<IpvsEntry[]> {
    const svcMsgs = await this.ask(IPVS_CMD.GET_SERVICE, true, () => undefined, 'ipvsDump', 'service dump refused');
    const services = this.decodeReplies(svcMsgs, 'ipvsDump', 'service', decodeService);
    // One dump at a time: a netlink socket refuses a second dump while one runs (EBUSY).
    const entries: IpvsEntry[] = [];
    for (const service of services) {
      let msgs: NetlinkMessage[];
      try {
        msgs = await this.request(IPVS_CMD.GET_DEST, true, (w) => writeServiceKey(w, service.key));
      } catch (e) {
        // The service went away between the two dumps: it is not in the table any more.
        if (e instanceof NetlinkRequestError && (e.errno === 3 || e.errno === 2)) continue;
        throw this.wrap(e, 'ipvsDump', `dest dump of ${serviceKeyText(service.key)} refused`);
      }
      entries.push({ service, dests: this.decodeReplies(msgs, 'ipvsDump', 'dest', (p) => decodeDest(p, service.key.family)) });
    }
    return entries;
  }

  async apply(ops: readonly IpvsOp[]): Promise<IpvsOpResult[]> {
    const results: IpvsOpResult[] = [];
    for (let at = 0; at < ops.length; at += this.window) {
      const batch = ops.slice(at, at + this.window);
      if (this.closed) {
        for (const op of batch) results.push(this.refused(op, new KernelError('ECLOSED', op.op, 'the IPVS kernel handle is closed')));
        continue;
      }
      const replies = await this.genl.sock.requestMany(
        this.family.id,
        batch.map((op) => (w: NetlinkWriter) => writeIpvsOp(w, op)),
        this.timeoutMs,
      );
      batch.forEach((op, i) => {
        const r = replies[i];
        results.push(r instanceof Error ? this.refused(op, r) : { ok: true });
      });
    }
    return results;
  }

  private refused(op: IpvsOp, e: unknown): IpvsOpResult {
    const detail = e instanceof NetlinkRequestError ? refusalText(op, e.errno) : e instanceof Error ? e.message : String(e);
    const k = this.wrap(e, String(op.op), detail);
    return { ok: false, code: k.code, message: `${ipvsOpText(op)}: ${k.code}: ${detail}` };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.genl.close();
  }
}
