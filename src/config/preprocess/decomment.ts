// keepalived's decomment() (lib/parser.c): strip leading blanks, cut at the first '!' or '#'
// outside double quotes, strip trailing blanks. A '\' before any character skips it (so `\"`
// does not toggle quoting); a '\' ending the line is kept, glued to the text before it.
//
// `\#` and `\!` outside quotes: keepalived's parent turns them into a literal '#'/'!', but the
// VRRP and checker children re-read the parent's decommented copy and decomment it again, so the
// processes that use the config see a comment there (`ab\#c` is `ab`) [obs 2.2.7]. We reproduce
// what the children see: the comment starts at the backslash.
import { MappedText } from './mapped-text.js';

const isBlank = (c: number): boolean => c === 0x20 || c === 0x09;

export function decomment(line: MappedText): MappedText {
  const s = line.text;
  const n = s.length;
  let start = 0;
  while (start < n && isBlank(s.charCodeAt(start))) start++;
  let quote = false;
  let cut = -1;
  let cont = -1;
  for (let i = start; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22 /* " */) {
      if (cut < 0) quote = !quote;
    } else if (c === 0x5c /* \ */) {
      if (i + 1 >= n) {
        cont = i;
        break;
      }
      const d = s.charCodeAt(i + 1);
      if (!quote && cut < 0 && (d === 0x23 || d === 0x21)) cut = i;
      i++;
    } else if ((c === 0x21 /* ! */ || c === 0x23) /* # */ && !quote && cut < 0) {
      cut = i;
    }
  }
  let end = cut >= 0 ? cut : cont >= 0 ? cont : n;
  while (end > start && isBlank(s.charCodeAt(end - 1))) end--;
  if (cont < 0) return line.slice(start, end);
  // Trailing '\' (even after a comment, as keepalived does): keep it right after the text.
  if (end === cont) return line.slice(start, cont + 1);
  const kept = line.slice(start, end);
  return kept.splice(kept.length, kept.length, '\\');
}
