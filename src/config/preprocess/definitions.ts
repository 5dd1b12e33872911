// `$NAME=VALUE` definitions and their substitution (keepalived lib/parser.c: check_definition,
// find_definition, replace_param; man keepalived.conf "Parameter substitution").
import { MappedText } from './mapped-text.js';

/** keepalived's MAXBUF: a line (with its NUL) must fit in 1024 bytes. */
export const MAX_LINE = 1023;

export interface Definition {
  /** Plain value; for a multi-line definition the lines joined with '\n'. */
  value: string;
  multiline: boolean;
  /** Built-ins compute their value at each use; `params` is the text after the name in ${...}. */
  fn?: (params: string | undefined) => string;
  /** How many numeric parameters `${NAME p1 p2}` may carry (only _RANDOM takes any). */
  maxParams: number;
}

const isAlpha = (c: number): boolean => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isNameStart = (c: number): boolean => isAlpha(c) || c === 0x5f;
const isNameChar = (c: number): boolean => isAlpha(c) || isDigit(c) || c === 0x5f;

export interface BuiltinContext {
  /** Directory of the file being read (keepalived's cwd while reading it). */
  pwd(): string;
  configId: string | undefined;
  /** Uniform in [0, 1). */
  random: () => number;
}

export class Definitions {
  private readonly defs = new Map<string, Definition>();

  constructor(ctx: BuiltinContext) {
    this.defs.set('_PWD', { value: '', multiline: false, maxParams: 0, fn: () => ctx.pwd() });
    this.defs.set('_INSTANCE', { value: '', multiline: false, maxParams: 0, fn: () => ctx.configId ?? '' });
    this.defs.set('_RANDOM', {
      value: '',
      multiline: false,
      maxParams: 2,
      fn: (params) => {
        let min = 0;
        let max = 32767;
        if (params !== undefined) {
          const nums = params.trim().split(/ +/);
          min = Number(nums[0]);
          if (nums.length > 1) max = Number(nums[1]);
        }
        if (max < min) [min, max] = [max, min];
        return String(Math.floor(ctx.random() * (max - min + 1)) + min);
      },
    });
    // 2.4 built-ins; they only survive inside double quotes since the line is decommented again.
    this.defs.set('_HASH', { value: '#', multiline: false, maxParams: 0 });
    this.defs.set('_BANG', { value: '!', multiline: false, maxParams: 0 });
  }

  get(name: string): Definition | undefined {
    return this.defs.get(name);
  }

  /** Defines or redefines NAME (a user definition overrides a built-in). */
  set(name: string, value: string, multiline = false): Definition {
    const def: Definition = { value, multiline, maxParams: 0 };
    this.defs.set(name, def);
    return def;
  }

  /**
   * Recognises a definition line `$NAME=VALUE` (no blank before '='; blanks after it skipped).
   * Returns the name and value text, or undefined when the line is not a definition.
   */
  static parseDefinition(text: string): { name: string; value: string } | undefined {
    if (text.charCodeAt(0) !== 0x24 || !isNameStart(text.charCodeAt(1))) return undefined;
    let i = 2;
    while (i < text.length && isNameChar(text.charCodeAt(i))) i++;
    if (text.charCodeAt(i) !== 0x3d /* = */) return undefined;
    let v = i + 1;
    while (v < text.length && (text.charCodeAt(v) === 0x20 || text.charCodeAt(v) === 0x09)) v++;
    return { name: text.slice(1, i), value: text.slice(v) };
  }

  /**
   * Finds the reference starting at the '$' at `at`: `$NAME` (followed by a blank, ',', ')'
   * or the end) or `${NAME}` / `${NAME params}`. A multi-line definition is only used when the
   * reference ends the line.
   */
  private lookup(text: string, at: number): { def: Definition; end: number; params?: string } | undefined {
    let i = at + 1;
    const braces = text.charCodeAt(i) === 0x7b; /* { */
    if (braces) i++;
    const nameStart = i;
    if (!isNameStart(text.charCodeAt(i))) return undefined;
    i++;
    while (i < text.length && isNameChar(text.charCodeAt(i))) i++;
    const name = text.slice(nameStart, i);
    let params: string | undefined;
    let end: number;
    if (braces) {
      let p = i;
      let first = -1;
      let last = -1;
      while (p < text.length && (text.charCodeAt(p) === 0x20 || isDigit(text.charCodeAt(p)))) {
        if (text.charCodeAt(p) !== 0x20) {
          if (first < 0) first = p;
          last = p;
        }
        p++;
      }
      if (first >= 0 && last + 1 !== p) return undefined; // parameters may not end with a blank
      if (text.charCodeAt(p) !== 0x7d /* } */) return undefined;
      if (first >= 0) params = text.slice(first, last + 1);
      end = p + 1;
    } else {
      const c = text.charCodeAt(i);
      if (i < text.length && c !== 0x20 && c !== 0x09 && c !== 0x2c && c !== 0x29) return undefined;
      end = i;
    }
    const def = this.defs.get(name);
    if (def === undefined) return undefined;
    if (def.multiline && end !== text.length) return undefined;
    if (params !== undefined && def.maxParams === 0) return undefined;
    return { def, end, ...(params !== undefined ? { params } : {}) };
  }

  /**
   * One pass of keepalived's replace_param(): every known reference is replaced left to right,
   * and the inserted text is scanned again (so values may use other names). Unknown names stay.
   * A multi-line value puts its first line in place; the other lines come back in `extra`.
   * Returns undefined when nothing was replaced.
   */
  substitute(line: MappedText): SubstituteResult | undefined {
    let cur = line;
    let pos = cur.text.indexOf('$');
    if (pos < 0) return undefined;
    let changed = false;
    let extra: string[] = [];
    let guard = 0;
    while (pos >= 0 && pos + 1 < cur.text.length) {
      const found = this.lookup(cur.text, pos);
      if (found === undefined) {
        pos = cur.text.indexOf('$', pos + 1);
        continue;
      }
      const { def } = found;
      let value = def.fn ? def.fn(found.params) : def.value;
      if (def.multiline) {
        const lines = value.split('\n');
        value = lines[0];
        extra = lines.slice(1).concat(extra);
      }
      if (cur.text.length - (found.end - pos) + value.length > MAX_LINE || ++guard > 10_000) {
        return { line: cur, extra, tooLong: true };
      }
      cur = cur.splice(pos, found.end, value);
      changed = true;
      // keepalived stops the pass when a value is itself a ~SEQ/~LST line.
      if (value.trimStart().startsWith('~')) break;
      pos = cur.text.indexOf('$', pos);
    }
    return changed ? { line: cur, extra, tooLong: false } : undefined;
  }
}

export interface SubstituteResult {
  line: MappedText;
  /** Remaining lines of a multi-line definition, to be read after this line. */
  extra: string[];
  /** Substitution stopped because the line would exceed keepalived's line length. */
  tooLong: boolean;
}
