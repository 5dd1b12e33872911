// The LVS side's production parts: the checkers in their own process (check/checker-host.ts,
// ADR 0015), fed a plan whose scripts passed the start-up security check, and the kernel's IPVS
// table over generic netlink. Loaded only when the config has virtual servers.
import { CheckerHost } from '../check/checker-host.js';
import { prepareCheckerScripts } from '../check/checker-scripts.js';
import { buildCheckPlan, notRunWarnings, type CheckPlan } from '../check/plan.js';
import type { KeepalivedConfig } from '../config/model.js';
import type { Logger } from '../lib/log.js';
import type { IpvsKernel } from '../kernel/ipvs.js';
import { GenlIpvsKernel } from '../kernel/genl-ipvs-kernel.js';
import { nodeSecurityFs } from '../notify/script-security.js';
import type { LvsParts } from './lvs-parts.js';
import { IDENTS } from '../lib/syslog.js';
import { userDbOnce } from './vrrp-scripts.js';

export function defaultLvsParts(): LvsParts {
  return {
    openIpvs: openGenlIpvs,
    health: ({ model, log, onFifoLine }) => {
      // checker_priority: the checker child's nice value (keepalived's setpriority of its checker process).
      const nice = model.globalDefs.checkerPriority;
      return new CheckerHost({
        plan: checkPlan(model, log),
        log,
        onFifoLine,
        ...(nice !== undefined ? { niceness: nice } : {}),
        // keepalived's parent says so as it forks its checker child (main ident, like the VRRP child's line).
        onChildStarted: (pid) => log.info({ ident: IDENTS.main }, `Starting Healthcheck child process, pid=${pid}`),
      });
    },
    plan: checkPlan,
  };
}

/** The plan of a model, at start and on each reload: scripts checked, checkers that do not run said once. */
function checkPlan(model: KeepalivedConfig, log: Logger): CheckPlan {
  const scripts = prepareCheckerScripts(model, { db: userDbOnce(), fs: nodeSecurityFs, path: process.env.PATH }, log);
  // Configured checkers (or options) that do not run are said, never dropped silently.
  for (const w of notRunWarnings(model)) log.warn(w);
  return buildCheckPlan(model, { scripts });
}

/** Rejects with a KernelError (ENOENT, errno 2) naming the cause when the kernel has no IPVS. */
function openGenlIpvs(): Promise<IpvsKernel> {
  return GenlIpvsKernel.open();
}
