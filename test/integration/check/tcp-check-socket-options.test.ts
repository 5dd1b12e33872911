// TCP_CHECK `fwmark` (SO_MARK) and `bind_if` (SO_BINDTODEVICE) on real sockets in lab
// namespaces. Host a probes a listener on host b (198.51.100.2:8080). In a, the main table
// prohibits 198.51.100.2 while a policy rule sends packets marked 7 to a table that reaches it
// through eth0; a veth d1 (its peer left in a) has no route to it. So: no option is refused (EACCES), mark
// 7 connects, mark 7 bound to d1 does not, mark 7 bound to eth0 does, and an unknown interface
// fails with ENODEV. Each probe is the checker's own tcpProbe, run in a by a small agent.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect } from 'vitest';
import type { ProbeResult } from '../../../src/check/checker-state.js';
import type { TcpCheckerPlan } from '../../../src/check/plan.js';
import { Lab } from '../../../src/lab/lab.js';
import type { Ms } from '../../../src/lib/units.js';
import { nativeUnavailable } from '../../../src/net/native.js';
import { isRoot, itWhen } from '../../helpers/require.js';

const AGENT = fileURLToPath(new URL('./fixtures/tcp-probe-agent.ts', import.meta.url));
let lab: Lab | undefined;
afterAll(() => lab?.destroy());

const plan = (extra: Partial<TcpCheckerPlan>): TcpCheckerPlan => ({
  kind: 'TCP_CHECK',
  id: 'probe',
  params: { kind: 'TCP_CHECK' } as TcpCheckerPlan['params'],
  host: '198.51.100.2',
  family: 4,
  port: 8080,
  connectTimeoutMs: 2000 as Ms,
  ...extra,
});

describe('TCP_CHECK fwmark and bind_if (lab namespaces)', () => {
  itWhen(isRoot, () => nativeUnavailable())('fwmark routes the probe by policy; bind_if sends it out of the named interface', async () => {
    lab = new Lab('tcpo');
    lab.addHost({ name: 'a', addresses: ['198.51.100.1/24'] });
    lab.addHost({ name: 'b', addresses: ['198.51.100.2/24'] });
    const listener = lab.spawn('b', [process.execPath, '-e', "require('net').createServer((c) => c.destroy()).listen(8080, '198.51.100.2', () => console.log('ready'))"]);
    await new Promise<void>((resolve, reject) => {
      listener.stdout?.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      listener.once('exit', (c) => reject(new Error(`listener exited ${c}`)));
    });
    lab.exec('a', ['ip', 'link', 'add', 'd1', 'type', 'veth', 'peer', 'name', 'd1p']);
    lab.exec('a', ['ip', 'link', 'set', 'd1', 'up']);
    lab.exec('a', ['ip', 'link', 'set', 'd1p', 'up']);
    lab.exec('a', ['ip', 'addr', 'add', '203.0.113.1/24', 'dev', 'd1']);
    lab.exec('a', ['ip', 'route', 'add', 'prohibit', '198.51.100.2/32']);
    lab.exec('a', ['ip', 'route', 'add', '198.51.100.2/32', 'dev', 'eth0', 'table', '100']);
    lab.exec('a', ['ip', 'rule', 'add', 'fwmark', '7', 'lookup', '100', 'priority', '100']);

    const plans = [plan({}), plan({ fwmark: 7 }), plan({ fwmark: 7, bindIf: 'd1' }), plan({ fwmark: 7, bindIf: 'eth0' }), plan({ fwmark: 7, bindIf: 'nosuch0' })];
    const r = spawnSync('ip', ['netns', 'exec', lab.host('a').netns, process.execPath, '--import', 'tsx', AGENT, JSON.stringify(plans)], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout) as ProbeResult[];
    expect(res[0]).toEqual({ kind: 'connectFailed', detail: 'EACCES' });
    expect(res[1]).toEqual({ kind: 'connected' });
    expect(res[2].kind).not.toBe('connected');
    expect(res[3]).toEqual({ kind: 'connected' });
    expect(res[4]).toEqual({ kind: 'connectFailed', detail: 'ENODEV' });
  });
});
