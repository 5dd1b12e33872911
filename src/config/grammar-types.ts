// Types of what grammar/keepalived.peggy returns. The generated parser lives in the gitignored
// src/config/generated/ (built by `npm run build:grammar`), so its typed face lives here.

/** A word of a statement. `start` is an offset into the parsed text (at the quote if quoted). */
export interface GrammarArg {
  readonly text: string;
  readonly quoted: boolean;
  readonly start: number;
  /** A '"' with no closing quote on its line: the word runs to the end of the line. */
  readonly unmatched?: true;
}

export interface GrammarBlock {
  /** Offset of the '{' (or, for a block keyword missing its '{', of its first content). */
  readonly start: number;
  readonly items: readonly GrammarStatement[];
  /** False when the input ended before the matching '}'. */
  readonly closed: boolean;
  /** True when the '{' was missing and the block was inferred (missing-open-brace). */
  readonly implicit: boolean;
}

export interface GrammarStatement {
  readonly kw: GrammarArg;
  readonly args: readonly GrammarArg[];
  /** Offset just past the last word of the statement's line (the end of `raw`). */
  readonly rawEnd: number;
  readonly block: GrammarBlock | null;
}

export type GrammarErrorCode =
  | 'extra-close-brace'
  | 'missing-close-brace'
  | 'missing-open-brace'
  | 'unexpected-open-brace'
  | 'unmatched-quote';

export interface GrammarError {
  readonly code: GrammarErrorCode;
  readonly start: number;
  readonly end: number;
}

export interface GrammarResult {
  readonly statements: readonly GrammarStatement[];
  readonly errors: readonly GrammarError[];
}

export interface GrammarOptions {
  /**
   * Keywords that always open a block, used to recover from a missing '{': a set, or a function
   * of the keyword and the enclosing block keywords (outermost first).
   */
  readonly blockKeywords?: BlockKeywords;
}

export type BlockKeywords = ReadonlySet<string> | ((keyword: string, parents: readonly string[]) => boolean);

export type GrammarParse = (text: string, options?: GrammarOptions) => GrammarResult;
