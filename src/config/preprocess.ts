// The line-based first stage of keepalived's config reader (lib/parser.c read_line and
// friends), in keepalived's order for every physical line:
//   1. CR/LF stripped; lines over 1022 characters ignored (keepalived MAXBUF), NUL truncates
//   2. decomment (comments '!'/'#' outside double quotes, blanks trimmed)
//   3. continuation lines of a multi-line `$NAME=...\` definition are collected
//   4. repeated until stable: `@id`/`@^id` conditionals, `$NAME=` definitions, `~SEQ`/`~LST`
//      (the rest of the line is re-read once per value), `$NAME`/`${NAME}` substitution
//      (decommented again afterwards)
//   5. `include GLOB` (and includer/includem/includew/includeb/includea) [obs 2.2.7: after
//      steps 4, so `@id include x` and a `$NAME` expanding to an include both work]
// Every output line keeps its origin: file, line, and the source column of each character.
import { dirname, resolve } from 'node:path';
import type { DiagnosticSink } from '../lib/diagnostics.js';
import type { ConfigFiles } from './preprocess/config-files.js';
import { decomment } from './preprocess/decomment.js';
import { Definitions } from './preprocess/definitions.js';
import { JoinedLines, LineList, type LineOutput, type LocationMap, type SourceLine } from './preprocess/line-output.js';
import { MappedText } from './preprocess/mapped-text.js';
import { parseSequence } from './preprocess/sequence.js';

export type { ConfigFiles, ConfigFileStat } from './preprocess/config-files.js';
export type { SourceLine } from './preprocess/line-output.js';

export interface PreprocessOptions {
  /** keepalived's config id (`-i`, default the host name up to the first '.'): `@id` lines. */
  readonly configId?: string;
  /** Random source for `${_RANDOM}`, uniform in [0, 1). Default Math.random. */
  readonly random?: () => number;
  readonly files: ConfigFiles;
}

export interface PreprocessResult {
  readonly lines: SourceLine[];
  /** Every file read, main file first, in the order first read. */
  readonly files: string[];
}

