// Script commands from keepalived's "quoted keywords" (notify*, script, misc_path, quorum_up/down,
// notify_up/down, *_fifo_script, startup/shutdown_script). Tokenisation is keepalived's, done by
// src/config/quoted.ts: the first quoted word is the command string, split again into argv with
// shell-like escapes; the words after it are `user [group]`.
import type { Statement } from '../ast.js';
import type { ScriptSpec } from '../model.js';
import { splitEscaped, splitQuotedWords } from '../quoted.js';
import type { BuildCtx } from './table.js';

/** Builds a ScriptSpec from a quoted keyword's statement; reports a missing command. */
export function scriptFrom(s: Statement, ctx: BuildCtx): ScriptSpec | undefined {
  const first = splitQuotedWords(s.raw);
  if (first.error !== undefined) {
    ctx.sink.error('invalid-value', first.error, s.loc, { text: s.raw });
    return undefined;
  }
  const words = first.words;
  if (words.length === 0 || words[0] === '') {
    ctx.sink.error('missing-parameter', `Configuration line starting '${s.keyword}' is missing a parameter`, s.loc, {
      text: s.keyword,
    });
    return undefined;
  }
  const cmd = words[0];
  const argv = splitEscaped(cmd);
  if (argv.error !== undefined) {
    ctx.sink.error('invalid-value', argv.error, s.loc, { text: cmd });
    return undefined;
  }
  return {
    cmd,
    argv: argv.words,
    ...(words[1] !== undefined ? { user: words[1] } : {}),
    ...(words[2] !== undefined ? { group: words[2] } : {}),
    loc: s.loc,
  };
}

/** `USER [[:]GROUP]` or `USER:GROUP`. */
export function userGroup(words: readonly string[]): { user: string; group?: string } {
  const [u, g] = words;
  if (g !== undefined) return { user: u, group: g.replace(/^:/, '') };
  const colon = u.indexOf(':');
  if (colon > 0) return { user: u.slice(0, colon), group: u.slice(colon + 1) };
  return { user: u };
}
