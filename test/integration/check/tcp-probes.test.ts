// The two TCP_CHECK probes give the same answers: the addon's ConnectProber (the default) and
// node:net (the fallback for an addon built before it), against a loopback listener, a closed
// port and a local source address that is not on the host. (Timeouts of the addon's probe are
// covered by checkers.test.ts, whose silent listener drops SYNs.)
import { createServer, type Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import type { ProbeResult } from '../../../src/check/checker-state.js';
import type { TcpCheckerPlan } from '../../../src/check/plan.js';
import { tcpProbe } from '../../../src/check/probes.js';
import { NativeTcpProbes } from '../../../src/check/tcp-native-probe.js';
import { ms } from '../../../src/lib/units.js';

const servers: Server[] = [];
afterAll(() => {
  for (const s of servers) s.close();
});

async function listen(backlog?: number): Promise<Server> {
  const srv = createServer((c) => c.destroy());
  await new Promise<void>((r) => srv.listen({ port: 0, host: '127.0.0.1', ...(backlog !== undefined ? { backlog } : {}) }, r));
  servers.push(srv);
  return srv;
}
const portOf = (s: Server): number => (s.address() as { port: number }).port;

const plan = (port: number, extra: Partial<TcpCheckerPlan> = {}): TcpCheckerPlan => ({
  kind: 'TCP_CHECK',
  id: 'x',
  params: { kind: 'TCP_CHECK', rsText: '', vsText: '', retry: 0, delayLoop: ms(1000), delayBeforeRetry: ms(1000), warmup: ms(0), alpha: false, logAllFailures: false },
  host: '127.0.0.1',
  family: 4,
  port,
  connectTimeoutMs: ms(800),
  ...extra,
});

type Start = (p: TcpCheckerPlan, done: (r: ProbeResult) => void) => unknown;
const once = (start: Start, p: TcpCheckerPlan): Promise<ProbeResult> => new Promise((r) => start(p, r));

describe('TCP_CHECK probes: addon and node:net agree', () => {
  it('connected, ECONNREFUSED, a bind failure', async () => {
    const native = NativeTcpProbes.create();
    expect(native).toBeDefined();
    const up = await listen();
    const gone = await listen();
    const closed = portOf(gone);
    await new Promise((r) => gone.close(r));
    const cases: [string, TcpCheckerPlan][] = [
      ['up', plan(portOf(up))],
      ['closed', plan(closed)],
      ['bind', plan(portOf(up), { bindto: '192.0.2.77' })],
    ];
    for (const [name, p] of cases) {
      const a = await once((x, d) => native!.start(x, d), p);
      const b = await once(tcpProbe, p);
      expect({ name, r: a }).toEqual({ name, r: b });
    }
    expect(await once((x, d) => native!.start(x, d), plan(portOf(up)))).toEqual({ kind: 'connected' });
    expect(await once((x, d) => native!.start(x, d), plan(closed))).toEqual({ kind: 'connectFailed', detail: 'ECONNREFUSED' });
    expect(await once((x, d) => native!.start(x, d), plan(portOf(up), { bindto: '192.0.2.77' }))).toEqual({ kind: 'bindFailed', detail: 'EADDRNOTAVAIL' });
    native!.close();
  }, 20_000);
});
