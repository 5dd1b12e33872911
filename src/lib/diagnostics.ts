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

/** Collects diagnostics; passed down the config pipeline instead of throwing. */
export class DiagnosticSink {
  readonly items: Diagnostic[] = [];
  report(d: Diagnostic): void {
    this.items.push(d);
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
  get errorCount(): number {
    return this.items.filter((d) => d.severity === 'error').length;
  }
  get warningCount(): number {
    return this.items.filter((d) => d.severity === 'warning').length;
  }
}
