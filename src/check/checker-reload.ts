// What a reload does to the checkers of a real server that stays (pure; engine.ts applies it).
// keepalived 2.2.7 (ipwrapper.c clear_diff_rs, migrate_checkers, check_new_rs_state; check_data.c
// validate_check_config with `reload` set):
//  * a real server is matched by its address and port within a matched virtual server (our
//    realServerKey); its alive flag and weight carry over;
//  * each new checker is matched to an old one of the same kind whose `compare` function says
//    they are the same target (TCP and the other socket checkers: destination, bind address,
//    bind_if, connect_timeout, fwmark; MISC_CHECK: the script and misc_dynamic). Timing
//    (delay_loop, retry, delay_before_retry, warmup, alpha) is not compared. A matched checker
//    takes the old one's up/down (when it had run), has_run, and its retry counter (capped at
//    retry - 1, so one more failure is enough);
//  * checkers created by a reload start up, not run, with the retry counter at 0 (the start's
//    "one failure is enough" is skipped on reload); when one of the server's checkers has failed,
//    or the server is down and none has run, the new ones that have not run count one failure as
//    enough and alpha ones start down;
//  * afterwards: no checker down and the server down -> the server comes up (perform_svr_state,
//    with its notifies); a checker down while the server is up -> out of the table, no notify.
//  * every checker's timer starts again at 1 s + random warmup (register_checkers_thread).
//
// Ours differs in one point, on purpose (ADR 0020): a checker whose plan is identical keeps its
// state, its timer and a probe in flight, so a reload causes no burst of probes and no change.
import type { CheckerState } from './checker-state.js';
import type { CheckerPlan } from './plan.js';

/** Everything in a checker's plan but its id (the index in the config may move). */
export function checkerDigest(p: CheckerPlan): string {
  const { id: _id, ...rest } = p;
  return JSON.stringify(rest);
}

/**
 * keepalived's checker `compare`: the same kind and target. Timing and logging options are left
 * out (they live in `params`), as are MISC_CHECK's misc_timeout and HTTP's expectations beyond
 * the target (keepalived compares those too; a change there restarts the checker here).
 */
export function checkerTarget(p: CheckerPlan): string {
  const { id: _id, params, ...rest } = p;
  const own: Record<string, unknown> = { ...rest };
  if (p.kind === 'MISC_CHECK') delete own.timeoutMs;
  return JSON.stringify({ ...own, dynamic: params.dynamic ?? false, urls: params.urls, urlVhosts: params.urlVhosts });
}

/** The state of a checker a reload creates (check_data.c validate_check_config on reload). */
export function reloadedState(): CheckerState {
  return { up: true, hasRun: false, retryIt: 0, lastExitCode: 0, dynamicWeight: undefined };
}

/** migrate_checkers: the new checker takes the matched old one's state. */
export function migratedState(old: CheckerState, retry: number): CheckerState {
  const s = reloadedState();
  let retryIt = s.retryIt;
  if (old.retryIt > 0 && retry > 0) retryIt = old.retryIt >= retry ? retry - 1 : old.retryIt;
  return {
    ...s,
    up: old.hasRun ? old.up : s.up,
    hasRun: old.hasRun,
    retryIt,
    // migrate_misc_check: the last exit code (and so a misc_dynamic weight) carries over.
    lastExitCode: old.lastExitCode,
    dynamicWeight: old.dynamicWeight,
  };
}

export interface ReloadedChecker {
  state: CheckerState;
  /** Kept as it was (identical plan): its timer and probe go on. */
  readonly kept: boolean;
  readonly retry: number;
  readonly alpha: boolean;
}

/**
 * The rest of migrate_checkers for one real server, on its checkers as migrated: returns whether
 * the server is up afterwards and whether it came up (its notifies are due).
 */
export function settleReloaded(wasAlive: boolean, checkers: ReloadedChecker[]): { alive: boolean; cameUp: boolean } {
  const failed = checkers.filter((c) => c.state.hasRun && !c.state.up).length;
  const anyRun = checkers.some((c) => c.state.hasRun);
  if (failed > 0 || (!wasAlive && !anyRun)) {
    for (const c of checkers) {
      if (c.kept || c.state.hasRun) continue;
      c.state = { ...c.state, up: c.alpha ? false : c.state.up, retryIt: c.retry };
    }
  }
  const alive = checkers.every((c) => c.state.up);
  return { alive, cameUp: alive && !wasAlive };
}
