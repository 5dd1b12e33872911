// PING_CHECK in a lab namespace: the engine runs in the "dir" host (fixtures/checker-agent.ts)
// and pings a peer over IPv4 and IPv6 through the addon's raw sockets. A peer that answers is
// up; a peer that ignores echo requests (net.ipv4.icmp_echo_ignore_all) and an address nobody
// has are down at connect_timeout. Traffic stays inside the lab's namespaces.
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { Lab } from '../../../src/lab/lab.js';
import { isRoot, itWhen } from '../../helpers/require.js';

const AGENT = new URL('./fixtures/checker-agent.ts', import.meta.url).pathname;
let lab: Lab | undefined;
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kt-ping-'));
});
afterAll(() => {
  lab?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

interface AgentOut {
  logs: string[];
  fifo: string[];
  health: Record<string, { up: boolean; lastResult?: string; lastLatencyMs?: number }>;
  errors: string[];
}

function runAgent(l: Lab, host: string, config: string, runMs: number): Promise<AgentOut> {
  const file = join(dir, `${host}-${Date.now()}.conf`);
  writeFileSync(file, config);
  const child = l.spawn(host, [process.execPath, '--import', 'tsx', AGENT, file, String(runMs)]);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`agent exited ${code}: ${err}`));
      else resolve(JSON.parse(out.trim().split('\n').pop()!) as AgentOut);
    });
  });
}

describe('PING_CHECK', () => {
  itWhen(isRoot)(
    'ICMP and ICMPv6 echo: a peer that answers is up, one that ignores echoes and an absent address are down at connect_timeout',
    async () => {
      lab = new Lab('ping');
      lab.addHost({ name: 'dir', addresses: ['192.0.2.1/24', '2001:db8:7::1/64'] });
      lab.addHost({ name: 'rs1', addresses: ['192.0.2.11/24', '2001:db8:7::11/64'] });
      lab.addHost({ name: 'rs2', addresses: ['192.0.2.12/24'] });
      lab.exec('rs2', ['sysctl', '-qw', 'net.ipv4.icmp_echo_ignore_all=1']);
      const rs = (ip: string) => `  real_server ${ip} 80 {\n    PING_CHECK {\n      connect_timeout 0.5\n      retry 0\n      warmup 0\n    }\n  }\n`;
      const out = await runAgent(
        lab,
        'dir',
        `virtual_server 192.0.2.100 80 {\n  protocol TCP\n  delay_loop 1\n${rs('192.0.2.11')}${rs('2001:db8:7::11')}${rs('192.0.2.12')}${rs('192.0.2.13')}}\n`,
        3500,
      );
      expect(out.errors).toEqual([]);
      const k = (ip: string) => `tcp|192.0.2.100|80#${ip}|80`;
      expect(out.health[k('192.0.2.11')]).toMatchObject({ up: true, lastResult: 'connected' });
      expect(out.health[k('2001:db8:7::11')]).toMatchObject({ up: true, lastResult: 'connected' });
      expect(out.health[k('192.0.2.12')]).toMatchObject({ up: false, lastResult: 'timeout' });
      expect(out.health[k('192.0.2.13')]?.up).toBe(false);
      expect(out.health[k('192.0.2.12')]!.lastLatencyMs).toBeGreaterThanOrEqual(490);
      const vs = '[192.0.2.100]:tcp:80';
      expect(out.logs).toEqual(
        expect.arrayContaining([
          'ICMP connection to [192.0.2.11]:tcp:80 success.',
          'ICMP connection to [2001:db8:7::11]:tcp:80 success.',
          'ICMP CHECK on service [192.0.2.12]:tcp:80 failed.',
          'ICMP CHECK on service [192.0.2.13]:tcp:80 failed.',
        ]),
      );
      expect(out.fifo.sort()).toEqual([`RS [192.0.2.12]:tcp:80 ${vs} DOWN\n`, `RS [192.0.2.13]:tcp:80 ${vs} DOWN\n`]);
    },
    40_000,
  );
});
