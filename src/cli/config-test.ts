// `keepalived-ts -t`: read the config, report every diagnostic, exit with keepalived's codes
// (reference section 1.6): 0 clean, 4 cannot run, 5 errors or warnings, 6 script security.
//
// keepalived keeps the *least* severe class when several occur (its enum is declared in
// decreasing severity and it keeps the larger value), so a script-security violation (6) wins
// over warnings (5), which win over "cannot run" (4). We keep that order so scripts that check
// `$? -eq 6` behave the same. One deliberate difference: a missing main config file exits 4
// here (keepalived -t prints "Config files missing" and exits 0 unless -e is given), because a
// config test that passes on a file that is not there hides a mistake.
import { readdirSync, readFileSync } from 'node:fs';
import { DiagnosticSink, type Diagnostic } from '../lib/diagnostics.js';
import { mainFiles, readConfig, type KeepalivedModel } from '../config/pipeline.js';
export { mainFileProblem, resolveMainFiles } from '../config/pipeline.js';
export { modelToJson, type DumpOptions } from '../config/model-json.js';
import {
  configuredScripts,
  missingTrackScripts,
  nodeSecurityFs,
  nodeUserDb,
  prepareConfiguredScript,
  securityViolations,
  type ConfiguredScript,
} from '../notify/script-security.js';
import type { ConfigTree, Statement } from '../config/ast.js';
import type { SourceLoc } from '../lib/diagnostics.js';
import { interfaceDiagnostics, scriptUserDiagnostics, type HostFacts } from '../config/host-checks.js';

export const EXIT_OK = 0;
export const EXIT_CANNOT_RUN = 4;
export const EXIT_CONFIG_ERRORS = 5;
export const EXIT_SECURITY = 6;

/** Diagnostic codes meaning "this configuration cannot be run at all". */
export const FATAL_CODES: ReadonlySet<string> = new Set([
  'file-not-found',
  'file-unreadable',
  'not-a-file',
  'io-error',
  'fatal',
  'bad-interface',
]);

export interface ConfigTestOptions {
  readonly configId: string;
  /** PATH used to resolve bare script names (keepalived searches its own PATH). */
  readonly pathEnv?: string;
  /**
   * The host to check interfaces and script users against (what `keepalived -t` does): `-t`
   * passes `thisHost()`. Without it only the config itself is checked (--dump-config, the
   * examples summary), so the answer does not depend on the machine.
   */
  readonly host?: HostFacts;
}

/** Interface names in /proc/self/net/dev format ("  eth0: counters..."), after its two header lines. */
export function interfacesInNetDev(text: string): string[] {
  return text
    .split('\n')
    .slice(2)
    .map((l) => l.slice(0, l.indexOf(':')).trim())
    .filter((n) => n.length > 0);
}

/**
 * This host as `-t` sees it: the interfaces of this process's network namespace, users in
 * /etc/passwd. Interfaces come from /proc/self/net/dev, which follows the reader's namespace;
 * /sys/class/net shows the namespace sysfs was mounted in (under `unshare -n`, the host's), so
 * it is only the fallback when /proc is not there.
 */
export function thisHost(netDev = '/proc/self/net/dev', sysNet = '/sys/class/net', passwd = '/etc/passwd'): HostFacts {
  let interfaces: string[] = [];
  try {
    interfaces = interfacesInNetDev(readFileSync(netDev, 'utf8'));
  } catch {
    try {
      interfaces = readdirSync(sysNet);
    } catch {
      // Neither: every interface is then reported missing, which is what keepalived would find too.
    }
  }
  let users: Set<string> | undefined;
  const userExists = (name: string): boolean => {
    if (!users) {
      users = new Set();
      try {
        for (const l of readFileSync(passwd, 'utf8').split('\n')) if (l.includes(':')) users.add(l.slice(0, l.indexOf(':')));
      } catch {
        // unreadable: no user exists
      }
    }
    // keepalived also accepts a numeric uid.
    return users.has(name) || /^\d+$/.test(name);
  };
  return { interfaces: new Set(interfaces), userExists };
}

export interface ConfigTestResult {
  readonly exitCode: number;
  /** Set when the main file could not be read at all: the one line to print. */
  readonly fatal?: string;
  readonly diagnostics: readonly Diagnostic[];
  readonly tree?: ConfigTree;
  readonly model?: KeepalivedModel;
  /** vrrp_scripts that will not run on this host (keepalived disables them), with why. */
  readonly disabledScripts?: ReadonlyMap<string, string>;
}

/** The exit code for a set of diagnostics, keepalived's precedence (see the file comment). */
export function exitCodeFor(diagnostics: readonly Diagnostic[]): number {
  let code = EXIT_OK;
  const rank = (c: number): number => (c === EXIT_OK ? 0 : c === EXIT_CANNOT_RUN ? 1 : c === EXIT_CONFIG_ERRORS ? 2 : 3);
  for (const d of diagnostics) {
    if (d.severity === 'info') continue;
    const c = d.code === 'script-security' ? EXIT_SECURITY : FATAL_CODES.has(d.code) ? EXIT_CANNOT_RUN : EXIT_CONFIG_ERRORS;
    if (rank(c) > rank(code)) code = c;
  }
  return code;
}

