// The VRRP subsystem's scripts at start-up: each configured script goes through the check `-t`
// runs too (notify/script-security.ts), its findings logged; notify scripts that pass are kept
// for the notify sink, vrrp_scripts that pass are scheduled, the others disabled.
import { readFileSync } from 'node:fs';
import type { Logger } from '../lib/log.js';
import type { Ms } from '../lib/units.js';
import type { KeepalivedConfig } from '../config/model.js';
import { scriptKey } from '../vrrp/model-adapter.js';
import type { RuntimeInstanceSpec } from '../vrrp/runtime/vrrp-runtime.js';
import type { PreparedScript } from '../notify/process-runner.js';
import { configuredScripts, nodeSecurityFs, parseUserDb, prepareConfiguredScript, type ConfiguredScript, type UserDb } from '../notify/script-security.js';

/** A vrrp_script that passed its checks: what the scheduler and the status log need. */
export interface RunnableScript {
  readonly name: string;
  readonly script: PreparedScript;
  readonly intervalMs: Ms;
  readonly timeoutMs: Ms;
  readonly rise: number;
  readonly fall: number;
}

/**
 * /etc/passwd and /etc/group, read at the first lookup and then kept for this start-up (the
 * notify/security code looks users and groups up several times per script: reading both files
 * each time made start-up time grow with the number of scripts times the size of the files).
 */
export function userDbOnce(passwdPath = '/etc/passwd', groupPath = '/etc/group'): UserDb {
  let db: UserDb | undefined;
  const read = (p: string) => {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      return '';
    }
  };
  const get = () => (db ??= parseUserDb(read(passwdPath), read(groupPath)));
  return { userByName: (n) => get().userByName(n), groupByName: (n) => get().groupByName(n), groupsOf: (n) => get().groupsOf(n) };
}

type DisabledReason = 'not-found' | 'not-executable' | 'insecure' | 'no-user';

/** The start-up check of one configured script, its findings logged; the script ready to run, or undefined when disabled. */
function prepare(model: KeepalivedConfig, db: UserDb, s: ConfiguredScript, log: Logger, onDisabled?: (reason: DisabledReason) => void): PreparedScript | undefined {
  const verdict = prepareConfiguredScript(s, model.globalDefs, { db, fs: nodeSecurityFs, path: process.env.PATH });
  for (const f of verdict.findings) (f.severity === 'error' ? log.error.bind(log) : log.warn.bind(log))({ script: s.name, code: f.code }, f.message);
  if (!verdict.ok) {
    onDisabled?.(verdict.reason);
    return undefined;
  }
  return verdict.script;
}

/** The notify scripts (instances, sync groups) that may run, keyed by model-adapter's scriptKey. */
export function prepareNotifyScripts(model: KeepalivedConfig, db: UserDb, log: Logger): Map<string, PreparedScript> {
  const prepared = new Map<string, PreparedScript>();
  for (const sc of configuredScripts(model)) {
    if (sc.checker || sc.vrrpScript !== undefined) continue;
    const p = prepare(model, db, sc, log);
    if (p) prepared.set(scriptKey(sc.spec), p);
  }
  return prepared;
}

/**
 * vrrp_script security checks come before the instances are set up, as keepalived's
 * check_vrrp_script_security does before tracking is initialised: a script that is missing,
 * not executable, insecure (with enable_script_security) or has no `script` line is disabled
 * and removed from every instance that tracks it, so it neither faults the instance nor holds
 * its start-up (observed with 2.2.7: "Disabling track script chk since not found/accessible",
 * then "Entering BACKUP STATE (init)" and normal elections). Returns the scripts to run and the
 * instance specs without the disabled ones.
 */
export function prepareTrackScripts(
  model: KeepalivedConfig,
  db: UserDb,
  wiredSpecs: readonly RuntimeInstanceSpec[],
  log: Logger,
): { runnable: RunnableScript[]; specs: readonly RuntimeInstanceSpec[] } {
  const scripts = configuredScripts(model);
  const tracked = new Set(wiredSpecs.flatMap((s) => s.cfg.trackers.filter((t) => t.type === 'script').map((t) => t.name)));
  const runnable: RunnableScript[] = [];
  const disabled = new Set<string>();
  for (const vs of model.vrrpScripts) {
    if (!tracked.has(vs.name)) continue;
    if (!vs.script) {
      log.error({ script: vs.name, code: 'script-missing' }, `Disabling track script ${vs.name} since it has no script command`);
      disabled.add(vs.name);
      continue;
    }
    const sc = scripts.find((x) => x.vrrpScript === vs.name);
    if (!sc) continue;
    const p = prepare(model, db, sc, log, (reason) => {
      // keepalived adds this line for a missing or insecure script (not for "not executable").
      if (reason === 'not-found') log.error({ script: vs.name, code: 'track-script-disabled' }, `Disabling track script ${vs.name} since not found/accessible`);
      else if (reason === 'insecure') log.error({ script: vs.name, code: 'track-script-disabled' }, `Disabling track script ${vs.name} due to insecure`);
    });
    if (!p) {
      disabled.add(vs.name);
      continue;
    }
    runnable.push({ name: vs.name, script: p, intervalMs: vs.interval, timeoutMs: vs.timeout, rise: vs.rise, fall: vs.fall });
  }
  const specs =
    disabled.size === 0
      ? wiredSpecs
      : wiredSpecs.map((s) => ({ ...s, cfg: { ...s.cfg, trackers: s.cfg.trackers.filter((t) => !(t.type === 'script' && disabled.has(t.name))) } }));
  return { runnable, specs };
}
