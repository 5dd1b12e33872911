// Runs inside a test network namespace (`ip netns exec NS node --import tsx kernel-driver.ts CMD ARG`)
// and prints one JSON document on stdout. Commands:
//   ops '<json [{op, arg}]>'  run Kernel calls in order; each result is {ok, value} or {ok:false, code, errno}
//   bench '<json {dev, n}>'   time n addAddress/deleteAddress pairs; prints per-op microseconds
//   capture '<json {dev}>'    raw rtnetlink datagrams (hex) for link/address dumps and echoed add/del
import netlink from 'netlink';
import { NetlinkKernel } from '../../../src/kernel/netlink-kernel.js';
import { KernelError } from '../../../src/kernel/errors.js';
import { encodeAddress, encodeGetAddr, encodeGetLink } from '../../../src/kernel/rtnl-encode.js';
import { NLMSG, RTM } from '../../../src/kernel/link-events.js';
import type { AddressSpec } from '../../../src/kernel/kernel.js';

type Call = { op: string; arg?: unknown[] };

async function runOps(calls: Call[]): Promise<unknown[]> {
  const k = NetlinkKernel.open({ timeoutMs: 3000 });
  const out: unknown[] = [];
  for (const c of calls) {
    try {
      const fn = (k as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[c.op];
      if (typeof fn !== 'function') throw new Error(`no op ${c.op}`);
      const value = await fn.apply(k, c.arg ?? []);
      out.push({ ok: true, value: value === undefined ? null : value });
    } catch (e) {
      if (e instanceof KernelError) out.push({ ok: false, code: e.code, errno: e.errno ?? null, message: e.message });
      else out.push({ ok: false, code: 'NOT_A_KERNEL_ERROR', message: String(e) });
    }
  }
  await k.close();
  return out;
}

async function bench(dev: string, n: number): Promise<unknown> {
  const k = NetlinkKernel.open();
  const link = await k.getLink(dev);
  if (!link) throw new Error(`no ${dev}`);
  const byName: number[] = [];
  const byIndex: number[] = [];
  const del: number[] = [];
  for (let i = 0; i < n; i++) {
    const vip4: AddressSpec = { address: `198.18.${(i >> 8) & 0xff}.${(i & 0xff) + 0}`, prefixLength: 32, dev };
    let t = process.hrtime.bigint();
    const r = await k.addAddress(vip4);
    byName.push(Number(process.hrtime.bigint() - t) / 1000);
    if (r.alreadyPresent) throw new Error('unexpected pre-existing address');
    t = process.hrtime.bigint();
    await k.deleteAddress(vip4);
    del.push(Number(process.hrtime.bigint() - t) / 1000);
    const vipIdx: AddressSpec = { ...vip4, dev: link.ifindex };
    t = process.hrtime.bigint();
    await k.addAddress(vipIdx);
    byIndex.push(Number(process.hrtime.bigint() - t) / 1000);
    await k.deleteAddress(vipIdx);
  }
  await k.close();
  const stats = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return { n: s.length, medianUs: s[Math.floor(s.length / 2)], p95Us: s[Math.floor(s.length * 0.95)], maxUs: s[s.length - 1] };
  };
  return { addByName: stats(byName), addByIndex: stats(byIndex), delete: stats(del) };
}

/** Sends one request on a raw socket and collects every datagram until DONE/ERROR. */
function rawRequest(sock: InstanceType<typeof netlink.RawNetlinkSocket>, type: number, flags: number, payload: Buffer, seq: number): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const got: Buffer[] = [];
    const timer = setTimeout(() => reject(new Error('capture timeout')), 3000);
    const onMsg = (b: Buffer) => {
      got.push(Buffer.from(b));
      // Look at every message in the datagram for the end of our answer.
      let off = 0;
      let done = false;
      while (off + 16 <= b.length) {
        const len = b.readUInt32LE(off);
        const t = b.readUInt16LE(off + 4);
        const s = b.readUInt32LE(off + 8);
        if (s === seq && (t === NLMSG.DONE || t === NLMSG.ERROR)) done = true;
        if (len < 16) break;
        off += (len + 3) & ~3;
      }
      if (done) {
        clearTimeout(timer);
        sock.off('message', onMsg);
        resolve(got);
      }
    };
    sock.on('message', onMsg);
    const hdr = Buffer.alloc(16);
    hdr.writeUInt32LE(16 + payload.length, 0);
    hdr.writeUInt16LE(type, 4);
    hdr.writeUInt16LE(flags, 6);
    hdr.writeUInt32LE(seq, 8);
    sock.send([hdr, payload], {}, (err) => err && reject(err));
  });
}

