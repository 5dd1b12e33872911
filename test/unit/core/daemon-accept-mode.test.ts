// The accept-mode firewall wired into the whole daemon, in-process (RecordingKernel, MemoryLan,
// VirtualTime, a runner that records the nftables transactions): vrrp_strict on a non-owner
// makes the drop rules follow MASTER, set before the VIPs are added and removed after they go;
// the owner (priority 255) keeps accepting; the tables go at stop. The real nft and kernel, beside
// keepalived, are test/integration/daemon/no-accept.test.ts.
import { describe, expect, it } from 'vitest';
import type { RunningDaemon } from '../../../src/core/daemon.js';
import { RecordingKernel } from '../../../src/kernel/recording-kernel.js';
import { RecordingNftRunner } from '../../../src/kernel/nft-firewall.js';
import type { DropAddress } from '../../../src/kernel/nft-ruleset.js';
import { daemonLan, stopDaemons } from '../../helpers/memory-daemon.js';

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
  const { node: daemonNode, run } = daemonLan();
  const node = (name: string, n: number, text: string) => {
    const d = daemonNode(name, n, text);
    const nft = new OrderRunner(d.kernel);
    return { nft, records: d.records, start: () => d.start({ nft }) };
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
      await stopDaemons(run, da);
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
      await stopDaemons(run, da, db);
    }
    // b (priority 200) is not the owner either: it drops too while master.
    expect(b.nft.events.slice(0, 2)).toEqual(['build tables', 'add 192.0.2.100 in keepalived (VIP absent)']);
  });

  const noFirewall = [
    // Strict mode leaves the owner in accept mode (keepalived: accept unset -> owner accepts).
    { title: 'the address owner (priority 255) keeps accepting: no firewall, no table', config: conf(255, '  vrrp_strict\n  nftables own\n') },
    { title: 'without no_accept or strict mode there is no firewall at all', config: conf(100, '  router_id r\n') },
  ];
  for (const { title, config } of noFirewall) {
    it(title, async () => {
      const { node, run } = setup();
      const a = node('a', 11, config);
      const d = await a.start();
      try {
        await run(5000);
        expect(d.status()).toMatchObject({ vrrp: { instances: [{ state: 'MASTER' }] } });
        expect((d.status() as { vrrp: { nftables?: unknown } }).vrrp.nftables).toBeUndefined();
      } finally {
        await stopDaemons(run, d);
      }
      expect(a.nft.events).toEqual([]);
      expect(a.records.map((r) => String(r.msg))).not.toContain('use_vmac or no_accept/strict specified, but no firewall configured - using nftables');
    });
  }
});
