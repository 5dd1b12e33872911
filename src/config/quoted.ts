// keepalived's tokenisation of "quoted keywords" (notify*, script, misc_path, quorum_up/down,
// notify_up/down, fifo scripts): the raw line after the keyword is split twice.
//
//  1. splitQuotedWords (keepalived alloc_strvec_quoted): words split on blanks; both ' and "
//     quote, quotes are removed and adjacent pieces join (`'abcd" efg h "x'` is one word,
//     `a"b c"d` is `ab cd`). The first word is the command; any further words are `user [group]`.
//  2. splitEscaped (keepalived alloc_strvec_quoted_escaped): the command string split into argv
//     the same way, plus backslash escapes, also inside either kind of quote:
//     \a \b \E(ESC) \f \n \r \t \v, \NNN (1-3 octal digits), \xHH.. (hex digits, low byte kept),
//     \cC (control character: C & 0x1f); any other \C is C itself.

export interface QuotedSplit {
  readonly words: string[];
  /** Set when the text cannot be split (unterminated quote, '\' at the end). */
  readonly error?: string;
}

const BLANK = new Set([' ', '\t', '\f', '\n', '\r', '\v']);

function split(src: string, escapes: boolean): QuotedSplit {
  const words: string[] = [];
  const n = src.length;
  let i = 0;
  while (i < n) {
    while (i < n && BLANK.has(src[i])) i++;
    if (i >= n) break;
    let word = '';
    let quote = '';
    while (i < n) {
      const c = src[i];
      if (escapes && c === '\\') {
        i++;
        if (i >= n) return { words, error: `Missing escape char at end: '${src}'` };
        const e = src[i];
        if (e === 'x' && i + 1 < n && /[0-9a-fA-F]/.test(src[i + 1])) {
          let v = 0;
          i++;
          while (i < n && /[0-9a-fA-F]/.test(src[i])) v = ((v << 4) | parseInt(src[i++], 16)) & 0xff;
          word += String.fromCharCode(v);
        } else if (e === 'c' && i + 1 < n) {
          word += String.fromCharCode(src.charCodeAt(i + 1) & 0x1f);
          i += 2;
        } else if (e >= '0' && e <= '7') {
          let v = 0;
          for (let k = 0; k < 3 && i < n && src[i] >= '0' && src[i] <= '7'; k++) v = v * 8 + (src.charCodeAt(i++) - 48);
          word += String.fromCharCode(v & 0xff);
        } else {
          const map: Record<string, string> = { a: '\x07', b: '\b', E: '\x1b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };
          word += map[e] ?? e;
          i++;
        }
        continue;
      }
      if (quote !== '') {
        if (c === quote) quote = '';
        else word += c;
        i++;
        continue;
      }
      if (c === '"' || c === "'") {
        quote = c;
        i++;
        continue;
      }
      if (BLANK.has(c)) break;
      word += c;
      i++;
    }
    if (quote !== '') return { words, error: `String '${src}': missing terminating ${quote}` };
    words.push(word);
  }
  return { words };
}

/** First split of a quoted keyword's raw text: command string, then `user [group]`. */
export function splitQuotedWords(raw: string): QuotedSplit {
  return split(raw, false);
}

/** Second split: a command string to argv, with quotes and backslash escapes. */
export function splitEscaped(command: string): QuotedSplit {
  return split(command, true);
}

export interface ScriptLine {
  /** The command's argv (empty when the line had no command or could not be split). */
  readonly argv: string[];
  /** Words after the command: keepalived reads them as `user [group]`. */
  readonly rest: string[];
  readonly error?: string;
}

/** Both splits of a script keyword's raw text (Statement.raw). */
export function parseScriptLine(raw: string): ScriptLine {
  const first = splitQuotedWords(raw);
  if (first.error !== undefined) return { argv: [], rest: [], error: first.error };
  if (first.words.length === 0) return { argv: [], rest: [] };
  const second = splitEscaped(first.words[0]);
  const base = { argv: second.error !== undefined ? [] : second.words, rest: first.words.slice(1) };
  return second.error !== undefined ? { ...base, error: second.error } : base;
}

/** argv of a script keyword's raw text (the command word only; `user [group]` is dropped). */
export function splitQuotedCommand(raw: string): string[] {
  return parseScriptLine(raw).argv;
}
