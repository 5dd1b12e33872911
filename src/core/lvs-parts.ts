// The LVS side of the daemon as the composition builds it: the checkers (a HealthSource) and the
// kernel's IPVS table (an IpvsKernel) behind one seam (LvsParts; tests pass their own), the
// quorum scripts through the same start-up security check as the VRRP scripts, the shared
// notify FIFOs, and the VRRP side's held addresses for ha_suspend.
import type { KeepalivedConfig } from '../config/model.js';
import type { HealthSource } from '../check/health.js';
import type { CheckPlan } from '../check/plan.js';
import type { IpvsKernel } from '../kernel/ipvs.js';
import type { Logger } from '../lib/log.js';
import { RealTimers } from '../lib/timers.js';
import type { PreparedScript } from '../notify/process-runner.js';
import { configuredScripts, nodeSecurityFs, prepareConfiguredScript, type UserDb } from '../notify/script-security.js';
import { scriptKey } from '../vrrp/model-adapter.js';
import { createLvsSubsystem, type LineWriter, type LvsSubsystem } from './lvs-subsystem.js';
import type { SubsystemContext } from './subsystem-context.js';
import { userDbOnce } from './vrrp-scripts.js';

export interface HealthInputs {
  readonly model: KeepalivedConfig;
  readonly log: Logger;
  /** Each `RS ...` line, for notify_fifo / lvs_notify_fifo. */
  readonly onFifoLine: (line: string) => void;
}

/** Where the LVS side's external systems come from. */
export interface LvsParts {
  /** The kernel's IPVS table; rejects when the kernel has none (no ip_vs module). */
  openIpvs(): Promise<IpvsKernel>;
  /** The checkers of the model's real servers. */
  health(i: HealthInputs): HealthSource;
  /**
   * The checkers' plan of a model reloaded (its scripts through the start-up security check);
   * absent: a reload leaves the checkers as they are.
   */
  plan?(model: KeepalivedConfig, log: Logger): CheckPlan;
}

/**
 * virtual_server quorum_up / quorum_down, checked as keepalived checks every script at start-up
 * (findings logged with its words); those allowed to run, by scriptKey. The checkers' own
 * scripts (misc_path, notify_up, notify_down) are checked by the checker (check/checker-scripts.ts).
 */
export function prepareQuorumScripts(model: KeepalivedConfig, db: UserDb, log: Logger): Map<string, PreparedScript> {
  const prepared = new Map<string, PreparedScript>();
  for (const s of configuredScripts(model)) {
    if (s.keyword !== 'quorum_up' && s.keyword !== 'quorum_down') continue;
    const v = prepareConfiguredScript(s, model.globalDefs, { db, fs: nodeSecurityFs, path: process.env.PATH });
    for (const f of v.findings) (f.severity === 'error' ? log.error.bind(log) : log.warn.bind(log))({ script: s.name, code: f.code }, f.message);
    if (v.ok) prepared.set(scriptKey(s.spec), v.script);
  }
  return prepared;
}

/** The context the LVS side is built from; its FIFO writers (the daemon's, or those a reload opened). */
export type LvsContext = Omit<SubsystemContext, 'fifos'> & { readonly fifos: { readonly lvs: readonly LineWriter[] } };

export interface LvsWiring {
  /** Addresses of the VRRP instances in MASTER state; undefined when VRRP does not run here. */
  readonly heldAddresses?: () => ReadonlySet<string> | undefined;
}

/**
 * The LVS subsystem for this context: opens the IPVS table (a failure is kept for the one
 * "Can't initialize ipvs" line at start), builds the checkers, prepares the quorum scripts.
 */
export async function composeLvs(ctx: LvsContext, parts: LvsParts, w: LvsWiring): Promise<LvsSubsystem> {
  const { model, log, runner, options: o } = ctx;
  let ipvs: IpvsKernel | undefined;
  let ipvsOpenError: unknown;
  try {
    ipvs = await parts.openIpvs();
  } catch (e) {
    ipvsOpenError = e;
  }
  const health = parts.health({
    model,
    log,
    onFifoLine: (line) => {
      for (const f of ctx.fifos.lvs) f.write(line);
    },
  });
  return createLvsSubsystem({
    model,
    log,
    ...(ipvs ? { ipvs } : { ipvsOpenError }),
    health,
    runner,
    prepared: prepareQuorumScripts(model, userDbOnce(), log),
    timers: new RealTimers(ctx.clock),
    dontReleaseIpvs: o.dontReleaseIpvs ?? false,
    ...(w.heldAddresses ? { heldAddresses: w.heldAddresses } : {}),
    fifos: ctx.fifos.lvs,
    prepareReload: (next) => ({
      ...(parts.plan ? { plan: parts.plan(next, log) } : {}),
      prepared: prepareQuorumScripts(next, userDbOnce(), log),
    }),
  });
}
