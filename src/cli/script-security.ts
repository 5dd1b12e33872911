// The config-test's script checks: script security (keepalived core/notify.c check_security,
// reference section 4.4) and track scripts that cannot run. keepalived resolves every
// configured script at startup; when at least one names an existing file (executable or not:
// observed with a mode 644 script) and `global_defs { enable_script_security }` is absent it
// reports "SECURITY VIOLATION - scripts are being executed but script_security not enabled."
// and `-t` exits 6. Scripts whose program does not exist are silently disabled by keepalived,
// so they do not count. This reads the file system, which is why it lives in cli/ and not in
// the pure config/ tree.
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Statement, ConfigTree } from '../config/ast.js';
import type { Diagnostic, SourceLoc } from '../lib/diagnostics.js';

/** Where scripts are configured: parent block keyword -> script keywords inside it. */
const SCRIPT_KEYWORDS: Readonly<Record<string, readonly string[]>> = {
  vrrp_script: ['script'],
  vrrp_instance: ['notify', 'notify_master', 'notify_backup', 'notify_fault', 'notify_stop', 'notify_deleted', 'notify_master_rx_lower_pri'],
  vrrp_sync_group: ['notify', 'notify_master', 'notify_backup', 'notify_fault', 'notify_stop'],
  virtual_server: ['quorum_up', 'quorum_down'],
  real_server: ['notify_up', 'notify_down'],
  MISC_CHECK: ['misc_path'],
};

/** Checker-side scripts get keepalived's "check scripts" wording. */
const CHECKER_PARENTS = new Set(['virtual_server', 'real_server', 'MISC_CHECK']);

export interface ConfiguredScript {
  readonly keyword: string;
  /** The command line after keepalived's quoted tokenisation. */
  readonly command: string;
  /** Its program (first word). */
  readonly program: string;
  readonly checker: boolean;
  readonly loc: SourceLoc;
  /** A notify script's own user (the word after the command), when written. */
  readonly user?: string;
}

/**
 * keepalived's quoted tokenisation (alloc_strvec_quoted) of the first word: both ' and "
 * quote and adjacent pieces join, so `"/bin/x arg"` is one word `/bin/x arg`.
 */
export function firstQuotedWord(raw: string): string {
  return splitFirstQuotedWord(raw).word;
}

/** The first word as firstQuotedWord reads it, and the rest of the line after it. */
export function splitFirstQuotedWord(raw: string): { word: string; rest: string } {
  let i = 0;
  while (i < raw.length && /\s/.test(raw[i])) i++;
  let out = '';
  while (i < raw.length && !/\s/.test(raw[i])) {
    const q = raw[i];
    if (q === '"' || q === "'") {
      const end = raw.indexOf(q, i + 1);
      if (end < 0) {
        out += raw.slice(i + 1);
        i = raw.length;
        break;
      }
      out += raw.slice(i + 1, end);
      i = end + 1;
    } else {
      out += q;
      i++;
    }
  }
  return { word: out, rest: raw.slice(i) };
}

/** The program of a command string: its first blank-separated word (`\ ` keeps a blank). */
export function programOf(command: string): string {
  const m = /^\s*((?:\\.|[^\s\\])+)/.exec(command);
  return m ? m[1].replace(/\\(.)/g, '$1') : '';
}

/** Every script configured in the tree, in file order. */
export function collectScripts(tree: ConfigTree, removed: ReadonlySet<string> = new Set()): ConfiguredScript[] {
  const out: ConfiguredScript[] = [];
  const walk = (stmts: readonly Statement[], parent: string | undefined): void => {
    for (const s of stmts) {
      if (s.keyword === 'vrrp_script' && removed.has(s.args[0]?.text ?? '')) continue;
      if (parent !== undefined && SCRIPT_KEYWORDS[parent]?.includes(s.keyword)) {
        const { word: command, rest } = splitFirstQuotedWord(s.raw);
        const user = s.keyword === 'script' || s.keyword === 'misc_path' ? undefined : /^\s*([^\s:]+)/.exec(rest)?.[1];
        if (command.length > 0) {
          out.push({ keyword: s.keyword, command, program: programOf(command), checker: CHECKER_PARENTS.has(parent), loc: s.loc, ...(user ? { user } : {}) });
        }
      }
      if (s.block) walk(s.block, s.keyword);
    }
  };
  walk(tree.statements, undefined);
  return out;
}

