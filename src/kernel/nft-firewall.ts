// The accept-mode firewall: drops traffic to and from addresses while they are held by an
// instance that must not accept it (no_accept, strict mode), in an nftables table of our own
// (docs/adr/0024). The tables are built by one `nft -f -` transaction when first needed; a state
// change then only adds or deletes set elements, one nf_tables netlink batch from this process.
// Changes run one at a time, in the order asked. Only our table is ever named: other tables are
// never listed, flushed or changed.
import { spawn } from 'node:child_process';
import type { Logger } from '../lib/log.js';
import { NetlinkNftElements } from './nft-netlink.js';
import { elementCommands, elementOf, setOf, setupCommands, teardownCommands, type DropAddress, type NftFamily, type NftOptions, type NftPart } from './nft-ruleset.js';

/** Where the firewall's transactions go. */
export interface NftRunner {
  /** One nft transaction (a script of commands); rejects with nft's own error text. */
  run(script: string): Promise<void>;
  /** Adds or deletes elements of our sets (all or nothing). */
  elements(table: string, op: 'add' | 'delete', addrs: readonly DropAddress[]): Promise<void>;
  close?(): void;
}

/**
 * The host's nf_tables: the `nft` command for the set-up (one process per transaction, `nft -f -`:
 * all or nothing) and a NETLINK_NETFILTER socket for the elements.
 */
export class NftCommand implements NftRunner {
  private readonly netlink = new NetlinkNftElements();
  constructor(private readonly binary = 'nft') {}

  elements(table: string, op: 'add' | 'delete', addrs: readonly DropAddress[]): Promise<void> {
    return this.netlink.change(table, op, addrs);
  }

  close(): void {
    this.netlink.close();
  }

  run(script: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.binary, ['-f', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (d: string) => {
        if (err.length < 4096) err += d;
      });
      child.on('error', (e) => reject(new Error(`cannot run ${this.binary}: ${e.message}`)));
      child.on('close', (code, signal) => {
        if (code === 0) resolve();
        else reject(new Error(`${this.binary} failed (${signal ?? `exit ${code}`}): ${firstLine(err)}`));
      });
      child.stdin.on('error', () => undefined);
      child.stdin.end(script);
    });
  }
}

/** Keeps the scripts it is given and runs nothing (tests on a RecordingKernel, dry runs). */
export class RecordingNftRunner implements NftRunner {
  readonly scripts: string[] = [];
  /** Rejects the next run with this message (once). */
  failNext: string | undefined;

  elements(table: string, op: 'add' | 'delete', addrs: readonly DropAddress[]): Promise<void> {
    return this.run(elementCommands({ table, priority: 0, counters: false }, op, addrs).join('\n') + '\n');
  }

  run(script: string): Promise<void> {
    this.scripts.push(script);
    const f = this.failNext;
    this.failNext = undefined;
    return f === undefined ? Promise.resolve() : Promise.reject(new Error(f));
  }
}

function firstLine(s: string): string {
  return s.split('\n').find((l) => l.trim() !== '')?.trim() ?? '(no message)';
}

export interface NftFirewallStatus {
  readonly table: string;
  readonly families: readonly NftFamily[];
  /** Elements in the sets now, as nft writes them. */
  readonly dropped: readonly string[];
  readonly transactions: number;
  readonly failures: number;
}

export class NftFirewall {
  private readonly built = new Set<NftPart>();
  /** set name + element -> the address, for the elements in our sets now. */
  private readonly inSets = new Map<string, DropAddress>();
  private queue: Promise<void> = Promise.resolve();
  private transactions = 0;
  private failures = 0;
  private closed = false;

  constructor(
    private readonly opts: NftOptions,
    private readonly runner: NftRunner,
    private readonly log: Logger,
  ) {}

  /** Drops traffic to and from `addrs` (those not dropped already). */
  drop(addrs: readonly DropAddress[]): Promise<void> {
    return this.enqueue(async () => {
      const fresh = unique(addrs).filter((a) => !this.inSets.has(key(a)));
      if (fresh.length === 0 || this.closed) return;
      const parts = [...new Set(fresh.flatMap((a) => partsFor(a)))].filter((p) => !this.built.has(p));
      if (parts.length > 0) {
        if (!(await this.attempt(() => this.runner.run(parts.flatMap((p) => setupCommands(this.opts, p)).join('\n') + '\n')))) return;
        for (const p of parts) this.built.add(p);
      }
      if (await this.attempt(() => this.runner.elements(this.opts.table, 'add', fresh))) {
        for (const a of fresh) this.inSets.set(key(a), a);
      }
    });
  }

  /** Lets traffic to and from `addrs` through again (those we dropped). */
  allow(addrs: readonly DropAddress[]): Promise<void> {
    return this.enqueue(async () => {
      const held = unique(addrs).filter((a) => this.inSets.has(key(a)));
      if (held.length === 0 || this.closed) return;
      // Removed from our books even if nft fails: the next drop adds them again.
      for (const a of held) this.inSets.delete(key(a));
      await this.attempt(() => this.runner.elements(this.opts.table, 'delete', held));
    });
  }

  /** Deletes our tables (at stop). Later drops and allows do nothing. */
  close(): Promise<void> {
    return this.enqueue(async () => {
      if (this.closed) return;
      this.closed = true;
      const families = (['ip', 'ip6'] as const).filter((f) => this.built.has(f));
      this.inSets.clear();
      this.built.clear();
      if (families.length > 0) await this.attempt(() => this.runner.run(teardownCommands(this.opts, families).join('\n') + '\n'));
      this.runner.close?.();
    });
  }

  status(): NftFirewallStatus {
    return {
      table: this.opts.table,
      families: (['ip', 'ip6'] as const).filter((f) => this.built.has(f)),
      dropped: [...this.inSets.values()].map(elementOf),
      transactions: this.transactions,
      failures: this.failures,
    };
  }

  private enqueue(job: () => Promise<void>): Promise<void> {
    const next = this.queue.then(job);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** One transaction; a failure is logged (with a running count) and reported as false. */
  private async attempt(tx: () => Promise<void>): Promise<boolean> {
    this.transactions++;
    try {
      await tx();
      return true;
    } catch (e) {
      this.failures++;
      this.log.error({ table: this.opts.table, failures: this.failures }, `nftables: ${e instanceof Error ? e.message : String(e)}`);
      return false;
    }
  }
}

const key = (a: DropAddress) => `${setOf(a).set} ${elementOf(a)}`;

function partsFor(a: DropAddress): NftPart[] {
  const { part } = setOf(a);
  return part === a.family ? [part] : [a.family, part];
}

function unique(addrs: readonly DropAddress[]): DropAddress[] {
  const seen = new Map<string, DropAddress>();
  for (const a of addrs) if (!seen.has(key(a))) seen.set(key(a), a);
  return [...seen.values()];
}
