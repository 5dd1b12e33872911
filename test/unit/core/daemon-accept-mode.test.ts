// The accept-mode firewall wired into the whole daemon, in-process (RecordingKernel, MemoryLan,
// VirtualTime, a runner that records the nftables transactions): vrrp_strict on a non-owner
// makes the drop rules follow MASTER, set before the VIPs are added and removed after they go;
// the owner (priority 255) keeps accepting; the tables go at stop. The real nft and kernel, beside
// keepalived, are test/integration/daemon/no-accept.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, type RunningDaemon } from '../../../src/core/daemon.js';
import { RecordingKernel } from '../../../src/kernel/recording-kernel.js';
import { RecordingNftRunner } from '../../../src/kernel/nft-firewall.js';
import type { DropAddress } from '../../../src/kernel/nft-ruleset.js';
import { memoryLogger } from '../../../src/lib/log.js';
import { VirtualTime } from '../../../src/lib/virtual-time.js';
import { MemoryLan } from '../../../src/net/memory-lan.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const conf = (priority: number, globals = '  vrrp_strict\n') =>
  `global_defs {\n${globals}}\nvrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  priority ${priority}\n  advert_int 1\n  virtual_ipaddress {\n    192.0.2.100/24\n  }\n}\n`;

/** Records what the kernel held when each transaction was made. */
class OrderRunner extends RecordingNftRunner {
  readonly events: string[] = [];
  constructor(private readonly kernel: RecordingKernel) {
    super();
  }
  private holds(): boolean {
    return this.kernel.snapshot().addresses.some((a) => a.address === '192.0.2.100');
  }
  override elements(table: string, op: 'add' | 'delete', addrs: readonly DropAddress[]): Promise<void> {
    this.events.push(`${op} ${addrs.map((a) => a.address).join(',')} in ${table} (VIP ${this.holds() ? 'present' : 'absent'})`);
    return super.elements(table, op, addrs);
  }
  override run(script: string): Promise<void> {
    if (!script.includes('element')) this.events.push(script.includes('delete table') && !script.includes('add table') ? 'delete tables' : 'build tables');
    return super.run(script);
  }
}

function setup() {
  const time = new VirtualTime();
  const lan = new MemoryLan({ scheduler: time });
  const node = (name: string, n: number, text: string) => {
    const dir = mkdtempSync(join(tmpdir(), `kt-accept-${name}-`));
    dirs.push(dir);
    writeFileSync(join(dir, 'keepalived.conf'), text);
    const host = lan.addHost(name, { ifname: 'eth0', ifindex: 2, addresses: [`192.0.2.${n}`] });
    const kernel = new RecordingKernel([
      { name: 'lo', ifindex: 1 },
      { name: 'eth0', ifindex: 2, mac: host.mac },
    ]);
    kernel.seedAddress({ address: `192.0.2.${n}`, prefixLength: 24, dev: 'eth0' });
    const nft = new OrderRunner(kernel);
    const { log, records } = memoryLogger('debug');
    const start = () =>
      startDaemon({
        configFile: join(dir, 'keepalived.conf'),
        configId: name,
        kernel,
        io: host,
        clock: time,
        oneShot: time.oneShot,
        log,
        signals: false,
        nft,
        pidFile: join(dir, 'k.pid'),
        vrrpPidFile: join(dir, 'v.pid'),
      });
    return { nft, records, start };
  };
  const run = async (msTotal: number) => {
    for (let t = 0; t < msTotal; t += 10) {
      time.advance(10);
      await new Promise<void>((r) => setImmediate(r));
    }
  };
  return { node, run };
}

describe('accept mode in the daemon (vrrp_strict)', () => {
  it('drop rules while master: set before the VIP is added, removed after it goes, tables deleted at stop', async () => {
    const { node, run } = setup();
    const a = node('a', 11, conf(100));
    const b = node('b', 12, conf(200));
    let da: RunningDaemon | undefined;
    let db: RunningDaemon | undefined;
    try {
      da = await a.start();
      await run(5000);
      expect(da.status()).toMatchObject({ vrrp: { instances: [{ state: 'MASTER' }], nftables: { table: 'keepalived', dropped: ['192.0.2.100'] } } });
      // b (priority 200) preempts: a goes back to backup.
      db = await b.start();
      await run(5000);
      expect(da.status()).toMatchObject({ vrrp: { instances: [{ state: 'BACKUP' }], nftables: { dropped: [] } } });
      const s = da.stop();
      await run(2000);
      await s;
      da = undefined;
      expect(a.nft.events).toEqual([
        'build tables',
        'add 192.0.2.100 in keepalived (VIP absent)',
        'delete 192.0.2.100 in keepalived (VIP absent)',
        'delete tables',
      ]);
      expect(a.records.map((r) => String(r.msg))).toContain('use_vmac or no_accept/strict specified, but no firewall configured - using nftables');
      expect(a.records.map((r) => String(r.msg))).toEqual(expect.arrayContaining(['(VI_1) setting firewall drop rule', '(VI_1) removing firewall drop rule']));
    } finally {
      const stops = [da?.stop(), db?.stop()];
      await run(2000);
      await Promise.all(stops);
    }
    // b (priority 200) is not the owner either: it drops too while master.
    expect(b.nft.events.slice(0, 2)).toEqual(['build tables', 'add 192.0.2.100 in keepalived (VIP absent)']);
  });

  it('the address owner (priority 255) keeps accepting: no firewall, no table', async () => {
    const { node, run } = setup();
    const a = node('a', 11, conf(255, '  vrrp_strict\n  nftables own\n'));
    const d = await a.start();
    try {
      await run(5000);
      expect(d.status()).toMatchObject({ vrrp: { instances: [{ state: 'MASTER' }] } });
      // Strict mode leaves the owner in accept mode (keepalived: accept unset -> owner accepts).
      expect((d.status() as { vrrp: { nftables?: unknown } }).vrrp.nftables).toBeUndefined();
    } finally {
      const s = d.stop();
      await run(2000);
      await s;
    }
    expect(a.nft.events).toEqual([]);
    expect(a.records.map((r) => String(r.msg))).not.toContain('use_vmac or no_accept/strict specified, but no firewall configured - using nftables');
  });

  it('without no_accept or strict mode there is no firewall at all', async () => {
    const { node, run } = setup();
    const a = node('a', 11, conf(100, '  router_id r\n'));
    const d = await a.start();
    try {
      await run(5000);
      expect(d.status()).toMatchObject({ vrrp: { instances: [{ state: 'MASTER' }] } });
      expect((d.status() as { vrrp: { nftables?: unknown } }).vrrp.nftables).toBeUndefined();
    } finally {
      const s = d.stop();
      await run(2000);
      await s;
    }
    expect(a.nft.events).toEqual([]);
  });
});