/** True when the tree's global_defs contains enable_script_security. */
export function scriptSecurityEnabled(tree: ConfigTree): boolean {
  return tree.statements.some((s) => s.keyword === 'global_defs' && (s.block ?? []).some((g) => g.keyword === 'enable_script_security'));
}

function existsPath(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Resolves a program like execvp: a name with '/' is a path, a bare name is searched in PATH. */
export function resolveProgram(program: string, pathEnv: string | undefined): string | undefined {
  if (program.length === 0) return undefined;
  if (program.includes('/')) return isExecutableFile(program) ? program : undefined;
  for (const dir of (pathEnv ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter)) {
    if (dir.length === 0) continue;
    const p = join(dir, program);
    if (isExecutableFile(p)) return p;
  }
  return undefined;
}

/**
 * The script-security diagnostics for a config: at most one for VRRP-side scripts and one for
 * checker scripts (keepalived prints one line per process), located at the first such script.
 */
export function checkScriptSecurity(
  tree: ConfigTree,
  pathEnv: string | undefined = process.env.PATH,
  removed: ReadonlySet<string> = new Set(),
  /** Whether a notify script can run as its user (keepalived drops it silently when not). */
  userOk: (s: ConfiguredScript) => boolean = () => true,
): Diagnostic[] {
  if (scriptSecurityEnabled(tree)) return [];
  // A script counts when its file exists, executable or not (observed: keepalived -t reports
  // the violation for a mode 644 notify script, not for a missing one).
  const live = collectScripts(tree, removed).filter((s) => userOk(s) && (s.program.includes('/') ? existsPath(s.program) : resolveProgram(s.program, pathEnv) !== undefined));
  const out: Diagnostic[] = [];
  for (const checker of [false, true]) {
    const first = live.find((s) => s.checker === checker);
    if (!first) continue;
    const count = live.filter((s) => s.checker === checker).length;
    out.push({
      severity: 'error',
      code: 'script-security',
      message: `SECURITY VIOLATION - ${checker ? 'check scripts' : 'scripts'} are being executed but script_security not enabled.`,
      loc: first.loc,
      text: first.command,
      hint: `${count} script${count === 1 ? '' : 's'}, first: ${first.keyword} '${first.program}'; add 'enable_script_security' to global_defs`,
    });
  }
  return out;
}

/**
 * keepalived -t warns "Disabling track script NAME since not found/accessible" (and exits 5)
 * for every vrrp_script whose program is not an executable file; instances tracking it then
 * run as if it were not configured. Notify and checker scripts are not checked by -t. This
 * depends on the host the check runs on, so it is a warning with its own code.
 */
export function checkTrackScripts(tree: ConfigTree, pathEnv: string | undefined = process.env.PATH, removed: ReadonlySet<string> = new Set()): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const block of tree.statements) {
    if (block.keyword !== 'vrrp_script' || !block.block) continue;
    const name = block.args[0]?.text ?? '';
    if (removed.has(name)) continue;
    for (const s of block.block) {
      if (s.keyword !== 'script') continue;
      const command = firstQuotedWord(s.raw);
      const program = programOf(command);
      // `</path` is bash's file test, which keepalived runs through the shell (SC_SYSTEM).
      if (program.length === 0 || command.startsWith('<')) continue;
      // A path that exists is "found/accessible" to keepalived -t even when it is not
      // executable (observed: a mode 644 script draws no -t line; the daemon disables it when
      // it starts, with its own message).
      if (program.includes('/') ? existsPath(program) : resolveProgram(program, pathEnv) !== undefined) continue;
      out.push({
        severity: 'warning',
        code: 'script-not-found',
        message: `Disabling track script ${name} since not found/accessible`,
        loc: s.loc,
        text: command,
        hint: program.includes('/') ? `'${program}' does not exist on this host` : `'${program}' is not found in PATH on this host`,
      });
    }
  }
  return out;
}
