// Script resolution and security checks (keepalived-behaviour.md 4.4), as keepalived 2.2.7 does
// them at startup for every vrrp_script, notify script, fifo script and checker script.
//
// The checks are pure functions over an injected view of the file system and user database
// (`SecurityFs`, `UserDb`); `nodeSecurityFs` / `nodeUserDb` are the real implementations.
//
// Per script, in order:
//   1. `</path` (bash file test) is accepted as is and run through the shell.
//   2. A bare name is searched in PATH (warning: specify the full path).
//   3. realpath() as the target user (unless use_symlink_paths keeps the given path for exec).
//   4. Must be a regular file executable by the target uid/gid, else disabled.
//   5. If it will run as uid 0 or gid 0 (or is setuid root / setgid root), every component of
//      the path that will be exec'd must be owned by root and, unless it is a sticky directory,
//      not writable by others nor by a non-root group. Violation = insecure: disabled with
//      enable_script_security, else it runs and the config is flagged (SECURITY VIOLATION).
// Observed wording of keepalived 2.2.7 is kept in the messages (codes are ours and stable).
//
// This is the only script-security module: `configuredScripts` is the one list of where scripts
// are configured, `prepareConfiguredScript` the one per-script start-up check, and
// `securityViolations` / `missingTrackScripts` the summary lines; `-t` (cli/config-test.ts)
// and the daemon (core/daemon.ts) both call these, so they cannot disagree.
import { accessSync, constants, lstatSync, readFileSync, realpathSync, statSync, openSync, readSync, closeSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { KeepalivedConfig, ScriptSpec } from '../config/model.js';
import type { Diagnostic, SourceLoc } from '../lib/diagnostics.js';
import type { ExecMode } from './process-runner.js';
import type { PreparedScript } from './process-runner.js';

// ---------------------------------------------------------------------------------------------
// Injected views

export interface FileInfo {
  readonly uid: number;
  readonly gid: number;
  /** Full st_mode: type bits and permission bits. */
  readonly mode: number;
}

export type Fallible<T> = T | { readonly errno: string };

export interface SecurityFs {
  stat(path: string): Fallible<FileInfo>;
  lstat(path: string): Fallible<FileInfo>;
  realpath(path: string): Fallible<string>;
  /** First bytes of a file (to tell `#!` scripts and binaries from plain text). */
  head(path: string, n: number): Fallible<Uint8Array>;
}

export interface UserEntry {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

export interface UserDb {
  userByName(name: string): UserEntry | undefined;
  /** Accepts a name or a decimal gid. */
  groupByName(name: string): number | undefined;
  /** Supplementary groups of a user (group file membership), for access checks. */
  groupsOf(user: string): number[];
}

export function failed<T>(v: Fallible<T>): v is { readonly errno: string } {
  return typeof v === 'object' && v !== null && 'errno' in v;
}

// st_mode bits (POSIX)
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const S_ISUID = 0o4000;
const S_ISGID = 0o2000;
const S_ISVTX = 0o1000;

const isReg = (m: number) => (m & S_IFMT) === S_IFREG;
const isDir = (m: number) => (m & S_IFMT) === S_IFDIR;
const isLnk = (m: number) => (m & S_IFMT) === S_IFLNK;

// ---------------------------------------------------------------------------------------------
// Findings

export type ScriptFindingCode =
  | 'script-path-search' // bare name resolved through PATH (warning)
  | 'script-not-in-path' // bare name not found in PATH
  | 'script-path-permission' // bare name found but not accessible
  | 'script-not-found' // realpath/stat failed
  | 'script-not-executable'
  | 'script-insecure' // unsafe permissions on a path component
  | 'script-user-unknown' // `user X` / script_user X does not exist
  | 'script-default-user-missing' // keepalived_script absent and enable_script_security set
  | 'script-default-user-absent' // keepalived_script absent: running as root (warning)
  | 'script-security-disabled'; // SECURITY VIOLATION summary (config test exit 6)

export interface ScriptFinding {
  readonly severity: 'error' | 'warning' | 'info';
  readonly code: ScriptFindingCode;
  readonly message: string;
  /** vrrp_script name or the notify keyword the script belongs to. */
  readonly script?: string;
  readonly loc?: SourceLoc;
}

// ---------------------------------------------------------------------------------------------
// Command splitting

/**
 * Splits a script command line the way keepalived does (observed on 2.2.7):
 * `a 'b c' "d e" f\ g h'i'j` -> [a, b c, d e, f g, hij]. Single quotes are literal, double
 * quotes allow backslash escapes, a backslash outside quotes escapes the next character and
 * adjacent pieces join into one word.
 */
export function splitCommand(cmd: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let i = 0;
  while (i < cmd.length) {
    const c = cmd[i]!;
    if (c === ' ' || c === '\t') {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
      i++;
      continue;
    }
    inWord = true;
    if (c === "'") {
      const end = cmd.indexOf("'", i + 1);
      const stop = end < 0 ? cmd.length : end;
      cur += cmd.slice(i + 1, stop);
      i = stop + 1;
    } else if (c === '"') {
      i++;
      while (i < cmd.length && cmd[i] !== '"') {
        if (cmd[i] === '\\' && i + 1 < cmd.length && (cmd[i + 1] === '"' || cmd[i + 1] === '\\')) i++;
        cur += cmd[i];
        i++;
      }
      i++;
    } else if (c === '\\' && i + 1 < cmd.length) {
      cur += cmd[i + 1];
      i += 2;
    } else {
      cur += c;
      i++;
    }
  }
  if (inWord) out.push(cur);
  return out;
}

/** `</path` (optional blanks after `<`): a file-readability test run by the shell. */
export function isFileTest(argv0: string): boolean {
  return /^<[ \t]*\//.test(argv0);
}

// ---------------------------------------------------------------------------------------------
// Users

export interface UserSpec {
  readonly user: string;
  readonly group?: string;
}

export interface ResolvedUser {
  readonly uid: number;
  readonly gid: number;
  /** Supplementary groups of the user (for the executable check). */
  readonly groups: readonly number[];
}

export type UserResolution =
  | { readonly ok: true; readonly user: ResolvedUser; readonly findings: ScriptFinding[] }
  | { readonly ok: false; readonly findings: ScriptFinding[] };

/**
 * Resolves `user USER [GROUP]` (a per-script override) or the default script user:
 * `script_user`, else `keepalived_script` if it exists, else the uid we run as (root).
 */
export function resolveScriptUser(
  perScript: UserSpec | undefined,
  global: { scriptUser?: UserSpec; enableScriptSecurity: boolean; runningAs?: ResolvedUser },
  db: UserDb,
  where: { script?: string; loc?: SourceLoc } = {},
): UserResolution {
  const spec = perScript ?? global.scriptUser;
  if (spec) {
    const u = lookupUser(spec.user, db);
    if (!u) {
      return {
        ok: false,
        findings: [{ severity: 'error', code: 'script-user-unknown', message: `Script user '${spec.user}' does not exist`, ...where }],
      };
    }
    let gid = u.gid;
    if (spec.group !== undefined) {
      const g = db.groupByName(spec.group);
      if (g === undefined) {
        return {
          ok: false,
          findings: [{ severity: 'error', code: 'script-user-unknown', message: `Script group '${spec.group}' does not exist`, ...where }],
        };
      }
      gid = g;
    }
    return { ok: true, user: { uid: u.uid, gid, groups: db.groupsOf(u.name) }, findings: [] };
  }
  const ks = db.userByName('keepalived_script');
  if (ks) return { ok: true, user: { uid: ks.uid, gid: ks.gid, groups: db.groupsOf(ks.name) }, findings: [] };
  if (global.enableScriptSecurity) {
    return {
      ok: false,
      findings: [
        { severity: 'error', code: 'script-default-user-missing', message: 'Unable to set default user keepalived_script for script', ...where },
      ],
    };
  }
  return {
    ok: true,
    user: global.runningAs ?? { uid: 0, gid: 0, groups: [] },
    findings: [{ severity: 'warning', code: 'script-default-user-absent', message: "Script user 'keepalived_script' does not exist" }],
  };
}

function lookupUser(name: string, db: UserDb): UserEntry | undefined {
  const byName = db.userByName(name);
  if (byName) return byName;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// One script

export interface ScriptInput {
  /** vrrp_script name or keyword (`notify_master` ...), for messages. */
  readonly name: string;
  /** The command as configured (split with splitCommand) or already split. */
  readonly command: string | readonly string[];
  readonly user: ResolvedUser;
  readonly loc?: SourceLoc;
}

export interface SecurityContext {
  readonly enableScriptSecurity: boolean;
  /** PATH used for bare names. */
  readonly path: string;
}

export type ScriptVerdict =
  | {
      /** 'ok', or 'insecure' = unsafe but allowed to run because script security is off. */
      readonly status: 'ok' | 'insecure';
      readonly name: string;
      readonly script: PreparedScript;
      readonly findings: ScriptFinding[];
    }
  | {
      readonly status: 'disabled';
      readonly name: string;
      readonly reason: 'not-found' | 'not-executable' | 'insecure' | 'no-user';
      readonly findings: ScriptFinding[];
    };

export function checkScript(input: ScriptInput, ctx: SecurityContext, fs: SecurityFs): ScriptVerdict {
  const argv = typeof input.command === 'string' ? splitCommand(input.command) : [...input.command];
  const where = { script: input.name, ...(input.loc ? { loc: input.loc } : {}) };
  const findings: ScriptFinding[] = [];
  const { uid, gid } = input.user;
  const withIds = (a: string[], mode: ExecMode): PreparedScript => ({ argv: a, mode, uid, gid });
  const disabled = (reason: 'not-found' | 'not-executable' | 'insecure', f: ScriptFinding): ScriptVerdict => {
    findings.push(f);
    return { status: 'disabled', name: input.name, reason, findings };
  };

  const first = argv[0];
  if (first === undefined || first === '') {
    return disabled('not-found', { severity: 'error', code: 'script-not-found', message: `Script ${input.name} is empty - disabling`, ...where });
  }
  if (isFileTest(first)) {
    // keepalived: SC_SYSTEM, run by the shell, no path checks.
    return { status: 'ok', name: input.name, script: withIds([argv.join(' ')], 'shellRaw'), findings };
  }

  let given = first;
  if (!first.includes('/')) {
    const found = searchPath(first, ctx.path, input.user, fs);
    if (found.kind === 'none') {
      return disabled('not-found', { severity: 'error', code: 'script-not-in-path', message: `Cannot find script ${first} in path - disabling`, ...where });
    }
    if (found.kind === 'denied') {
      return disabled('not-found', { severity: 'error', code: 'script-path-permission', message: `Permissions failure for ${first} - disabling`, ...where });
    }
    given = found.path;
    findings.push({
      severity: 'warning',
      code: 'script-path-search',
      message: `WARNING - script \`${first}\` resolved by path search to \`${given}\`. Please specify full path.`,
      ...where,
    });
  }

  const real = fs.realpath(given);
  if (failed(real)) {
    return disabled('not-found', { severity: 'error', code: 'script-not-found', message: `Script ${given} cannot be accessed - ${strerror(real.errno)}`, ...where });
  }
  // realpath succeeded as root; the target user must also be able to walk the path.
  const walk = searchable(real, input.user, fs);
  if (walk !== undefined) {
    return disabled('not-found', { severity: 'error', code: 'script-not-found', message: `Script ${given} cannot be accessed - ${strerror(walk)}`, ...where });
  }
  const st = fs.stat(real);
  if (failed(st)) {
    return disabled('not-found', { severity: 'error', code: 'script-not-found', message: `Script ${given} cannot be accessed - ${strerror(st.errno)}`, ...where });
  }
  const execPath = symlinkAlias(given, real, fs);
  if (!isReg(st.mode) || !mayExecute(st, input.user)) {
    return disabled('not-executable', {
      severity: 'error',
      code: 'script-not-executable',
      message: `WARNING - script '${execPath}' is not executable for uid:gid ${uid}:${gid} - disabling.`,
      ...where,
    });
  }

  const mode = execMode(fs.head(real, 4));
  const script = withIds([execPath, ...argv.slice(1)], mode);

  const privileged = uid === 0 || gid === 0 || (st.mode & S_ISUID && st.uid === 0) || (st.mode & S_ISGID && st.gid === 0);
  if (privileged) {
    const paths = execPath === real ? [real] : [execPath, real];
    const unsafe = paths.some((p) => !pathIsSecure(p, fs));
    if (unsafe) {
      if (ctx.enableScriptSecurity) {
        return disabled('insecure', {
          severity: 'error',
          code: 'script-insecure',
          message: `Unsafe permissions found for script '${execPath}' - disabling.`,
          ...where,
        });
      }
      findings.push({ severity: 'warning', code: 'script-insecure', message: `Unsafe permissions found for script '${execPath}'.`, ...where });
      return { status: 'insecure', name: input.name, script, findings };
    }
  }
  return { status: 'ok', name: input.name, script, findings };
}

/**
 * What keepalived 2.2.7 executes when use_symlink_paths is off (observed): the real path,
 * except when the last symlink changed the file name and an entry with the original name
 * exists in the real directory, which is then used (so a script called through a link keeps
 * its `$0`), and checked like every other component: a link owned by a non-root user there
 * makes the script insecure. A link in another directory is not looked at.
 */
function symlinkAlias(given: string, real: string, fs: SecurityFs): string {
  const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);
  if (base(given) === base(real)) return real;
  const dir = real.slice(0, real.lastIndexOf('/'));
  const alias = `${dir}/${base(given)}`;
  return failed(fs.lstat(alias)) ? real : alias;
}

/** Binaries (ELF) and `#!` scripts are exec'd; other files go through /bin/sh (keepalived). */
function execMode(head: Fallible<Uint8Array>): ExecMode {
  if (failed(head)) return 'exec';
  if (head[0] === 0x23 && head[1] === 0x21) return 'exec'; // "#!"
  if (head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46) return 'exec'; // ELF
  return 'shellQuoted';
}

function mayExecute(st: FileInfo, u: ResolvedUser): boolean {
  if (u.uid === 0) return (st.mode & 0o111) !== 0;
  if (st.uid === u.uid) return (st.mode & 0o100) !== 0;
  if (st.gid === u.gid || u.groups.includes(st.gid)) return (st.mode & 0o010) !== 0;
  return (st.mode & 0o001) !== 0;
}

/** errno when the user cannot search one of the directories leading to `real`. */
function searchable(real: string, u: ResolvedUser, fs: SecurityFs): string | undefined {
  if (u.uid === 0) return undefined;
  for (const dir of prefixes(real).slice(0, -1)) {
    const st = fs.stat(dir);
    if (failed(st)) return st.errno;
    if (!mayExecute(st, u)) return 'EACCES';
  }
  return undefined;
}

function searchPath(name: string, path: string, u: ResolvedUser, fs: SecurityFs): { kind: 'found'; path: string } | { kind: 'none' } | { kind: 'denied' } {
  let denied = false;
  for (const dir of path.split(':')) {
    const candidate = `${dir === '' ? '.' : dir.replace(/\/+$/, '')}/${name}`;
    const st = fs.stat(candidate);
    if (failed(st)) {
      if (st.errno === 'EACCES') denied = true;
      continue;
    }
    if (!isReg(st.mode)) continue;
    if (!mayExecute(st, u)) {
      denied = true;
      continue;
    }
    return { kind: 'found', path: candidate };
  }
  return denied ? { kind: 'denied' } : { kind: 'none' };
}

/** `/a/b/c` -> [`/`, `/a`, `/a/b`, `/a/b/c`] (the path is normalised: no `.`, `..` or `//`). */
export function prefixes(p: string): string[] {
  const parts = p.split('/').filter((s) => s !== '' && s !== '.');
  const out = ['/'];
  let cur = '';
  for (const part of parts) {
    cur += `/${part}`;
    out.push(cur);
  }
  return out;
}

/**
 * Every component owned by root; files and non-sticky directories not writable by others nor
 * by a non-root group. Symlinks are judged by their owner only (their mode is always 0777).
 */
export function pathIsSecure(p: string, fs: SecurityFs): boolean {
  for (const comp of prefixes(p)) {
    const st = fs.lstat(comp);
    if (failed(st)) return false;
    if (st.uid !== 0) return false;
    if (isLnk(st.mode)) continue;
    const writable = (st.mode & 0o002) !== 0 || ((st.mode & 0o020) !== 0 && st.gid !== 0);
    if (writable && !(isDir(st.mode) && (st.mode & S_ISVTX) !== 0)) return false;
  }
  return true;
}

const STRERROR: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  ENOTDIR: 'Not a directory',
  ELOOP: 'Too many levels of symbolic links',
  ENAMETOOLONG: 'File name too long',
};
function strerror(errno: string): string {
  return STRERROR[errno] ?? errno;
}

// ---------------------------------------------------------------------------------------------
// All scripts of a config

export interface SecurityReport {
  readonly verdicts: ScriptVerdict[];
  /** All findings, the SECURITY VIOLATION summary last. */
  readonly findings: ScriptFinding[];
  /** keepalived's CONFIG_SECURITY_ERROR: `-t` exits 6. */
  readonly securityError: boolean;
}

/**
 * Checks every configured script. Without enable_script_security, the mere presence of a
 * script is a SECURITY VIOLATION (observed: `keepalived -t` exits 6 even when every script is
 * safe); the message gains "There are insecure scripts." when one is unsafe.
 */
export function checkScripts(inputs: readonly ScriptInput[], ctx: SecurityContext, fs: SecurityFs): SecurityReport {
  const verdicts = inputs.map((i) => checkScript(i, ctx, fs));
  const findings = verdicts.flatMap((v) => v.findings);
  let securityError = false;
  if (!ctx.enableScriptSecurity && inputs.length > 0) {
    securityError = true;
    const insecure = verdicts.some((v) => v.status === 'insecure');
    findings.push({
      severity: 'error',
      code: 'script-security-disabled',
      message: `SECURITY VIOLATION - scripts are being executed but script_security not enabled.${insecure ? ' There are insecure scripts.' : ''}`,
    });
  }
  return { verdicts, findings, securityError };
}

// ---------------------------------------------------------------------------------------------
// Real implementations

function wrap<T>(f: () => T): Fallible<T> {
  try {
    return f();
  } catch (e) {
    const c = (e as { code?: unknown } | null)?.code;
    return { errno: typeof c === 'string' ? c : 'EUNKNOWN' };
  }
}

const info = (s: { uid: number; gid: number; mode: number }): FileInfo => ({ uid: s.uid, gid: s.gid, mode: s.mode });

export const nodeSecurityFs: SecurityFs = {
  stat: (p) => wrap(() => info(statSync(p))),
  lstat: (p) => wrap(() => info(lstatSync(p))),
  realpath: (p) => wrap(() => realpathSync.native(p)),
  head: (p, n) =>
    wrap(() => {
      const fd = openSync(p, 'r');
      try {
        const b = Buffer.alloc(n);
        const got = readSync(fd, b, 0, n, 0);
        return b.subarray(0, got);
      } finally {
        closeSync(fd);
      }
    }),
};

/** passwd(5) / group(5) text -> UserDb (pure, for tests and for nodeUserDb). */
export function parseUserDb(passwd: string, group: string): UserDb {
  const users = new Map<string, UserEntry>();
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    if (f.length < 4 || line.startsWith('#')) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (Number.isInteger(uid) && Number.isInteger(gid)) users.set(f[0]!, { name: f[0]!, uid, gid });
  }
  const groups = new Map<string, number>();
  const members = new Map<string, number[]>();
  for (const line of group.split('\n')) {
    const f = line.split(':');
    if (f.length < 3 || line.startsWith('#')) continue;
    const gid = Number(f[2]);
    if (!Number.isInteger(gid)) continue;
    groups.set(f[0]!, gid);
    for (const m of (f[3] ?? '').split(',').filter(Boolean)) members.set(m, [...(members.get(m) ?? []), gid]);
  }
  return {
    userByName: (n) => users.get(n),
    groupByName: (n) => groups.get(n) ?? (/^\d+$/.test(n) ? Number(n) : undefined),
    groupsOf: (n) => members.get(n) ?? [],
  };
}

