// The checker side's scripts (MISC_CHECK misc_path, real server notify_up / notify_down) through
// the one start-up security check shared with the VRRP scripts (src/notify/script-security.ts):
// their findings are logged with keepalived's words, and a misc script that may not run takes
// its checker with it, as keepalived's check_misc_script_security frees the checker.
import type { KeepalivedConfig } from '../config/model.js';
import type { Logger } from '../lib/log.js';
import type { PreparedScript } from '../notify/process-runner.js';
import { configuredScripts, prepareConfiguredScript, type SecurityFs, type UserDb } from '../notify/script-security.js';
import { scriptLocKey, type ScriptResolver } from './plan.js';

export interface CheckerScriptEnv {
  readonly db: UserDb;
  readonly fs: SecurityFs;
  /** PATH for bare names. */
  readonly path: string | undefined;
}

/** Checks every checker-side script once; the resolver hands out those allowed to run. */
export function prepareCheckerScripts(model: KeepalivedConfig, env: CheckerScriptEnv, log?: Pick<Logger, 'warn' | 'error' | 'info'>): ScriptResolver {
  const ready = new Map<string, PreparedScript>();
  for (const s of configuredScripts(model)) {
    if (!s.checker) continue;
    const v = prepareConfiguredScript(s, model.globalDefs, env);
    for (const f of v.findings) (f.severity === 'error' ? log?.error : log?.warn)?.call(log, { script: s.name, code: f.code }, f.message);
    if (v.ok) {
      ready.set(scriptLocKey(s.spec.loc), v.script);
    } else if (s.keyword === 'misc_path') {
      // check_misc.c check_misc_script_security
      const why = v.reason === 'insecure' ? 'due to insecure' : 'since not found/accessible';
      log?.info(`Disabling misc script ${s.spec.cmd} ${why}`);
    }
  }
  return (spec) => ready.get(scriptLocKey(spec.loc));
}
