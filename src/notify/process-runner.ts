// Running external programs (DESIGN.md seam 5): notify scripts, vrrp_script checks, FIFO
// reader scripts. keepalived's rules (keepalived-behaviour.md 4.2) are followed:
//   * each program runs in its own process group, so a timeout or a stop can kill everything
//     it started (`kill(-pgid, ...)`);
//   * uid/gid (and optionally supplementary groups) of the configured script user;
//   * environment = ours minus IFS, LD_PRELOAD, LD_LIBRARY_PATH;
//   * stdin is /dev/null, descriptors above 2 are not inherited;
//   * files without `#!` run through `/bin/sh -c` with every argument single-quoted, and the
//     bash file-test form `</path` runs through the shell as written.
// The runner never throws and never blocks the event loop: every outcome is a ProcessResult.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, openSync, readdirSync, readFileSync } from 'node:fs';
import type { Ms } from '../lib/units.js';

/** How the argv is turned into an exec. */
export type ExecMode =
  /** execve(argv[0], argv): the file is a binary or has a `#!` line. */
  | 'exec'
  /** `/bin/sh -c "'argv0' 'arg1' ..."`: a text file without `#!` (keepalived uses system()). */
  | 'shellQuoted'
  /** `/bin/sh -c "argv0"` with argv0 used verbatim: the `</path` file test form. */
  | 'shellRaw';

export interface RunSpec {
  readonly argv: readonly string[];
  readonly mode?: ExecMode;
  /** Target uid/gid; omitted = ours. */
  readonly uid?: number;
  readonly gid?: number;
  /**
   * Supplementary groups. Omitted: with a uid/gid switch Node (libuv) clears them; without a
   * switch ours are kept. Given: exactly these are set (through setpriv(1)).
   */
  readonly groups?: readonly number[];
  /** Kill the process group after this long; omitted or 0 = no timeout. */
  readonly timeoutMs?: Ms;
  /** After SIGTERM on timeout/kill, SIGKILL the group this much later. Default 2000 ms. */
  readonly killGraceMs?: Ms;
  /** Where stdout/stderr go; default 'ignore' (/dev/null), like a daemonised keepalived. */
  readonly output?: 'ignore' | 'inherit';
  readonly cwd?: string;
  /** Used in logs only. */
  readonly label?: string;
}

/** A script that passed the security check, ready to run (see script-security.ts). */
export type PreparedScript = Omit<RunSpec, 'timeoutMs' | 'killGraceMs' | 'label'>;

export type ProcessResult =
  | { readonly kind: 'exited'; readonly code: number }
  | { readonly kind: 'signaled'; readonly signal: string }
  /** Killed by us because `timeoutMs` passed. */
  | { readonly kind: 'timeout' }
  /** The program could not be started (errno code, e.g. ENOENT, EACCES). */
  | { readonly kind: 'spawnError'; readonly code: string };

export interface RunningProcess {
  /** Process id (= process group id); undefined when the spawn failed. */
  readonly pid: number | undefined;
  readonly result: Promise<ProcessResult>;
  /** True until the result has settled. */
  readonly running: boolean;
  /**
   * SIGTERM the whole process group, SIGKILL it `graceMs` later if the leader is still alive.
   * A killed process resolves as `signaled` (or `exited` if it handled the signal).
   */
  terminate(graceMs?: Ms): void;
}

export interface ProcessRunner {
  start(spec: RunSpec): RunningProcess;
}

/** Convenience: start and wait. */
export function runToCompletion(runner: ProcessRunner, spec: RunSpec): Promise<ProcessResult> {
  return runner.start(spec).result;
}

/** keepalived 4.2: the script environment is ours minus these. */
export const FILTERED_ENV = ['IFS', 'LD_PRELOAD', 'LD_LIBRARY_PATH'] as const;

export function scriptEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined || (FILTERED_ENV as readonly string[]).includes(k)) continue;
    out[k] = v;
  }
  return out;
}

/** POSIX shell single quoting: `it's` -> `'it'\''s'`. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The argv actually exec'd for a spec (exported so the rule is unit-testable). */
export function execArgv(spec: RunSpec, setprivPath: string | undefined): { file: string; args: string[] } {
  let argv: string[];
  switch (spec.mode ?? 'exec') {
    case 'exec':
      argv = [...spec.argv];
      break;
    case 'shellQuoted':
      argv = ['/bin/sh', '-c', spec.argv.map(shellQuote).join(' ')];
      break;
    case 'shellRaw':
      argv = ['/bin/sh', '-c', spec.argv.join(' ')];
      break;
  }
  if (spec.groups !== undefined && setprivPath !== undefined) {
    const ids: string[] = [];
    if (spec.gid !== undefined) ids.push(`--regid=${spec.gid}`);
    if (spec.uid !== undefined) ids.push(`--reuid=${spec.uid}`);
    const groups = spec.groups.length === 0 ? ['--clear-groups'] : [`--groups=${spec.groups.join(',')}`];
    argv = [setprivPath, ...ids, ...groups, '--', ...argv];
  }
  return { file: argv[0] ?? '', args: argv.slice(1) };
}

