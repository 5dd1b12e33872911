// The block structure of keepalived.conf after preprocessing: `statement = word args block?`.
// Produced by src/config/parse.ts (preprocessor + Peggy grammar); consumed by the keyword
// tables that build the typed model. Locations always point into the original files.
import type { SourceLoc } from '../lib/diagnostics.js';

export interface Arg {
  /** The word with surrounding double quotes removed. */
  readonly text: string;
  /** True when the word was written in double quotes. */
  readonly quoted: boolean;
  readonly loc: SourceLoc;
}

export interface Statement {
  readonly keyword: string;
  readonly args: readonly Arg[];
  /** Present when the statement opens a `{ ... }` block (possibly empty). */
  readonly block?: readonly Statement[];
  readonly loc: SourceLoc;
  /**
   * The rest of the line after the keyword, exactly as written (after preprocessing, before
   * keepalived's double-quote tokenisation). Quoted keywords (`notify*`, `script`, `misc_path`,
   * `quorum_up/down`, `notify_up/down`) re-tokenise this with keepalived's quoted rules.
   */
  readonly raw: string;
}

export interface ConfigTree {
  readonly statements: readonly Statement[];
  /** Every file read, main file first, in the order first read. */
  readonly files: readonly string[];
}
