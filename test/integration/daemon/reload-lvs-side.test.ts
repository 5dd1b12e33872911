// Reload on the LVS side of a running daemon (the real CLI and its checker child) in a network
// namespace. This host has no IPVS: the status JSON over the control socket shows what the
// checkers report.
//  1. TCP_CHECKs against real listeners in the namespace: a reload adds a real server whose port
//     listens and one whose port refuses (one up, one down within delay_loop), removes one (gone
//     from status), and leaves the unchanged one's checker alone (no second probe early, no new
//     "Activating" line, its health continuous).
//  2. Beside keepalived 2.2.7 in the same run: both start with only a vrrp_instance, then a
//     virtual_server with a TCP_CHECK is added and SIGHUP sent; keepalived starts its checker
//     child, so do we, with the same lines in the same order.
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { request } from '../../../src/cli/status.js';
import type { StatusDocument } from '../../../src/core/control-status.js';
import { startKeepalived, type PeerProcess } from '../../../src/lab/keepalived-peer.js';
import { hasKeepalived, runs } from '../../helpers/require.js';
import { netnsIt, sleep, waitUntil } from '../../helpers/netns-fixture.js';
import { instanceConf, type DaemonNode } from './daemon-lab.js';

const hasPython = runs('python3', ['-c', ''], 'python3 not installed (test listeners)');
const RS_ADDR = '192.0.2.11';

/** One virtual server, a TCP_CHECK (delay_loop 2 s, retry 0) per real server port on RS_ADDR. */
function vs(ports: number[]): string {
  const rss = ports.map((p) => `  real_server ${RS_ADDR} ${p} {\n    TCP_CHECK {\n      connect_timeout 1\n      retry 0\n      warmup 0\n    }\n  }\n`).join('');
  return `virtual_server 192.0.2.100 80 {\n  delay_loop 2\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n${rss}}\n`;
}

/** TCP listeners in the lab host that accept and close, printing `<port> <epoch s>` per connection. */
const LISTENERS = `import socket,selectors,sys,time
sel=selectors.DefaultSelector()
for p in sys.argv[2:]:
  s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1); s.bind((sys.argv[1],int(p))); s.listen(16); sel.register(s,selectors.EVENT_READ,p)
print('ready',flush=True)
while True:
  for k,_ in sel.select():
    c,_=k.fileobj.accept(); c.close(); print(k.data,time.time(),flush=True)
`;

type Rs = NonNullable<StatusDocument['ipvs']>['virtualServers'][number]['realServers'][number];

/** The real servers in the daemon's status (none while its control socket is not there yet). */
async function reals(node: DaemonNode): Promise<Map<string, Rs>> {
  const r = (await request(join(node.dir, 'keepalived-ts.ctl'), { cmd: 'status' }, 5000).catch(() => ({ status: {} }))) as { status: StatusDocument };
  return new Map((r.status.ipvs?.virtualServers ?? []).flatMap((v) => v.realServers.map((x) => [x.name, x] as const)));
}

/** Polls the status until `ok` holds; returns its last answer. */
async function statusUntil(node: DaemonNode, what: string, ok: (m: Map<string, Rs>) => boolean, timeoutMs: number): Promise<Map<string, Rs>> {
  let last = new Map<string, Rs>();
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    last = await reals(node);
    if (ok(last)) return last;
    await sleep(200);
  }
  throw new Error(`timeout waiting for ${what}: ${JSON.stringify([...last.values()])}`);
}

const name = (port: number) => `[${RS_ADDR}]:tcp:${port}`;
const OUTCOME = /Reload (applied|finished|rejected)/;

/** Accept times (ms) of `port` from the listeners' output. */
const accepts = (srv: PeerProcess, port: number): number[] => srv.lines.filter((l) => l.startsWith(`${port} `)).map((l) => Number(l.split(' ')[1]) * 1000);

