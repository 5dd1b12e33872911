// How every checker's step ends once it has looked at a probe result: the checker's half of
// keepalived's ipwrapper.c update_svr_checker_state (does the real server hear of it, and how),
// and the StepOutput carrying the new state, the next probe's time, that verdict and the log
// lines. Pure; the checkers' own retry rules stay in their modules.
import type { Ms } from '../lib/units.js';
import type { CheckerParams, CheckerState, StepOutput } from './checker-state.js';

export interface Verdict {
  up: boolean;
  change?: 'up' | 'down';
  initialNotify?: boolean;
}

/**
 * ipwrapper.c update_svr_checker_state, the checker's half: a change of state goes to the real
 * server; the first result of a checker that already matches its state still notifies when the
 * checker is alpha or the result is a failure.
 */
export function verdict(p: CheckerParams, s: CheckerState, alive: boolean): Verdict {
  if (s.up === alive) return !s.hasRun && (p.alpha || !alive) ? { up: alive, initialNotify: true } : { up: alive };
  return { up: alive, change: alive ? 'up' : 'down' };
}

/** The step's output: `v`'s change or initial notify (when it has one), and misc_dynamic's weight when given. */
export function stepOutput(state: CheckerState, next: Ms, v: Verdict, logs: readonly string[], weight?: number | null): StepOutput {
  return {
    state,
    next,
    ...(v.change ? { change: v.change } : {}),
    ...(v.initialNotify ? { initialNotify: true } : {}),
    ...(weight !== undefined ? { weight } : {}),
    logs,
  };
}
