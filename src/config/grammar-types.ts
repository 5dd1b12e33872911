// Types of what grammar/keepalived.peggy returns. The generated parser lives in the gitignored
// src/config/generated/ (built by `npm run build:grammar`), so its typed face lives here.
// The grammar's actions build the final ast.ts statements directly (one object per statement
// and per word, locations included), so no second pass copies the tree.
import type { Statement } from './ast.js';
import type { SourceLoc } from '../lib/diagnostics.js';

export type GrammarErrorCode =
  | 'extra-close-brace'
  | 'missing-close-brace'
  | 'missing-open-brace'
  | 'nesting-too-deep'
  | 'unexpected-open-brace'
  | 'unmatched-quote';

/** A structural mistake; `start`/`end` are offsets into the parsed text. */
export interface GrammarError {
  readonly code: GrammarErrorCode;
  readonly start: number;
  readonly end: number;
}

export interface GrammarResult {
  readonly statements: readonly Statement[];
  readonly errors: readonly GrammarError[];
}

export interface GrammarOptions {
  /**
   * Keywords that always open a block, used to recover from a missing '{': a set, or a function
   * of the keyword and the enclosing block keywords (outermost first).
   */
  readonly blockKeywords?: BlockKeywords;
  /**
   * Called for every finished statement (its block already read, so children come first);
   * false drops it from the tree. `parentArgc` is the number of words after the enclosing
   * block's keyword, -1 at top level.
   */
  readonly retain?: Retain;
  /** Maps an offset in the parsed text to its source location (called once per word). */
  readonly loc: (offset: number) => SourceLoc;
}

export type BlockKeywords = ReadonlySet<string> | ((keyword: string, parents: readonly string[]) => boolean);

export type GrammarParse = (text: string, options: GrammarOptions) => GrammarResult;

/** See GrammarOptions.retain. */
export type Retain = (statement: Statement, parents: readonly string[], parentArgc: number) => boolean;
