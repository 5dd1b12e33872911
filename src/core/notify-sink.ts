// The one notify dispatcher. It carries out the FSM's notify actions: state-specific scripts and
// the generic `notify` script (prepared and security-checked at start-up, keyed by scriptKey:
// command and user) through the ProcessRunner, FIFO lines to every VRRP FIFO. Fire-and-forget:
// the protocol never waits for a script; running ones are tracked so stop can give them
// keepalived's one second and then kill their process groups.
import type { Logger } from '../lib/log.js';
import type { Ms } from '../lib/units.js';
import type { NotifySink } from '../vrrp/runtime/vrrp-runtime.js';
import type { PreparedScript, ProcessRunner, RunningProcess } from '../notify/process-runner.js';

export interface LineWriter {
  write(line: string): void;
}

export class ScriptNotifySink implements NotifySink {
  private readonly running = new Set<RunningProcess>();
  readonly stats = { started: 0, failed: 0, missing: 0 };

  constructor(
    private readonly runner: ProcessRunner,
    /** scriptKey (command and user, as in the FSM's notify actions) -> prepared script. */
    private scripts: ReadonlyMap<string, PreparedScript>,
    private readonly fifos: readonly LineWriter[],
    private readonly log: Logger,
    private readonly timeoutMs: Ms = 120_000 as Ms,
  ) {}

  /** A reload's notify scripts (checked again): what runs from now on. */
  replaceScripts(scripts: ReadonlyMap<string, PreparedScript>): void {
    this.scripts = scripts;
  }

  script(owner: string, command: string): void {
    this.run(owner, command, []);
  }

  generic(owner: string, command: string, args: readonly string[]): void {
    this.run(owner, command, args);
  }

  fifo(line: string): void {
    for (const f of this.fifos) f.write(line + '\n');
  }

  /** Scripts still running. */
  get runningCount(): number {
    return this.running.size;
  }

  /** Resolves when every script started so far has ended (tests, orderly shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running].map((p) => p.result));
  }

  /** Gives running scripts `graceMs` to finish, then kills their process groups. */
  async drain(graceMs: number): Promise<void> {
    const all = [...this.running];
    if (all.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((r) => (timer = setTimeout(r, graceMs)));
    await Promise.race([Promise.all(all.map((p) => p.result)), late]);
    clearTimeout(timer);
    for (const p of this.running) p.terminate(500 as Ms);
    await Promise.all([...this.running].map((p) => p.result));
  }

  private run(owner: string, command: string, extra: readonly string[]): void {
    const prepared = this.scripts.get(command);
    if (!prepared) {
      // Disabled at start-up (missing, not executable or insecure): already reported then.
      this.stats.missing++;
      return;
    }
    const argv =
      prepared.mode === 'shellRaw' ? [[prepared.argv[0], ...extra].join(' ')] : [...prepared.argv, ...extra];
    const label = `${owner}: ${argv.join(' ')}`;
    const proc = this.runner.start({ ...prepared, argv, timeoutMs: this.timeoutMs, label });
    this.stats.started++;
    this.running.add(proc);
    void proc.result.then((r) => {
      this.running.delete(proc);
      if (r.kind !== 'exited' || r.code !== 0) {
        this.stats.failed++;
        this.log.warn({ owner, script: argv[0], result: r }, 'notify script did not succeed');
      }
    });
  }
}
