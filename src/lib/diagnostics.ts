// Config and runtime diagnostics: every one has a severity, a stable code and a location.

export type Severity = 'error' | 'warning' | 'info';

/** A place in a config file. Lines and columns are 1-based. */
export interface SourceLoc {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

export interface Diagnostic {
  readonly severity: Severity;
  /** Stable identifier, e.g. `unknown-keyword`, `value-out-of-range`. Never reworded. */
  readonly code: string;
  /** Human text; unknown keywords are worded like keepalived's: `Unknown keyword 'NAME'`. */
  readonly message: string;
  readonly loc: SourceLoc;
  /** The offending source text (a keyword, an argument, a line). */
  readonly text?: string;
  /** e.g. `did you mean 'rise'?` */
  readonly hint?: string;
}

/** `file:line:column: severity[code]: message (hint)` — the one format every tool prints. */
export function formatDiagnostic(d: Diagnostic): string {
  const hint = d.hint ? ` (${d.hint})` : '';
  return `${d.loc.file}:${d.loc.line}:${d.loc.column}: ${d.severity}[${d.code}]: ${d.message}${hint}`;
}

/**
 * How many diagnostics of one code in one file a sink keeps by default. The rest are counted:
 * a 50 MB file of unknown keywords gives half a million of them, which nobody reads and which
 * would cost hundreds of megabytes.
 */
export const DEFAULT_DIAGNOSTICS_PER_FILE_AND_CODE = 100;

const RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

/**
 * Stands for the diagnostics of one code in one file past the cap: "N more diagnostics like
 * this in FILE", at the place of the first one left out, with the most severe severity among
 * them (so exit codes do not change). It sits in the list where the first one was left out;
 * its count (and text) grows as more are. A plain object, so copies and JSON keep every field.
 */
interface SuppressedSummary {
  severity: Severity;
  readonly code: string;
  message: string;
  readonly loc: SourceLoc;
  count: number;
}

function addToSummary(s: SuppressedSummary, severity: Severity, n: number): void {
  s.count += n;
  if (RANK[severity] > RANK[s.severity]) s.severity = severity;
  s.message = `${s.count} more diagnostic${s.count === 1 ? '' : 's'} like this in ${s.loc.file} (not shown)`;
}

interface CodeInFile {
  kept: number;
  summary?: SuppressedSummary;
  /** Left out before the summary could be placed (see `countSuppressed`). */
  pending?: { count: number; severity: Severity; loc: SourceLoc };
}

/**
 * Collects diagnostics; passed down the config pipeline instead of throwing. Keeps the first
 * `limit` of each code in each file; the others are counted into one summary diagnostic.
 */
export class DiagnosticSink {
  readonly items: Diagnostic[] = [];
  private readonly perKey = new Map<string, CodeInFile>();
  private errors = 0;
  private warnings = 0;

  constructor(readonly limit: number = DEFAULT_DIAGNOSTICS_PER_FILE_AND_CODE) {}

  private entry(code: string, file: string): CodeInFile {
    const key = `${code}\u0000${file}`;
    let e = this.perKey.get(key);
    if (e === undefined) {
      e = { kept: 0 };
      this.perKey.set(key, e);
    }
    return e;
  }

  private count(severity: Severity, n: number): void {
    if (severity === 'error') this.errors += n;
    else if (severity === 'warning') this.warnings += n;
  }

  private summarise(e: CodeInFile, code: string, loc: SourceLoc, severity: Severity, n: number): void {
    if (e.summary === undefined) {
      e.summary = { severity: 'info', code, message: '', loc, count: 0 };
      this.items.push(e.summary);
    }
    addToSummary(e.summary, severity, n);
  }

  report(d: Diagnostic): void {
    this.count(d.severity, 1);
    const e = this.entry(d.code, d.loc.file);
    if (e.kept < this.limit) {
      e.kept++;
      this.items.push(d);
      if (e.kept === this.limit && e.pending !== undefined) {
        this.summarise(e, d.code, e.pending.loc, e.pending.severity, e.pending.count);
        e.pending = undefined;
      }
      return;
    }
    this.summarise(e, d.code, d.loc, d.severity, 1);
  }

  /**
   * True when a diagnostic of `code` in `file` would only be counted now. Reporters use it to
   * skip work (e.g. a did-you-mean search) whose result would not be shown.
   */
  full(code: string, file: string): boolean {
    return this.entry(code, file).kept >= this.limit;
  }

  /**
   * Counts `n` diagnostics of `code` in `file` that a stage left out before they were reported
   * (the parser drops statements the model builder would only report past the cap). They join
   * the summary once `limit` of that code in that file have been kept; `loc` is the first one's.
   */
  countSuppressed(code: string, severity: Severity, loc: SourceLoc, n = 1): void {
    this.count(severity, n);
    const e = this.entry(code, loc.file);
    if (e.kept >= this.limit) {
      this.summarise(e, code, loc, severity, n);
      return;
    }
    if (e.pending === undefined) e.pending = { count: n, severity, loc };
    else {
      e.pending.count += n;
      if (RANK[severity] > RANK[e.pending.severity]) e.pending.severity = severity;
    }
  }

  /**
   * Places the summaries of counts that never reached `limit` kept diagnostics (see
   * `countSuppressed`). Called by whoever finishes a pipeline; harmless to call twice.
   */
  flush(): void {
    for (const [key, e] of this.perKey) {
      if (e.pending === undefined) continue;
      const code = key.slice(0, key.indexOf('\u0000'));
      this.summarise(e, code, e.pending.loc, e.pending.severity, e.pending.count);
      e.pending = undefined;
    }
  }

  error(code: string, message: string, loc: SourceLoc, extra: { text?: string; hint?: string } = {}): void {
    this.report({ severity: 'error', code, message, loc, ...extra });
  }
  warning(code: string, message: string, loc: SourceLoc, extra: { text?: string; hint?: string } = {}): void {
    this.report({ severity: 'warning', code, message, loc, ...extra });
  }
  info(code: string, message: string, loc: SourceLoc, extra: { text?: string; hint?: string } = {}): void {
    this.report({ severity: 'info', code, message, loc, ...extra });
  }
  /** Errors reported, counted ones included. */
  get errorCount(): number {
    return this.errors;
  }
  /** Warnings reported, counted ones included. */
  get warningCount(): number {
    return this.warnings;
  }
}