/** Runs the whole check. Never throws for bad input: problems are diagnostics or `fatal`. */
export function runConfigTest(file: string, options: ConfigTestOptions): ConfigTestResult {
  const main = mainFiles(file);
  if (main.problem) return { exitCode: EXIT_CANNOT_RUN, fatal: main.problem.message, diagnostics: [] };
  const sink = new DiagnosticSink();
  const config = readConfig(main, { configId: options.configId }, sink);
  const { tree, model } = config;
  const pathEnv = options.pathEnv ?? process.env.PATH;
  // Host checks (reference section 1.6: -t runs keepalived's start-up validation, which looks at
  // the interfaces and users of the host it runs on).
  const ifs = options.host ? interfaceDiagnostics(tree, options.host) : [];
  const users = options.host ? scriptUserDiagnostics(tree, options.host) : { diagnostics: [], removed: new Set<string>() };
  for (const d of users.diagnostics) sink.report(d);
  for (const d of ifs) if (d.code !== 'bad-interface') sink.report(d);
  const disabledScripts = new Map<string, string>([...users.removed].map((n) => [n, 'its user does not exist on this host']));
  // The scripts and their checks are the daemon's own (notify/script-security.ts), in file order.
  const scripts = inTreeOrder(configuredScripts(model), tree).filter((s) => s.vrrpScript === undefined || !users.removed.has(s.vrrpScript));
  for (const d of missingTrackScripts(scripts, pathEnv)) {
    sink.report(d);
    const name = /^Disabling track script (\S+) /.exec(d.message)?.[1];
    if (name !== undefined) disabledScripts.set(name, d.hint ?? d.message);
  }
  if (options.host) {
    for (const d of insecureTrackScripts(model, scripts, pathEnv, disabledScripts)) {
      sink.report(d);
      disabledScripts.set(d.text ?? '', d.hint ?? d.message);
    }
  }
  // keepalived's VRRP side stops at a missing interface, before its script security check, so
  // a config with both exits 5 there, not 6.
  if (ifs.length === 0) {
    const insecure = options.host && !model.globalDefs.enableScriptSecurity ? hasInsecureScript(model, scripts, pathEnv) : false;
    const host = options.host;
    const defaultUserMissing = users.diagnostics.some((d) => d.message === 'Error setting global script uid/gid');
    // Notify scripts whose user (own, or the missing global one) does not exist are dropped.
    const counts = (sc: ConfiguredScript): boolean =>
      sc.keyword === 'script' || sc.checker || !host?.userExists ? true : sc.user !== undefined ? host.userExists(sc.user.user) : !defaultUserMissing;
    for (const d of securityViolations(scripts, model.globalDefs.enableScriptSecurity, pathEnv, { counts, insecure })) sink.report(d);
  }
  const diagnostics = [...config.diagnostics(), ...ifs.filter((d) => d.code === 'bad-interface')];
  return { exitCode: exitCodeFor(diagnostics), diagnostics, tree, model, disabledScripts };
}

/** Scripts sorted as their lines appear in the files (includes in place). */
function inTreeOrder(scripts: readonly ConfiguredScript[], tree: ConfigTree): ConfiguredScript[] {
  const seq = new Map<string, number>();
  const key = (l: SourceLoc) => `${l.file}\0${l.line}\0${l.column}`;
  const walk = (stmts: readonly Statement[]): void => {
    for (const st of stmts) {
      if (!seq.has(key(st.loc))) seq.set(key(st.loc), seq.size);
      if (st.block) walk(st.block);
    }
  };
  walk(tree.statements);
  const at = (s: ConfiguredScript) => seq.get(key(s.spec.loc)) ?? Number.MAX_SAFE_INTEGER;
  return [...scripts].sort((a, b) => at(a) - at(b));
}

/**
 * With enable_script_security, keepalived -t disables a vrrp_script whose path is unsafe for
 * the user it runs as ("Disabling track script NAME due to insecure"). The check is the
 * daemon's own (prepareConfiguredScript), run on this host's files and users.
 */
export function insecureTrackScripts(model: KeepalivedModel, scripts: readonly ConfiguredScript[], pathEnv: string | undefined, disabled: ReadonlyMap<string, string>): Diagnostic[] {
  const g = model.globalDefs;
  if (!g.enableScriptSecurity) return [];
  const env = { db: nodeUserDb(), fs: nodeSecurityFs, path: pathEnv };
  const out: Diagnostic[] = [];
  for (const s of scripts) {
    if (s.vrrpScript === undefined || disabled.has(s.vrrpScript)) continue;
    const verdict = prepareConfiguredScript(s, g, env);
    const unsafe = verdict.findings.find((f) => f.code === 'script-insecure');
    if (verdict.ok || verdict.reason !== 'insecure' || !unsafe) continue;
    out.push({ severity: 'warning', code: 'script-insecure', message: `Disabling track script ${s.vrrpScript} due to insecure`, loc: s.spec.loc, text: s.vrrpScript, hint: unsafe.message });
  }
  return out;
}

/** True when a script of the VRRP side has an unsafe path for its user (checked as the daemon does). */
function hasInsecureScript(model: KeepalivedModel, scripts: readonly ConfiguredScript[], pathEnv: string | undefined): boolean {
  const env = { db: nodeUserDb(), fs: nodeSecurityFs, path: pathEnv };
  return scripts.some((s) => !s.checker && prepareConfiguredScript(s, model.globalDefs, env).findings.some((f) => f.code === 'script-insecure'));
}