const DEFAULT_GRACE = 2000 as Ms;

export interface NodeProcessRunnerOptions {
  /** Base environment before filtering; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** setpriv(1) used for supplementary groups; default /usr/bin/setpriv if present. */
  setprivPath?: string;
}

/** The real runner: child_process.spawn, detached (own process group), never throws. */
export class NodeProcessRunner implements ProcessRunner {
  private readonly env: Record<string, string>;
  private readonly setpriv: string | undefined;
  private extraStdio: (number | 'ignore')[] | undefined;

  constructor(opts: NodeProcessRunnerOptions = {}) {
    this.env = scriptEnvironment(opts.env ?? process.env);
    this.setpriv = opts.setprivPath ?? (existsSync('/usr/bin/setpriv') ? '/usr/bin/setpriv' : undefined);
  }

  /**
   * keepalived closes every descriptor above 2 in the child. libuv cannot close them, but every
   * descriptor Node opens is O_CLOEXEC; only those inherited from whoever started us are not.
   * Each of those is overwritten in the child with /dev/null (dup2 closes the original), so a
   * script cannot hold our parent's pipes or sockets open. Computed once: the set cannot grow.
   */
  private stdioTail(): (number | 'ignore')[] {
    if (this.extraStdio) return this.extraStdio;
    const leaked = inheritedDescriptors();
    const tail: (number | 'ignore')[] = [];
    if (leaked.length > 0) {
      let devnull: number | undefined;
      try {
        devnull = openSync('/dev/null', 'r+');
      } catch {
        devnull = undefined;
      }
      if (devnull !== undefined) {
        const max = Math.max(...leaked);
        for (let fd = 3; fd <= max; fd++) tail.push(leaked.includes(fd) ? devnull : 'ignore');
      }
    }
    this.extraStdio = tail;
    return tail;
  }

  start(spec: RunSpec): RunningProcess {
    if (spec.argv.length === 0 || spec.argv[0] === '') {
      return settled({ kind: 'spawnError', code: 'EINVAL' });
    }
    if (spec.groups !== undefined && this.setpriv === undefined) {
      return settled({ kind: 'spawnError', code: 'ENOSETPRIV' });
    }
    const { file, args } = execArgv(spec, this.setpriv);
    const useSetpriv = spec.groups !== undefined;
    const opts: SpawnOptions = {
      // detached: the child calls setsid(), so pid == pgid and kill(-pid) reaches its children.
      detached: true,
      stdio: ['ignore', spec.output ?? 'ignore', spec.output ?? 'ignore', ...this.stdioTail()],
      env: this.env,
      cwd: spec.cwd ?? '/',
      windowsHide: true,
    };
    if (!useSetpriv) {
      if (spec.uid !== undefined) opts.uid = spec.uid;
      if (spec.gid !== undefined) opts.gid = spec.gid;
    }

    let child: ChildProcess;
    try {
      child = spawn(file, args, opts);
    } catch (e) {
      // spawn throws synchronously for bad option values (e.g. EPERM on uid switch in some
      // Node versions, invalid uid type).
      return settled({ kind: 'spawnError', code: errCode(e) });
    }
    return new NodeRunning(child, spec);
  }
}