/** Reads /etc/passwd and /etc/group afresh on each call (users may be created at any time). */
export function nodeUserDb(passwdPath = '/etc/passwd', groupPath = '/etc/group'): UserDb {
  const load = () => parseUserDb(readOr(passwdPath), readOr(groupPath));
  return {
    userByName: (n) => load().userByName(n),
    groupByName: (n) => load().groupByName(n),
    groupsOf: (n) => load().groupsOf(n),
  };
}

function readOr(p: string): string {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------------------------------------
// The scripts of a model, and the start-up checks both `-t` and the daemon run on them

/** The PATH used for bare script names when the environment has none. */
export const DEFAULT_SCRIPT_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

/** One script configured somewhere in the model. */
export interface ConfiguredScript {
  /** For log lines: `vrrp_script chk`, `VI_1 notify_master`, `G notify` ... */
  readonly name: string;
  /** The keyword it was configured with (`script`, `notify_master`, `misc_path` ...). */
  readonly keyword: string;
  readonly spec: ScriptSpec;
  /** Run by the checker process (virtual_server / real_server / MISC_CHECK scripts). */
  readonly checker: boolean;
  /** The vrrp_script's name, for `script` lines. */
  readonly vrrpScript?: string;
  /** The user it runs as when the config names one: the words after a notify command, or a vrrp_script's `user` line. */
  readonly user?: UserSpec;
}

/**
 * Every script the model configures, VRRP side first (vrrp_scripts, instances, sync groups),
 * then the checker side. This is the one list of script keywords.
 */
export function configuredScripts(model: KeepalivedConfig): ConfiguredScript[] {
  const out: ConfiguredScript[] = [];
  const own = (spec: ScriptSpec): UserSpec | undefined => (spec.user !== undefined ? { user: spec.user, ...(spec.group !== undefined ? { group: spec.group } : {}) } : undefined);
  const add = (name: string, keyword: string, spec: ScriptSpec | undefined, checker: boolean, user?: UserSpec, vrrpScript?: string): void => {
    if (!spec) return;
    out.push({ name, keyword, spec, checker, ...(user ? { user } : {}), ...(vrrpScript !== undefined ? { vrrpScript } : {}) });
  };
  for (const vs of model.vrrpScripts) add(`vrrp_script ${vs.name}`, 'script', vs.script, false, vs.user, vs.name);
  for (const vi of model.vrrpInstances) {
    const n = (k: string, spec: ScriptSpec | undefined) => add(`${vi.name} ${k}`, k, spec, false, spec && own(spec));
    n('notify_master', vi.notifyMaster);
    n('notify_backup', vi.notifyBackup);
    n('notify_fault', vi.notifyFault);
    n('notify_stop', vi.notifyStop);
    n('notify_deleted', vi.notifyDeleted);
    n('notify_master_rx_lower_pri', vi.notifyMasterRxLowerPri);
    n('notify', vi.notify);
  }
  for (const sg of model.vrrpSyncGroups) {
    const n = (k: string, spec: ScriptSpec | undefined) => add(`${sg.name} ${k}`, k, spec, false, spec && own(spec));
    n('notify_master', sg.notifyMaster);
    n('notify_backup', sg.notifyBackup);
    n('notify_fault', sg.notifyFault);
    n('notify_stop', sg.notifyStop);
    n('notify', sg.notify);
  }
  for (const v of model.virtualServers) {
    add('virtual_server quorum_up', 'quorum_up', v.quorumUp, true, v.quorumUp && own(v.quorumUp));
    add('virtual_server quorum_down', 'quorum_down', v.quorumDown, true, v.quorumDown && own(v.quorumDown));
    for (const rs of v.realServers) {
      add('real_server notify_up', 'notify_up', rs.notifyUp, true, rs.notifyUp && own(rs.notifyUp));
      add('real_server notify_down', 'notify_down', rs.notifyDown, true, rs.notifyDown && own(rs.notifyDown));
      // MISC_CHECK's user is its own `user` keyword (check_misc.c misc_user_handler).
      for (const c of rs.checkers) if (c.kind === 'MISC_CHECK') add('MISC_CHECK misc_path', 'misc_path', c.miscPath, true, c.user ?? (c.miscPath && own(c.miscPath)));
    }
  }
  return out;
}

/** The global settings the per-script check reads. */
export interface ScriptGlobals {
  readonly scriptUser?: UserSpec;
  readonly enableScriptSecurity: boolean;
}

export type PreparedVerdict =
  | { readonly ok: true; readonly script: PreparedScript; readonly insecure: boolean; readonly findings: ScriptFinding[] }
  | { readonly ok: false; readonly reason: 'not-found' | 'not-executable' | 'insecure' | 'no-user'; readonly findings: ScriptFinding[] };

/**
 * The start-up check of one configured script: its user (own, script_user, keepalived_script
 * or root), then checkScript. What the daemon runs and what `-t` judges come from here.
 */
export function prepareConfiguredScript(
  s: ConfiguredScript,
  g: ScriptGlobals,
  env: { readonly db: UserDb; readonly fs: SecurityFs; readonly path: string | undefined },
): PreparedVerdict {
  const who = resolveScriptUser(s.user, { ...(g.scriptUser ? { scriptUser: g.scriptUser } : {}), enableScriptSecurity: g.enableScriptSecurity }, env.db, { script: s.name });
  if (!who.ok) return { ok: false, reason: 'no-user', findings: who.findings };
  // keepalived 2.2.7 has no use_symlink_paths keyword in our model: the resolved path is exec'd.
  const verdict = checkScript({ name: s.name, command: s.spec.argv, user: who.user }, { enableScriptSecurity: g.enableScriptSecurity, path: env.path ?? DEFAULT_SCRIPT_PATH }, env.fs);
  if (verdict.status === 'disabled') return { ok: false, reason: verdict.reason, findings: verdict.findings };
  return { ok: true, script: verdict.script, insecure: verdict.status === 'insecure', findings: verdict.findings };
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

/** The program of a command string: its first blank-separated word (`\ ` keeps a blank). */
export function programOf(command: string): string {
  const m = /^\s*((?:\\.|[^\s\\])+)/.exec(command);
  return m ? m[1]!.replace(/\\(.)/g, '$1') : '';
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
 * Whether keepalived finds the script's file: a path that exists (executable or not: a mode
 * 644 script is found, and disabled later as not executable), or a bare name in PATH.
 */
export function scriptFound(s: ConfiguredScript, pathEnv: string | undefined): boolean {
  const program = programOf(s.spec.cmd);
  return program.includes('/') ? existsPath(program) : resolveProgram(program, pathEnv) !== undefined;
}

/**
 * keepalived's "SECURITY VIOLATION" lines: without enable_script_security, one for the VRRP
 * side and one for the checker side when at least one of its scripts is found (observed:
 * a missing script does not count, one that exists without x bits does). `scripts` is in file
 * order; the line is located at the first counted script. With `insecure`, the VRRP line gains
 * keepalived's "There are insecure scripts.".
 */
export function securityViolations(
  scripts: readonly ConfiguredScript[],
  enableScriptSecurity: boolean,
  pathEnv: string | undefined,
  opts: { readonly counts?: (s: ConfiguredScript) => boolean; readonly insecure?: boolean } = {},
): Diagnostic[] {
  if (enableScriptSecurity) return [];
  const live = scripts.filter((s) => (opts.counts?.(s) ?? true) && scriptFound(s, pathEnv));
  const out: Diagnostic[] = [];
  for (const checker of [false, true]) {
    const mine = live.filter((s) => s.checker === checker);
    const first = mine[0];
    if (!first) continue;
    const tail = !checker && opts.insecure ? ' There are insecure scripts.' : '';
    out.push({
      severity: 'error',
      code: 'script-security',
      message: `SECURITY VIOLATION - ${checker ? 'check scripts' : 'scripts'} are being executed but script_security not enabled.${tail}`,
      loc: first.spec.loc,
      text: first.spec.cmd,
      hint: `${mine.length} script${mine.length === 1 ? '' : 's'}, first: ${first.keyword} '${programOf(first.spec.cmd)}'; add 'enable_script_security' to global_defs`,
    });
  }
  return out;
}

/**
 * "Disabling track script NAME since not found/accessible" for every vrrp_script whose program
 * keepalived cannot find (a `</path` file test always runs). Host-dependent: a warning.
 */
export function missingTrackScripts(scripts: readonly ConfiguredScript[], pathEnv: string | undefined): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const s of scripts) {
    if (s.vrrpScript === undefined) continue;
    const program = programOf(s.spec.cmd);
    if (program.length === 0 || s.spec.cmd.startsWith('<') || scriptFound(s, pathEnv)) continue;
    out.push({
      severity: 'warning',
      code: 'script-not-found',
      message: `Disabling track script ${s.vrrpScript} since not found/accessible`,
      loc: s.spec.loc,
      text: s.spec.cmd,
      hint: program.includes('/') ? `'${program}' does not exist on this host` : `'${program}' is not found in PATH on this host`,
    });
  }
  return out;
}
