// A line of text that remembers, for every character, the source column it came from. Lines
// the preprocessor only trims or cuts keep a plain offset (no per-character array), so an
// unmodified line costs nothing and reports exact columns; lines rewritten by `$NAME`
// substitution carry a column per character (inserted text maps to the column of the `$`).

export class MappedText {
  /** `cols[i]` is the 1-based source column of `text[i]`; null means `col0 + i`. */
  private constructor(
    readonly text: string,
    private readonly col0: number,
    private readonly cols: number[] | null,
  ) {}

  /** A line read from a file, starting at column `col0` (1 for a whole line). */
  static of(text: string, col0 = 1): MappedText {
    return new MappedText(text, col0, null);
  }

  get length(): number {
    return this.text.length;
  }

  /** Source column of `text[i]`; past the end, one after the last character. */
  colAt(i: number): number {
    const cols = this.cols;
    if (cols === null) return this.col0 + i;
    if (i < cols.length) return cols[i];
    return cols.length > 0 ? cols[cols.length - 1] + 1 + (i - cols.length) : this.col0;
  }

  slice(start: number, end: number = this.text.length): MappedText {
    if (start === 0 && end >= this.text.length) return this;
    if (this.cols === null) return new MappedText(this.text.slice(start, end), this.col0 + start, null);
    return new MappedText(this.text.slice(start, end), this.colAt(start), this.cols.slice(start, end));
  }

  /** Replaces text[start, end) by `insert`, whose characters all map to the column of `start`. */
  splice(start: number, end: number, insert: string): MappedText {
    const at = this.colAt(start);
    const cols: number[] = new Array(start + insert.length + (this.text.length - end));
    let k = 0;
    for (let i = 0; i < start; i++) cols[k++] = this.colAt(i);
    for (let i = 0; i < insert.length; i++) cols[k++] = at;
    for (let i = end; i < this.text.length; i++) cols[k++] = this.colAt(i);
    return new MappedText(this.text.slice(0, start) + insert + this.text.slice(end), at, cols);
  }

  /** Column mapping for export: `[col0, null]` or `[col0, per-character columns]`. */
  mapping(): { col0: number; cols: readonly number[] | null } {
    return { col0: this.cols === null ? this.col0 : this.colAt(0), cols: this.cols };
  }
}
