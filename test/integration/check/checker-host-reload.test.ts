// A reload through the real checker child process (CheckerHost, ADR 0015), and through its worker
// thread: the new plan crosses the channel, the checker's engine applies it (engine.ts reload) and
// answers with the health of the new plan. Real TCP listeners on loopback: a real server whose
// checker is unchanged is not probed again early (its timer goes on), an added one that listens
// comes up, an added one whose port refuses goes down (with its FIFO line), a removed one leaves
// the health view.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckerHost } from '../../../src/check/checker-host.js';
import { buildCheckPlan, type CheckPlan } from '../../../src/check/plan.js';
import { buildModel } from '../../../src/config/build-model.js';
import { parseConfigText } from '../../../src/config/parse.js';
import { DiagnosticSink } from '../../../src/lib/diagnostics.js';
import { pollFor as until } from '../../helpers/script-dir.js';

let dir: string;
const servers: Server[] = [];

/** A loopback listener; `hits` gets the time of each connection. */
function listen(hits: number[]): Promise<Server> {
  return new Promise((resolve) => {
    const srv = createServer((s) => {
      hits.push(Date.now());
      s.destroy();
    });
    srv.listen(0, '127.0.0.1', () => resolve(srv));
    servers.push(srv);
  });
}
const portOf = (s: Server): number => (s.address() as { port: number }).port;

async function refusedPort(): Promise<number> {
  const s = await listen([]);
  const p = portOf(s);
  await new Promise((r) => s.close(r));
  return p;
}

/** A plan of one virtual server with a TCP_CHECK (delay_loop 3 s, retry 0) per real server port. */
function plan(ports: number[]): CheckPlan {
  const rss = ports.map((p) => `  real_server 127.0.0.1 ${p} {\n    TCP_CHECK {\n      connect_timeout 1\n      retry 0\n      warmup 0\n    }\n  }\n`).join('');
  const sink = new DiagnosticSink();
  const m = buildModel(parseConfigText(`virtual_server 192.0.2.1 80 {\n  delay_loop 3\n  lb_kind NAT\n  protocol TCP\n${rss}}\n`, join(dir, 'k.conf'), {}, sink), sink);
  expect(sink.items.filter((d) => d.severity === 'error')).toEqual([]);
  return buildCheckPlan(m, { scripts: () => undefined });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kt-host-reload-'));
});
afterAll(() => {
  for (const s of servers) s.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('CheckerHost.reload through the checker child process (and the worker thread)', () => {
  for (const transport of ['process', 'thread'] as const)
  it(`${transport}: unchanged real server keeps its health and timer; added ones are probed (listening: up, refused: down); removed ones leave`, async () => {
    const hitsA: number[] = [];
    const hitsC: number[] = [];
    const a = portOf(await listen(hitsA));
    const b = await refusedPort();
    const c = portOf(await listen(hitsC));
    const d = await refusedPort();
    const fifo: string[] = [];
    const logs: string[] = [];
    const log = { info: (m: unknown) => logs.push(String(m)), warn: (m: unknown) => logs.push(String(m)), error: (m: unknown) => logs.push(String(m)) };
    const host = new CheckerHost({ plan: plan([a, b]), log, onFifoLine: (l) => fifo.push(l.trim()), transport });
    const key = (p: number) => [...host.current().keys()].find((k) => k.endsWith(`#127.0.0.1|${p}`))!;
    await host.start();
    try {
      const keyA = key(a);
      const keyB = key(b);
      expect(await until(() => hitsA.length === 1 && host.current().get(keyB)?.up === false, 5000)).toBe(true);
      const healthA = host.current().get(keyA);
      expect(healthA).toMatchObject({ up: true, lastResult: 'connected' });
      const pid = host.checkerId;
      logs.length = 0;
      fifo.length = 0;
      // Reload just after A's probe: a restarted timer would probe A again 1 s later.
      const report = await host.reload(plan([a, c, d]));
      const reloadedAt = Date.now();
      expect(report).toEqual({ added: 2, removed: 1, restarted: 0, unchanged: 1 });
      expect(host.checkerId).toBe(pid);
      expect([...host.current().keys()].sort()).toEqual([keyA, key(c), key(d)].sort());
      expect(host.current().get(keyA)).toEqual(healthA);
      // The added ones start up (not alpha) and are probed from 1 s after the reload.
      expect(await until(() => hitsC.length === 1 && host.current().get(key(d))?.up === false, 5000)).toBe(true);
      expect(host.current().get(key(c))).toMatchObject({ up: true, lastResult: 'connected' });
      expect(host.current().get(key(d))).toMatchObject({ up: false, lastResult: 'ECONNREFUSED' });
      expect(hitsC[0]! - reloadedAt).toBeGreaterThanOrEqual(900);
      // Only the added ones were activated; B was down when removed: no FIFO line for it.
      expect(logs.filter((l) => l.startsWith('Activating')).sort()).toEqual([`Activating healthchecker for service [127.0.0.1]:tcp:${c} for VS [192.0.2.1]:tcp:80`, `Activating healthchecker for service [127.0.0.1]:tcp:${d} for VS [192.0.2.1]:tcp:80`].sort());
      expect(fifo).toEqual([`RS [127.0.0.1]:tcp:${d} [192.0.2.1]:tcp:80 DOWN`]);
      // A's next probe is on its own schedule: 3 s after its last one, not 1 s after the reload.
      expect(await until(() => hitsA.length === 2, 5000)).toBe(true);
      expect(hitsA[1]! - hitsA[0]!).toBeGreaterThanOrEqual(2900);
    } finally {
      await host.stop();
    }
  }, 30_000);
});
