// The LVS side's production parts: the checkers in their own process (check/checker-host.ts,
// ADR 0015), fed a plan whose scripts passed the start-up security check, and the kernel's IPVS
// table over generic netlink. Loaded only when the config has virtual servers.
import { CheckerHost } from '../check/checker-host.js';
import { prepareCheckerScripts } from '../check/checker-scripts.js';
import { buildCheckPlan } from '../check/plan.js';
import type { IpvsKernel } from '../kernel/ipvs.js';
import { KernelError } from '../kernel/errors.js';
import { nodeSecurityFs } from '../notify/script-security.js';
import type { LvsParts } from './lvs-parts.js';
import { userDbOnce } from './vrrp-scripts.js';

export function defaultLvsParts(): LvsParts {
  return {
    openIpvs: openGenlIpvs,
    health: ({ model, log, onFifoLine }) => {
      const scripts = prepareCheckerScripts(model, { db: userDbOnce(), fs: nodeSecurityFs, path: process.env.PATH }, log);
      return new CheckerHost({ plan: buildCheckPlan(model, { scripts }), log, onFifoLine });
    },
  };
}

function openGenlIpvs(): Promise<IpvsKernel> {
  return Promise.reject(new KernelError('ENOENT', 'ipvsOpen', 'the generic netlink IPVS table is not part of this build yet', { errno: 2 }));
}
