// lvs_sync_daemon's kernel calls, against the RecordingIpvsKernel (which refuses a second start of
// a running state with EEXIST and a stop of a missing one with ESRCH, as ip_vs_sync.c does): the
// followed instance's states drive master/backup, both run without an instance, a daemon left
// by a crashed run is replaced, and stop leaves nothing of ours.
import { describe, expect, it } from 'vitest';
import { LvsSyncDaemon } from '../../../src/core/lvs-sync-daemon.js';
import { RecordingIpvsKernel } from '../../../src/kernel/recording-ipvs-kernel.js';
import { memoryLogger } from '../../../src/lib/log.js';

const CFG = { interface: 'eth1', vrrpInstance: 'VI_1', maxLen: 1400, port: 8848, ttl: 2, group: '239.1.2.3' };

function setup(cfg: ConstructorParameters<typeof LvsSyncDaemon>[0] = CFG, defaultId = 51) {
  const k = new RecordingIpvsKernel();
  const { log, records } = memoryLogger('info');
  const d = new LvsSyncDaemon(cfg, defaultId, () => Promise.resolve(k), log);
  const running = () => Promise.resolve([...k.syncDaemons.values()].map((x) => `${x.state}:${x.ifname}:${x.syncId}`).sort());
  return { k, d, records, running };
}

describe('lvs_sync_daemon following a VRRP instance', () => {
  it('backup while not master, master while MASTER, with the configured options and the VRID as sync id', async () => {
    const t = setup();
    await t.d.follow('BACKUP');
    expect(await t.running()).toEqual(['backup:eth1:51']);
    await t.d.follow('MASTER');
    expect(await t.running()).toEqual(['master:eth1:51']);
    expect(t.k.syncDaemons.get('master')).toEqual({ state: 'master', ifname: 'eth1', syncId: 51, maxLen: 1400, port: 8848, ttl: 2, group: '239.1.2.3' });
    await t.d.follow('FAULT');
    expect(await t.running()).toEqual(['backup:eth1:51']);
    await t.d.follow('STOP'); // the runtime's stop: the daemon's stop() decides
    expect(await t.running()).toEqual(['backup:eth1:51']);
    await t.d.stop();
    expect(await t.running()).toEqual([]);
  });

  it('an explicit id wins over the VRID; repeated states change nothing', async () => {
    const t = setup({ interface: 'eth1', vrrpInstance: 'VI_1', syncId: 7 });
    await t.d.follow('MASTER');
    const calls = t.k.log.length;
    await t.d.follow('MASTER');
    expect(t.k.log.length).toBe(calls);
    expect(await t.running()).toEqual(['master:eth1:7']);
  });

  it('replaces a daemon of the same state left running by someone else', async () => {
    const t = setup();
    await t.k.startSyncDaemon({ state: 'backup', ifname: 'eth9', syncId: 3 });
    await t.d.follow('BACKUP');
    expect(await t.running()).toEqual(['backup:eth1:51']);
  });

  it('without IPVS: one error line, no throw', async () => {
    const { log, records } = memoryLogger('info');
    const k = new RecordingIpvsKernel({ present: false });
    const d = new LvsSyncDaemon(CFG, 51, () => Promise.resolve(k), log);
    await d.follow('MASTER');
    await d.stop();
    expect(records.filter((r) => String(r.msg).startsWith('IPVS: cannot start the master sync daemon on eth1')).length).toBe(1);
  });
});

describe('lvs_sync_daemon without an instance', () => {
  it('starts both states (sync id 0) after clearing stale ones, stops both', async () => {
    const t = setup({ interface: 'eth1' }, 0);
    await t.k.startSyncDaemon({ state: 'master', ifname: 'old', syncId: 9 });
    await t.d.startBoth();
    expect(await t.running()).toEqual(['backup:eth1:0', 'master:eth1:0']);
    await t.d.stop();
    expect(await t.running()).toEqual([]);
  });
});