/** The lines that tell a checker child was started on a reload, in order, from either daemon's output. */
const CHILD_LINES: readonly [string, RegExp][] = [
  ['Starting Healthcheck child process, pid=N', /Starting Healthcheck child process, pid=\d+/],
  ['Initializing ipvs', /Initializing ipvs/],
  ["IPVS: Can't initialize ipvs: No such file or directory", /IPVS: Can't initialize ipvs: No such file or directory/],
];
const childLines = (lines: readonly string[]): string[] => lines.flatMap((l) => CHILD_LINES.filter(([, re]) => re.test(l)).map(([w]) => w));

describe('reload: the LVS side', () => {
  netnsIt('rlc', hasPython)('checkers re-planned: added real servers probed (listening up, refused down), removed one gone, unchanged one not restarted', 120_000, async (f) => {
    f.hosts({ a: `${RS_ADDR}/24` });
    const srv = f.watch(f.lab.spawn('a', ['python3', '-c', LISTENERS, RS_ADDR, '8081', '8083', '8084']));
    await srv.waitFor(/ready/, 10_000);
    const a = f.daemon('a', vs([8081, 8084]));
    await statusUntil(a, 'both real servers up', (m) => m.get(name(8081))?.lastResult === 'connected' && m.get(name(8084))?.lastResult === 'connected', 30_000);
    // Reload right after a probe of the unchanged server: a restarted checker would probe it 1 s later.
    const n = accepts(srv, 8081).length;
    await waitUntil('a probe of 8081', () => accepts(srv, 8081).length > n, 5000, 10);
    const linesBefore = a.lines.length;
    writeFileSync(a.conf, vs([8081, 8083, 8082]));
    const t0 = Date.now();
    a.signal('SIGHUP');
    await waitUntil('reload done', () => a.lines.slice(linesBefore).some((l) => OUTCOME.test(l)), 20_000);
    // The config is read in a thread first (seconds on a loaded machine): time from the outcome line.
    const applied = Date.now();
    expect(a.lines.slice(linesBefore).find((l) => OUTCOME.test(l))).toMatch(/Reload applied/);
    const after = await statusUntil(a, 'added servers checked', (m) => m.get(name(8083))?.lastResult === 'connected' && m.get(name(8082))?.up === false, 10_000);
    const took = Date.now() - applied;
    expect([...after.keys()].sort()).toEqual([name(8081), name(8082), name(8083)]);
    expect(after.get(name(8083))).toMatchObject({ up: true });
    expect(after.get(name(8082))).toMatchObject({ up: false, lastResult: 'ECONNREFUSED' });
    expect(after.get(name(8081))).toMatchObject({ up: true, lastResult: 'connected' });
    // First probe 1 s after the reload: within delay_loop + 1 s + margin.
    expect(took).toBeLessThan(5000);
    const added = a.lines.slice(linesBefore).filter((l) => /Activating healthchecker for service/.test(l));
    expect(added.some((l) => l.includes(name(8082)))).toBe(true);
    expect(added.some((l) => l.includes(name(8083)))).toBe(true);
    expect(added.some((l) => l.includes(name(8081)))).toBe(false);
    // The unchanged server's probes keep their 2 s rhythm through the reload.
    await sleep(4500);
    const times = accepts(srv, 8081).filter((t) => t >= t0 - 3000);
    expect(times.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThan(1800);
    expect(accepts(srv, 8084).filter((t) => t > applied)).toEqual([]);
  });

  netnsIt('rlv', hasKeepalived)('a virtual server added to a daemon started without any: keepalived 2.2.7 starts its checker child on SIGHUP, so do we (same lines)', 120_000, async (f) => {
    f.hosts({ k: '192.0.2.21/24', a: `${RS_ADDR}/24` });
    const k = startKeepalived(f.lab, 'k', instanceConf({ vrid: 51, priority: 100, vips: ['192.0.2.100/24'] }), [], true);
    f.onCleanup(() => k.cleanup());
    const a = f.daemon('a', instanceConf({ vrid: 52, priority: 100, vips: ['192.0.2.101/24'] }));
    await k.waitFor(/\(VI_1\) Entering BACKUP STATE/, 20_000);
    await a.waitFor(/\(VI_1\) Entering BACKUP STATE/, 20_000);
    expect(childLines(k.lines)).toEqual([]);
    expect(childLines(a.lines)).toEqual([]);
    const kn = k.lines.length;
    const an = a.lines.length;
    appendFileSync(join(k.dir, 'keepalived.conf'), vs([8081]));
    appendFileSync(a.conf, vs([8081]));
    k.signal('SIGHUP');
    a.signal('SIGHUP');
    await k.waitFor(/Starting Healthcheck child process/, 20_000);
    await waitUntil('our reload done', () => a.lines.slice(an).some((l) => OUTCOME.test(l)), 20_000);
    // keepalived's child has said all it says about IPVS (it exits without IPVS on this host).
    await waitUntil('keepalived checker lines', () => childLines(k.lines.slice(kn)).length === CHILD_LINES.length || k.lines.slice(kn).some((l) => /Activating healthchecker/.test(l)), 10_000).catch(() => undefined);
    await sleep(500);
    const theirs = childLines(k.lines.slice(kn));
    expect(theirs.slice(0, 2)).toEqual(['Starting Healthcheck child process, pid=N', 'Initializing ipvs']);
    expect(childLines(a.lines.slice(an))).toEqual(theirs);
    // Ours carries on with the new side (keepalived 2.2.7 stops altogether when its checker child
    // cannot initialise IPVS; ADR 0020): the status shows the checked real server.
    const m = await statusUntil(a, 'the added real server checked', (x) => typeof x.get(name(8081))?.lastResult === 'string', 15_000);
    expect(m.get(name(8081))).toMatchObject({ up: false, lastResult: 'ECONNREFUSED' });
    expect(a.lines.slice(an).find((l) => OUTCOME.test(l))).toMatch(/Reload applied.*ipvs: started/);
  });
});