/** Descriptors above 2 without FD_CLOEXEC (from /proc/self/fdinfo). */
export function inheritedDescriptors(): number[] {
  const O_CLOEXEC = 0o2000000;
  const out: number[] = [];
  let names: string[];
  try {
    names = readdirSync('/proc/self/fdinfo');
  } catch {
    return out;
  }
  for (const n of names) {
    const fd = Number(n);
    if (!Number.isInteger(fd) || fd <= 2) continue;
    try {
      const m = /^flags:\s*([0-7]+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
      if (m && (parseInt(m[1]!, 8) & O_CLOEXEC) === 0) out.push(fd);
    } catch {
      // closed meanwhile (e.g. the directory handle of readdir itself)
    }
  }
  return out.sort((a, b) => a - b);
}

function errCode(e: unknown): string {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : 'EUNKNOWN';
}

function settled(r: ProcessResult): RunningProcess {
  return { pid: undefined, result: Promise.resolve(r), running: false, terminate: () => {} };
}

class NodeRunning implements RunningProcess {
  readonly pid: number | undefined;
  readonly result: Promise<ProcessResult>;
  private done = false;
  private timedOut = false;
  private termTimer: NodeJS.Timeout | undefined;
  private killTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly child: ChildProcess,
    spec: RunSpec,
  ) {
    this.pid = child.pid;
    this.result = new Promise<ProcessResult>((resolve) => {
      const finish = (r: ProcessResult): void => {
        if (this.done) return;
        this.done = true;
        if (this.termTimer) clearTimeout(this.termTimer);
        // The SIGKILL timer is deliberately left armed when a timeout/terminate happened:
        // children of the script that ignored SIGTERM are still in the group and must die too.
        // It is unref'd, so it never holds the process open.
        resolve(r);
      };
      child.once('error', (e) => {
        // 'error' without a pid means the spawn itself failed (ENOENT, EACCES, EPERM ...).
        if (child.pid === undefined) finish({ kind: 'spawnError', code: errCode(e) });
      });
      child.once('exit', (code, signal) => {
        if (this.timedOut) finish({ kind: 'timeout' });
        else if (code !== null) finish({ kind: 'exited', code });
        else finish({ kind: 'signaled', signal: signal ?? 'UNKNOWN' });
      });
    });
    const timeout = spec.timeoutMs ?? 0;
    if (timeout > 0 && this.pid !== undefined) {
      this.termTimer = setTimeout(() => {
        this.timedOut = true;
        this.terminate(spec.killGraceMs ?? DEFAULT_GRACE);
      }, timeout);
      this.termTimer.unref();
    }
  }

  get running(): boolean {
    return !this.done;
  }

  terminate(graceMs: Ms = DEFAULT_GRACE): void {
    const pid = this.pid;
    if (pid === undefined || this.killTimer) return;
    signalGroup(pid, 'SIGTERM');
    this.killTimer = setTimeout(() => {
      // The group id stays reserved while any member lives, so this cannot hit a stranger
      // unless the whole group already died and the number was reused within the grace.
      signalGroup(pid, 'SIGKILL');
    }, graceMs);
    this.killTimer.unref();
  }
}

function signalGroup(pgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pgid, sig);
  } catch {
    // ESRCH: the group is already gone.
  }
}

// ---------------------------------------------------------------------------------------------
// Fake for other modules' tests.

export interface FakeCall {
  readonly spec: RunSpec;
  /** Index in start order. */
  readonly seq: number;
  terminated: boolean;
  /** Settle this call now (for calls left pending). */
  finish(r: ProcessResult): void;
}

/**
 * Records every start() and answers from a script: a queue of results per argv[0], then
 * `decide(spec)`, then `defaultResult` (exit 0 unless told otherwise). 'pending' leaves the call
 * running until `finish()`, `timeout()` or `terminate()` (which settles it as signaled SIGTERM).
 */
export class FakeProcessRunner implements ProcessRunner {
  readonly calls: FakeCall[] = [];
  private readonly queued = new Map<string, (ProcessResult | 'pending')[]>();
  private nextPid = 1000;

  constructor(
    private readonly opts: {
      decide?: (spec: RunSpec) => ProcessResult | 'pending' | undefined;
      defaultResult?: ProcessResult | 'pending';
    } = {},
  ) {}

  /** Scripts the next results for programs whose argv[0] is `program`. */
  enqueue(program: string, ...results: (ProcessResult | 'pending')[]): this {
    const q = this.queued.get(program) ?? [];
    q.push(...results);
    this.queued.set(program, q);
    return this;
  }

  /** Calls still running. */
  get pending(): FakeCall[] {
    return this.calls.filter((c) => !(c as FakeCallImpl).settledFlag);
  }

  /** argv of every call, in start order. */
  get argvs(): string[][] {
    return this.calls.map((c) => [...c.spec.argv]);
  }

  /** Settles a pending call as a timeout (what the real runner does when timeoutMs passes). */
  timeout(call: FakeCall): void {
    call.finish({ kind: 'timeout' });
  }

  start(spec: RunSpec): RunningProcess {
    const q = this.queued.get(spec.argv[0] ?? '');
    const scripted =
      (q && q.length > 0 ? q.shift() : undefined) ??
      this.opts.decide?.(spec) ??
      this.opts.defaultResult ?? { kind: 'exited', code: 0 };
    const call = new FakeCallImpl(spec, this.calls.length);
    this.calls.push(call);
    const pid = this.nextPid++;
    if (scripted !== 'pending') call.finish(scripted);
    return {
      pid,
      result: call.promise,
      get running() {
        return !call.settledFlag;
      },
      terminate: () => {
        call.terminated = true;
        call.finish({ kind: 'signaled', signal: 'SIGTERM' });
      },
    };
  }
}

class FakeCallImpl implements FakeCall {
  terminated = false;
  settledFlag = false;
  readonly promise: Promise<ProcessResult>;
  private resolve!: (r: ProcessResult) => void;
  constructor(
    readonly spec: RunSpec,
    readonly seq: number,
  ) {
    this.promise = new Promise((r) => (this.resolve = r));
  }
  finish(r: ProcessResult): void {
    if (this.settledFlag) return;
    this.settledFlag = true;
    this.resolve(r);
  }
}