const INCLUDE_KEYWORDS = new Set(['include', 'includer', 'includem', 'includew', 'includeb', 'includea']);
const WILDCARD = /[*?[]/;
/** Longest physical line keepalived reads whole (MAXBUF 1024 = 1022 + '\n' + NUL). */
const MAX_PHYSICAL_LINE = 1022;
/** Nesting beyond this is treated as a cycle even if realpath cannot see it. */
const MAX_INCLUDE_DEPTH = 64;

/** keepalived's alloc_strvec() split, enough to recognise `include PATH`. */
function words(text: string): string[] {
  const out: string[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    while (i < n && /[ \t\f\v\r\n]/.test(text[i])) i++;
    if (i >= n) break;
    if (text[i] === '"') {
      const close = text.indexOf('"', i + 1);
      if (close < 0) break;
      out.push(text.slice(i + 1, close));
      i = close + 1;
    } else {
      const s = i;
      while (i < n && !/[ \t\f\v\r\n"]/.test(text[i])) i++;
      out.push(text.slice(s, i));
    }
  }
  return out;
}

/** glob(3) GLOB_BRACE expansion: `a{b,c{d,e}}f` -> abf, acdf, acef (in that order). */
export function expandBraces(pattern: string): string[] {
  let depth = 0;
  let open = -1;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '{') {
      if (depth === 0) open = i;
      depth++;
    } else if (c === '}' && depth > 0) {
      depth--;
      if (depth === 0) {
        const body = pattern.slice(open + 1, i);
        const alts: string[] = [];
        let d = 0;
        let from = 0;
        for (let j = 0; j < body.length; j++) {
          if (body[j] === '{') d++;
          else if (body[j] === '}') d--;
          else if (body[j] === ',' && d === 0) {
            alts.push(body.slice(from, j));
            from = j + 1;
          }
        }
        alts.push(body.slice(from));
        const pre = pattern.slice(0, open);
        const post = pattern.slice(i + 1);
        return alts.flatMap((a) => expandBraces(pre + a + post));
      }
    }
  }
  return [pattern];
}

const NOT_PLAIN = -1;
const BLANK_LINE = -2;
/** Characters some preprocessing step acts on: comments, escapes, `$NAME`, NUL. */
const SPECIAL = /[!#$\\\0]/g;

/**
 * Classifies text[pos, end) (one physical line, at most MAX_PHYSICAL_LINE long, known to hold
 * none of the SPECIAL characters) for the fast path: NOT_PLAIN when it starts with '@', '~' or
 * `include`; BLANK_LINE when only blanks; otherwise the offsets of its first and past-last
 * non-blank characters, relative to pos, as (first << 16) | last.
 */
function plainLine(text: string, pos: number, end: number): number {
  let first = pos;
  let c = 0;
  while (first < end && ((c = text.charCodeAt(first)) === 0x20 || c === 0x09)) first++;
  if (first === end) return BLANK_LINE;
  let last = end;
  while ((c = text.charCodeAt(last - 1)) === 0x20 || c === 0x09) last--;
  const c0 = text.charCodeAt(first);
  if (c0 === 0x40 /* @ */ || c0 === 0x7e /* ~ */) return NOT_PLAIN;
  if (c0 === 0x69 /* i */ && text.startsWith('include', first)) return NOT_PLAIN;
  return ((first - pos) << 16) | (last - pos);
}

class Preprocessor {
  readonly files: string[] = [];
  private readonly seen = new Set<string>();
  private readonly defs: Definitions;
  /** Files being read, outermost first (realpaths), for cycle detection. */
  private readonly stack: string[] = [];
  private readonly stackNames: string[] = [];
  private currentFile = '';

  constructor(
    private readonly opts: PreprocessOptions,
    private readonly sink: DiagnosticSink,
    private readonly out: LineOutput,
  ) {
    this.defs = new Definitions({
      pwd: () => dirname(this.currentFile),
      configId: opts.configId,
      random: opts.random ?? Math.random,
    });
  }

  private real(path: string): string {
    return this.opts.files.realpath ? this.opts.files.realpath(path) : path;
  }

  /** Reads one file's text; `file` is the name reported in locations. */
  readText(text: string, file: string): void {
    const real = this.real(file);
    if (!this.seen.has(file)) {
      this.seen.add(file);
      this.files.push(file);
    }
    const prevFile = this.currentFile;
    this.currentFile = file;
    this.stack.push(real);
    this.stackNames.push(file);
    try {
      this.readLines(text, file);
    } finally {
      this.stack.pop();
      this.stackNames.pop();
      this.currentFile = prevFile;
    }
  }

  private readLines(text: string, file: string): void {
    let lineNo = 0;
    let pos = 0;
    const n = text.length;
    // An open multi-line definition: further lines are appended until one lacks a final '\'.
    let multi: { name: string; parts: string[] } | null = null;
    const endMulti = (): void => {
      if (multi === null) return;
      const value = multi.parts.join('');
      this.defs.set(multi.name, value, value.length > 0);
      multi = null;
    };
    let nextSpecial = -1;
    while (pos < n) {
      let eol = text.indexOf('\n', pos);
      if (eol < 0) eol = n;
      let end = eol;
      while (end > pos && text.charCodeAt(end - 1) === 0x0d) end--;
      lineNo++;
      if (nextSpecial < pos) {
        SPECIAL.lastIndex = pos;
        nextSpecial = SPECIAL.exec(text)?.index ?? n;
      }
      if (multi === null && end - pos <= MAX_PHYSICAL_LINE && nextSpecial >= end) {
        // Fast path for the common line: no comment, escape, NUL or '$' (the next such
        // character of the file is found by one search and lies past this line), not an
        // `@id`, `~SEQ` or include line. All the steps below then only trim blanks, so emit it.
        const plain = plainLine(text, pos, end);
        if (plain !== NOT_PLAIN) {
          if (plain === BLANK_LINE) this.out.plain(text, pos, end, pos, pos, end !== eol, file, lineNo);
          else this.out.plain(text, pos, end, pos + (plain >>> 16), pos + (plain & 0xffff), end !== eol, file, lineNo);
          pos = eol + 1;
          continue;
        }
      }
      let raw = text.slice(pos, end);
      pos = eol + 1;
      if (raw.length === 0) {
        endMulti();
        continue;
      }
      if (raw.length > MAX_PHYSICAL_LINE) {
        // fgets() into keepalived's 1024-byte buffer holds 1022 characters plus the newline.
        // keepalived 2.4 ignores a longer line ("line too long"); 2.2.7 silently splits it in
        // 1023-byte pieces [obs], which only produces garbage, so we follow 2.4 and say so.
        this.sink.warning('line-too-long', `line too long (${raw.length} > ${MAX_PHYSICAL_LINE} characters) - ignoring`, {
          file,
          line: lineNo,
          column: MAX_PHYSICAL_LINE + 1,
        });
        endMulti();
        continue;
      }
      const nul = raw.indexOf('\0');
      if (nul >= 0) {
        this.sink.warning('embedded-nul', 'line contains a NUL character - text after it ignored', { file, line: lineNo, column: nul + 1 });
        raw = raw.slice(0, nul);
      }
      const line = decomment(MappedText.of(raw));
      if (multi !== null) {
        if (line.length === 0) {
          endMulti();
          continue;
        }
        const t = line.text;
        if (t.endsWith('\\')) {
          const body = t.slice(0, -1).replace(/[ \t]+$/, '');
          if (body.length > 0) multi.parts.push(`${body}\n`);
        } else {
          multi.parts.push(t);
          endMulti();
        }
        continue;
      }
      if (line.length === 0) continue;
      const started = this.processLine(line, file, lineNo);
      if (started !== undefined) multi = started;
    }
    endMulti();
  }

  /**
   * Steps 4 and 5 for one logical line. Returns a multi-line definition that the following
   * physical lines continue, if the line started one.
   */
  private processLine(start: MappedText, file: string, lineNo: number, depth = 0): { name: string; parts: string[] } | undefined {
    let line = start;
    let extra: string[] = [];
    for (let round = 0; ; round++) {
      const t = line.text;
      if (t.length === 0) return undefined;
      if (t.charCodeAt(0) === 0x40 /* @ */) {
        const rev = t.charCodeAt(1) === 0x5e; /* ^ */
        const idStart = rev ? 2 : 1;
        const m = /[ \t]/.exec(t.slice(idStart));
        if (m === null) return undefined; // nothing after the id: dropped
        const idEnd = idStart + m.index;
        const matches = this.opts.configId !== undefined && t.slice(idStart, idEnd) === this.opts.configId;
        if (matches === rev) return undefined;
        let s = idEnd;
        while (s < t.length && (t[s] === ' ' || t[s] === '\t')) s++;
        line = line.slice(s);
        continue;
      }
      if (t.charCodeAt(0) === 0x24 /* $ */) {
        const def = Definitions.parseDefinition(t);
        if (def !== undefined) {
          if (def.value.endsWith('\\')) {
            const body = def.value.slice(0, -1).replace(/[ \t]+$/, '');
            return { name: def.name, parts: body.length > 0 ? [`${body}\n`] : [] };
          }
          this.defs.set(def.name, def.value);
          return undefined;
        }
      }
      if (t.charCodeAt(0) === 0x7e /* ~ */) {
        const spec = parseSequence(t, (params) => this.defs.substitute(MappedText.of(params))?.line.text ?? params);
        if (spec === undefined) break; // keepalived: any other '~' line is left alone
        if ('error' in spec) {
          this.sink.error(t.startsWith('~LST') ? 'invalid-lst' : 'invalid-seq', spec.error, { file, line: lineNo, column: line.colAt(0) }, { text: t });
          return undefined;
        }
        const body = line.slice(spec.textStart);
        for (const assignments of spec.iterations) {
          for (const [name, value] of assignments) this.defs.set(name, value);
          this.processLine(body, file, lineNo, depth + 1);
        }
        return undefined;
      }
      if (t.indexOf('$') < 0) break;
      const r = this.defs.substitute(line);
      if (r === undefined) break;
      extra = extra.concat(r.extra);
      if (r.tooLong) {
        this.sink.warning('substitution-too-long', 'parameter substitution would exceed the maximum line length', { file, line: lineNo, column: line.colAt(0) }, { text: t });
        line = r.line;
        break;
      }
      line = decomment(r.line);
      if (round > 1000) break;
    }
    if (!this.include(line, file, lineNo)) this.emit(line, file, lineNo);
    // Remaining lines of a multi-line definition are read next, as if they followed in the file.
    for (const e of extra) {
      if (e.length > 0) this.processLine(MappedText.of(e, line.colAt(0)), file, lineNo, depth + 1);
    }
    return undefined;
  }

  private emit(line: MappedText, file: string, lineNo: number): void {
    if (line.length === 0) return;
    const m = line.mapping();
    this.out.mapped(line.text, file, lineNo, m.col0, m.cols);
  }

  /** Handles `include GLOB` and its checked variants; false when the line is not one. */
  private include(line: MappedText, file: string, lineNo: number): boolean {
    const t = line.text;
    if (!t.startsWith('include')) return false;
    const w = words(t);
    if (w.length !== 2 || !INCLUDE_KEYWORDS.has(w[0])) return false;
    const kw = w[0];
    const pattern = w[1];
    const loc = { file, line: lineNo, column: line.colAt(t.indexOf(pattern, kw.length)) };
    // Checks (keepalived check_include): r = readable, m = must match unless wildcard,
    // w = must match even with wildcard, b = every brace alternative must match, a = all.
    const flags = kw.slice('include'.length);
    const all = flags === 'a';
    const checkMatch = all || flags === 'm';
    const checkWild = all || flags === 'w';
    const checkBrace = all || flags === 'b';
    const checked = flags !== '' && flags !== 'r';
    const cwd = dirname(resolve(file));
    const alternatives = expandBraces(pattern);
    const matched: string[][] = alternatives.map((alt) => this.opts.files.glob(alt, cwd));
    const missing = alternatives.filter((alt, i) => matched[i].length === 0);
    if (missing.length > 0) {
      const wildMissing = missing.filter((a) => WILDCARD.test(a));
      const plainMissing = missing.filter((a) => !WILDCARD.test(a));
      if (alternatives.length > 1) {
        this.sinkFor(checkBrace || checkMatch, 'include-not-found', `Some config files missing: "${pattern}".`, loc, pattern);
        if (checkBrace) return true;
      } else if (plainMissing.length > 0) {
        this.sinkFor(checkMatch, 'include-not-found', `Config files missing '${pattern}'.`, loc, pattern);
      } else if (wildMissing.length > 0 && checkWild) {
        this.sinkFor(true, 'include-not-found', `No config files matched '${pattern}'.`, loc, pattern);
      }
    }
    for (const path of matched.flat()) {
      const st = this.opts.files.stat?.(path);
      if (st !== undefined && st.kind === 'dir') continue;
      if (st !== undefined && (st.kind !== 'file' || st.executable)) {
        this.sinkFor(checked, 'include-not-regular', `Configuration file '${path}' is not a regular non-executable file - skipping`, loc, path);
        continue;
      }
      const real = this.real(path);
      if (this.stack.includes(real) || this.stack.length >= MAX_INCLUDE_DEPTH) {
        const chain = [...this.stackNames, path].join(' -> ');
        this.sink.error('include-cycle', `include cycle: ${chain} - skipping`, loc, { text: pattern });
        continue;
      }
      const text = this.opts.files.readFile(path);
      if (text === undefined) {
        this.sinkFor(flags === 'r' || all, 'include-unreadable', `Configuration file '${path}' open problem - skipping`, loc, path);
        continue;
      }
      this.readText(text, path);
    }
    return true;
  }

  private sinkFor(warn: boolean, code: string, message: string, loc: { file: string; line: number; column: number }, text: string): void {
    if (warn) this.sink.warning(code, message, loc, { text });
    else this.sink.info(code, message, loc, { text });
  }
}

/** Preprocesses config text as if read from `fileName` (includes resolve next to it). */
export function preprocessText(text: string, fileName: string, opts: PreprocessOptions, sink: DiagnosticSink): PreprocessResult {
  const out = new LineList();
  const p = new Preprocessor(opts, sink, out);
  p.readText(text, fileName);
  return { lines: out.lines, files: p.files };
}

/** Preprocesses the config file at `path` (which, as in keepalived, may be a glob). */
export function preprocessFile(path: string, opts: PreprocessOptions, sink: DiagnosticSink): PreprocessResult {
  const out = new LineList();
  const files = readMain(path, opts, sink, out);
  return { lines: out.lines, files };
}

/** The preprocessed lines joined with '\n', as the parser reads them, and their origins. */
export interface JoinedResult {
  readonly text: string;
  readonly map: LocationMap;
  /** Every file read, main file first, in the order first read. */
  readonly files: string[];
}

/** preprocessText() for the parser (see preprocess/line-output.ts JoinedLines). */
export function preprocessTextJoined(text: string, fileName: string, opts: PreprocessOptions, sink: DiagnosticSink): JoinedResult {
  const out = new JoinedLines();
  const p = new Preprocessor(opts, sink, out);
  p.readText(text, fileName);
  return { ...out.finish(), files: p.files };
}

/** preprocessFile() for the parser (see preprocess/line-output.ts JoinedLines). */
export function preprocessFileJoined(path: string, opts: PreprocessOptions, sink: DiagnosticSink): JoinedResult {
  const out = new JoinedLines();
  const files = readMain(path, opts, sink, out);
  return { ...out.finish(), files };
}

function readMain(path: string, opts: PreprocessOptions, sink: DiagnosticSink, out: LineOutput): string[] {
  const p = new Preprocessor(opts, sink, out);
  // keepalived globs the main path too; a plain path is reported as the user wrote it.
  const matches = /[*?[{]/.test(path)
    ? expandBraces(path).flatMap((alt) => opts.files.glob(alt, '.'))
    : opts.files.stat?.(path) !== undefined || opts.files.readFile(path) !== undefined
      ? [path]
      : [];
  const files = matches.filter((m) => opts.files.stat?.(m)?.kind !== 'dir');
  if (files.length === 0) {
    sink.warning('config-file-not-found', `Config files missing '${path}'.`, { file: path, line: 1, column: 1 }, { text: path });
  }
  for (const f of files) {
    const text = opts.files.readFile(f);
    if (text === undefined) {
      sink.warning('config-file-unreadable', `Configuration file '${f}' open problem - skipping`, { file: f, line: 1, column: 1 }, { text: f });
      continue;
    }
    p.readText(text, f);
  }
  return p.files;
}