async function capture(dev: string): Promise<unknown> {
  const k = NetlinkKernel.open();
  const link = await k.getLink(dev);
  await k.close();
  if (!link) throw new Error(`no ${dev}`);
  const sock = new netlink.RawNetlinkSocket(netlink.Protocol.ROUTE);
  const REQ = 0x1, ACK = 0x4, ECHO = 0x8, DUMP = 0x300, CREATE = 0x400, EXCL = 0x200;
  const hex = (bs: Buffer[]) => bs.map((b) => b.toString('hex'));
  const v4: AddressSpec = { address: '192.0.2.77', prefixLength: 24, dev: link.ifindex, label: `${dev}:cap`, broadcast: '+' };
  const v6: AddressSpec = { address: '2001:db8:77::1', prefixLength: 64, dev: link.ifindex, noDad: true };
  const out = {
    ifindex: link.ifindex,
    linkDump: hex(await rawRequest(sock, RTM.GETLINK, REQ | ACK | DUMP, encodeGetLink(), 101)),
    // NLM_F_ECHO: the kernel sends its RTM_NEWADDR/RTM_DELADDR notification back to us.
    newAddr4: hex(await rawRequest(sock, RTM.NEWADDR, REQ | ACK | ECHO | CREATE | EXCL, encodeAddress(v4, link.ifindex), 102)),
    // IPv6 answers no echo (its notification leaves from the DAD path), so only the ACK comes back.
    newAddr6: hex(await rawRequest(sock, RTM.NEWADDR, REQ | ACK | ECHO | CREATE | EXCL, encodeAddress(v6, link.ifindex), 103)),
    addrDump: hex(await rawRequest(sock, RTM.GETADDR, REQ | ACK | DUMP, encodeGetAddr(), 104)),
    delAddr4: hex(await rawRequest(sock, RTM.DELADDR, REQ | ACK | ECHO, encodeAddress(v4, link.ifindex), 105)),
    delAddr6: hex(await rawRequest(sock, RTM.DELADDR, REQ | ACK | ECHO, encodeAddress(v6, link.ifindex), 106)),
    delMissing: hex(await rawRequest(sock, RTM.DELADDR, REQ | ACK, encodeAddress(v4, link.ifindex), 107)),
  };
  sock.close();
  return out;
}

/** n concurrent addAddress calls on one socket, then the list, then a call after close(). */
async function parallel(dev: string, n: number): Promise<unknown> {
  const k = NetlinkKernel.open();
  const specs: AddressSpec[] = Array.from({ length: n }, (_, i) => ({ address: `198.18.1.${i + 1}`, prefixLength: 32, dev }));
  // Dumps interleaved with single requests: multipart replies must not get mixed up.
  const mixed = await Promise.all([...specs.map((s) => k.addAddress(s)), ...Array.from({ length: 10 }, () => k.listAddresses()), ...Array.from({ length: 10 }, () => k.listLinks())]);
  const added = mixed.slice(0, n);
  const dumpsOk = mixed.slice(n).every((x) => Array.isArray(x) && x.length > 0);
  const again = await Promise.all(specs.map((s) => k.addAddress(s)));
  const link = await k.getLink(dev);
  const listed = (await k.listAddresses(link!.ifindex, 'inet')).map((a) => a.address);
  await Promise.all(specs.map((s) => k.deleteAddress(s)));
  await k.close();
  let afterClose: unknown = null;
  try {
    await k.listLinks();
  } catch (e) {
    afterClose = e instanceof KernelError ? e.code : String(e);
  }
  return { added, dumpsOk, again, listed, afterClose };
}

const [cmd, arg] = process.argv.slice(2);
const parsed = arg ? JSON.parse(arg) : undefined;
let result: unknown;
switch (cmd) {
  case 'ops':
    result = await runOps(parsed as Call[]);
    break;
  case 'bench':
    result = await bench(parsed.dev, parsed.n);
    break;
  case 'parallel':
    result = await parallel(parsed.dev, parsed.n);
    break;
  case 'capture':
    result = await capture(parsed.dev);
    break;
  default:
    throw new Error(`unknown command ${cmd}`);
}
process.stdout.write(JSON.stringify(result) + '\n');
