// LinkWatcher gets its events through the Kernel seam (Kernel.watchEvents), so a RecordingKernel
// drives it end to end: start() subscribes, the model's changes arrive as events, an overflow
// triggers a re-read, stop() unsubscribes.
import { describe, expect, it } from 'vitest';
import { LinkWatcher } from '../../../src/core/link-watch.js';
import { RecordingKernel } from '../../../src/kernel/recording-kernel.js';
import { memoryLogger } from '../../../src/lib/log.js';

const seed = () =>
  new RecordingKernel([
    { name: 'lo', ifindex: 1 },
    { name: 'eth0', ifindex: 2 },
  ]);

/** A started LinkWatcher on a fresh kernel, recording each link change it reports and what it logs. */
async function watching() {
  const kernel = seed();
  const seen: [string, boolean, number][] = [];
  const { log, records } = memoryLogger('info');
  const watcher = new LinkWatcher(kernel, log, (n, up, i) => seen.push([n, up, i]));
  await watcher.start();
  return { kernel, seen, records, watcher };
}

describe('LinkWatcher through Kernel.watchEvents', () => {
  it('reports link changes the kernel model makes after start(), and nothing after stop()', async () => {
    const { kernel, seen, records, watcher } = await watching();
    kernel.setLinkState('eth0', { carrier: false });
    kernel.setLinkState('eth0', { carrier: true });
    kernel.addLink({ name: 'eth1', ifindex: 7 });
    expect(seen).toEqual([
      ['eth0', false, 2],
      ['eth0', true, 2],
      ['eth1', true, 7],
    ]);
    expect(records.some((r) => r.msg === 'interface eth0 is down')).toBe(true);
    watcher.stop();
    kernel.setLinkState('eth0', { up: false });
    expect(seen).toHaveLength(3);
  });

  it('address deletions reach onAddressRemoved only when asked for; additions never do', async () => {
    const kernel = seed();
    await kernel.addAddress({ address: '192.0.2.10', prefixLength: 32, dev: 'eth0' });
    const removed: [number, string][] = [];
    const watcher = new LinkWatcher(kernel, memoryLogger('silent').log, () => {}, (i, a) => removed.push([i, a]));
    await watcher.start();
    await kernel.addAddress({ address: '192.0.2.11', prefixLength: 32, dev: 'eth0' });
    await kernel.deleteAddress({ address: '192.0.2.10', prefixLength: 32, dev: 'eth0' });
    expect(removed).toEqual([[2, '192.0.2.10']]);
    watcher.stop();

    // Without an address handler (and no -a) the watch does not subscribe to addresses.
    const linksOnly: unknown[] = [];
    const w2 = new LinkWatcher(kernel, memoryLogger('silent').log, (...a) => linksOnly.push(a));
    await w2.start();
    await kernel.deleteAddress({ address: '192.0.2.11', prefixLength: 32, dev: 'eth0' });
    expect(linksOnly).toEqual([]);
    w2.stop();
  });

  it('an overflow (events lost) re-reads the links and reports what changed meanwhile', async () => {
    const { kernel, seen, records, watcher } = await watching();
    // The delete and the re-create are lost; only re-reading finds them.
    kernel.overflow(() => {
      kernel.removeLink('eth0');
      kernel.addLink({ name: 'eth0', ifindex: 9 });
    });
    expect(watcher.overflows).toBe(1);
    expect(records.some((r) => r.msg === 'netlink event overflow: re-reading interface state')).toBe(true);
    await new Promise<void>((r) => setImmediate(r));
    expect(seen).toEqual([
      ['eth0', false, 2],
      ['eth0', true, 9],
    ]);
    // Events flow again after the overflow.
    kernel.setLinkState('eth0', { carrier: false });
    expect(seen.at(-1)).toEqual(['eth0', false, 9]);
    watcher.stop();
  });
});
