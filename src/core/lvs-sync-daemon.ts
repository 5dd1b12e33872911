// lvs_sync_daemon: the kernel's IPVS connection-synchronisation daemon, started and stopped the
// way keepalived 2.2.7 does it (facts from its vrrp.c, vrrp_scheduler.c, vrrp_daemon.c and
// check_daemon.c):
//   * with a VRRP instance (`lvs_sync_daemon IF inst VI_1`, or the old `IF VI_1`): the VRRP side
//     runs the backup daemon while the instance is not master and the master daemon while it
//     is; at stop it stops the one running. The sync id defaults to the instance's VRID.
//   * without one: the LVS side runs both at once from start to stop (sync id 0 by default),
//     after stopping any left behind by an abnormal end.
// Kernel calls are serialised; a failure is logged and the next state change tries again.
import type { GlobalDefs } from '../config/model.js';
import type { IpvsKernel, IpvsSyncDaemon } from '../kernel/ipvs.js';
import type { Logger } from '../lib/log.js';

type SyncState = IpvsSyncDaemon['state'];
type SyncConfig = NonNullable<GlobalDefs['lvsSyncDaemon']>;

const errCode = (e: unknown): string | undefined => (e as { code?: string }).code;

export class LvsSyncDaemon {
  private running = new Set<SyncState>();
  private chain: Promise<void> = Promise.resolve();
  private kernel: IpvsKernel | undefined;
  private closed = false;

  constructor(
    private readonly cfg: SyncConfig,
    /** The sync id when the config gives none: the followed instance's VRID, or 0. */
    private readonly defaultSyncId: number,
    private readonly openIpvs: () => Promise<IpvsKernel>,
    private readonly log: Logger,
    /** Close the IPVS socket at stop (false when it is shared with the LVS side's manager). */
    private readonly ownsKernel = true,
  ) {}

  /** The daemons this process started and that still run (status, tests). */
  get states(): ReadonlySet<SyncState> {
    return this.running;
  }

  /** The followed instance changed state: master daemon while MASTER, backup daemon otherwise. */
  follow(vrrpState: string): Promise<void> {
    if (vrrpState === 'STOP') return this.chain;
    const want: SyncState = vrrpState === 'MASTER' ? 'master' : 'backup';
    return this.enqueue(async (k) => {
      if (this.running.has(want) && this.running.size === 1) return;
      const other: SyncState = want === 'master' ? 'backup' : 'master';
      await this.stopOne(k, other, !this.running.has(other));
      await this.startOne(k, want);
    });
  }

  /** No instance to follow: both daemons, after clearing any an abnormal end left running. */
  startBoth(): Promise<void> {
    return this.enqueue(async (k) => {
      await this.stopOne(k, 'master', true);
      await this.stopOne(k, 'backup', true);
      await this.startOne(k, 'master');
      await this.startOne(k, 'backup');
    });
  }

  /** Stops what this process started; closes the IPVS socket it opened. */
  async stop(): Promise<void> {
    await this.enqueue(async (k) => {
      for (const s of [...this.running]) await this.stopOne(k, s, false);
    });
    this.closed = true;
    if (this.ownsKernel) this.kernel?.close();
  }

  private enqueue(fn: (k: IpvsKernel) => Promise<void>): Promise<void> {
    this.chain = this.chain.then(async () => {
      if (this.closed) return;
      let k = this.kernel;
      if (!k) {
        try {
          k = this.kernel = await this.openIpvs();
        } catch (e) {
          this.log.error({ err: String(e) }, `IPVS: cannot run lvs_sync_daemon: ${(e as Error).message}`);
          return;
        }
      }
      await fn(k);
    });
    return this.chain;
  }

  private spec(state: SyncState): IpvsSyncDaemon {
    const c = this.cfg;
    return {
      state,
      ifname: c.interface,
      syncId: c.syncId ?? this.defaultSyncId,
      ...(c.maxLen !== undefined ? { maxLen: c.maxLen } : {}),
      ...(c.group !== undefined ? { group: c.group } : {}),
      ...(c.port !== undefined ? { port: c.port } : {}),
      ...(c.ttl !== undefined ? { ttl: c.ttl } : {}),
    };
  }

  private async startOne(k: IpvsKernel, state: SyncState): Promise<void> {
    const d = this.spec(state);
    try {
      await k.startSyncDaemon(d);
    } catch (e) {
      if (errCode(e) !== 'EEXIST') {
        this.log.error({ err: String(e), state }, `IPVS: cannot start the ${state} sync daemon on ${d.ifname}: ${(e as Error).message}`);
        return;
      }
      // One left by someone else (or a crashed run) with other settings: replace it.
      try {
        await k.stopSyncDaemon(state);
        await k.startSyncDaemon(d);
      } catch (e2) {
        this.log.error({ err: String(e2), state }, `IPVS: cannot start the ${state} sync daemon on ${d.ifname}: ${(e2 as Error).message}`);
        return;
      }
    }
    this.running.add(state);
    this.log.info({ state, ifname: d.ifname, syncId: d.syncId }, `IPVS: ${state} sync daemon started on ${d.ifname}, syncid ${d.syncId}`);
  }

  private async stopOne(k: IpvsKernel, state: SyncState, quietIfAbsent: boolean): Promise<void> {
    try {
      await k.stopSyncDaemon(state);
      this.log.info({ state }, `IPVS: ${state} sync daemon stopped`);
    } catch (e) {
      if (!(quietIfAbsent && errCode(e) === 'ESRCH')) this.log.warn({ err: String(e), state }, `IPVS: cannot stop the ${state} sync daemon: ${(e as Error).message}`);
    }
    this.running.delete(state);
  }
}
