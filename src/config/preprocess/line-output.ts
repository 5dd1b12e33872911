// Where the preprocessor's logical lines go. Two forms:
//   * LineList: one SourceLine object per line (the preprocessor's API, its tests and tools);
//   * JoinedLines: what the parser reads, the lines joined with '\n' plus a compact offset ->
//     file:line:column map. Runs of lines left as they are in the file are not copied line by
//     line: the run is one slice of the file text (for a file without comments, includes or
//     `$NAME`s, the file text itself), and the map holds four integers per line. A 50 MB file
//     thus costs about its own size once, not a string and an object per line on top.
import type { SourceLoc } from '../../lib/diagnostics.js';

/** One logical line of preprocessed config text and where it came from. */
export interface SourceLine {
  readonly text: string;
  readonly file: string;
  /** 1-based line in `file`. */
  readonly line: number;
  /** 1-based source column of text[0]. */
  readonly col0: number;
  /** Source column of each character when the line was rewritten; null: `col0 + index`. */
  readonly cols: readonly number[] | null;
}

export interface LineOutput {
  /**
   * A physical line that preprocessing leaves alone: `src[start, end)` is the line without its
   * newline (and without trailing CRs), `src[first, last)` the same without leading and trailing
   * blanks (first === last: a blank line). `crlf` is true when CRs were cut off the end.
   */
  plain(src: string, start: number, end: number, first: number, last: number, crlf: boolean, file: string, line: number): void;
  /** A line preprocessing rewrote (comments cut, `$NAME` replaced, `@id` removed ...). */
  mapped(text: string, file: string, line: number, col0: number, cols: readonly number[] | null): void;
}

/** Collects SourceLine objects, blank lines left out. */
export class LineList implements LineOutput {
  readonly lines: SourceLine[] = [];
  plain(src: string, start: number, _end: number, first: number, last: number, _crlf: boolean, file: string, line: number): void {
    if (first === last) return;
    this.lines.push({ text: src.slice(first, last), file, line, col0: first - start + 1, cols: null });
  }
  mapped(text: string, file: string, line: number, col0: number, cols: readonly number[] | null): void {
    this.lines.push({ text, file, line, col0, cols });
  }
}

/** A growable Int32Array. */
class IntList {
  data = new Int32Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
}

/** Builds the joined text and its location map (see the file comment). */
export class JoinedLines implements LineOutput {
  private readonly pieces: string[] = [];
  /** The verbatim run being extended: a range of `runSrc`, or none. */
  private runSrc: string | null = null;
  private runStart = 0;
  private runEnd = 0;
  /** Length of the joined text so far, separators included. */
  private offset = 0;
  private lineCount = 0;
  private readonly starts = new IntList();
  private readonly fileIdx = new IntList();
  private readonly lineNo = new IntList();
  private readonly col0 = new IntList();
  private readonly cols = new Map<number, readonly number[]>();
  private readonly files: string[] = [];
  private readonly fileIndex = new Map<string, number>();

  private addLine(file: string, line: number, col0: number, length: number): number {
    let fi = this.fileIndex.get(file);
    if (fi === undefined) {
      fi = this.files.length;
      this.files.push(file);
      this.fileIndex.set(file, fi);
    }
    this.starts.push(this.offset);
    this.fileIdx.push(fi);
    this.lineNo.push(line);
    this.col0.push(col0);
    this.offset += length + 1;
    return this.lineCount++;
  }

  private flushRun(): void {
    if (this.runSrc === null) return;
    this.pieces.push(this.runSrc.slice(this.runStart, this.runEnd));
    this.runSrc = null;
  }

  plain(src: string, start: number, end: number, first: number, last: number, crlf: boolean, file: string, line: number): void {
    if (crlf) {
      // Not verbatim (the CRs stay out of the text): a trimmed copy.
      if (first === last) return;
      this.mapped(src.slice(first, last), file, line, first - start + 1, null);
      return;
    }
    // The grammar skips leading and trailing blanks itself, so the line goes in as it is.
    if (this.runSrc === src && start === this.runEnd + 1) this.runEnd = end;
    else {
      this.flushRun();
      this.runSrc = src;
      this.runStart = start;
      this.runEnd = end;
    }
    this.addLine(file, line, 1, end - start);
  }

  mapped(text: string, file: string, line: number, col0: number, cols: readonly number[] | null): void {
    this.flushRun();
    this.pieces.push(text);
    const i = this.addLine(file, line, col0, text.length);
    if (cols !== null) this.cols.set(i, cols);
  }

  /** The joined text and its map; the builder is spent afterwards. */
  finish(): { text: string; map: LocationMap } {
    this.flushRun();
    const text = this.pieces.length === 1 ? this.pieces[0] : this.pieces.join('\n');
    this.pieces.length = 0;
    const map = new LocationMap(
      this.starts.data.subarray(0, this.lineCount),
      this.fileIdx.data.subarray(0, this.lineCount),
      this.lineNo.data.subarray(0, this.lineCount),
      this.col0.data.subarray(0, this.lineCount),
      this.cols,
      this.files,
    );
    return { text, map };
  }
}

/** Maps offsets in the joined text back to file:line:column. */
export class LocationMap {
  private cursor = 0;

  constructor(
    private readonly starts: Int32Array,
    private readonly fileIdx: Int32Array,
    private readonly lineNo: Int32Array,
    private readonly col0: Int32Array,
    private readonly cols: ReadonlyMap<number, readonly number[]>,
    private readonly files: readonly string[],
  ) {}

  private lineIndex(offset: number): number {
    const s = this.starts;
    const n = s.length;
    // Offsets mostly arrive in increasing order: try the last line and the next one first.
    const c = this.cursor;
    if (s[c] <= offset && (c + 1 >= n || offset < s[c + 1])) return c;
    if (c + 1 < n && s[c + 1] <= offset && (c + 2 >= n || offset < s[c + 2])) return (this.cursor = c + 1);
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (s[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    this.cursor = lo;
    return lo;
  }

  loc(offset: number, fallbackFile: string): SourceLoc {
    if (this.starts.length === 0) return { file: fallbackFile, line: 1, column: 1 };
    const li = this.lineIndex(offset);
    const i = offset - this.starts[li];
    const cols = this.cols.size === 0 ? undefined : this.cols.get(li);
    let column: number;
    if (cols === undefined) column = this.col0[li] + i;
    else if (i < cols.length) column = cols[i];
    else column = (cols.length > 0 ? cols[cols.length - 1] + 1 : this.col0[li]) + (i - cols.length);
    return { file: this.files[this.fileIdx[li]], line: this.lineNo[li], column };
  }
}
