// `~SEQ(var, [start,] [step,] end)`, `~SEQx(...)` and `~LST(var, v1, ...)` /
// `~LST({a,b}, {1,2}, {3,4})` (keepalived lib/parser.c add_seq/add_lst; man keepalived.conf
// "Sequence blocks"). The rest of the line is repeated once per value with `$var` defined.

/** One iteration: the variable assignments to make before reading the repeated text. */
export type Assignments = ReadonlyArray<readonly [name: string, value: string]>;

export interface SequenceSpec {
  /** Offset in the line where the repeated text starts. */
  readonly textStart: number;
  readonly iterations: readonly Assignments[];
}

export interface SequenceError {
  readonly error: string;
}

/** C strtol(s, &end, 0) on a trimmed piece: decimal, 0x hex or 0 octal, optional sign. */
function strtol0(s: string): number | undefined {
  const m = /^\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)\s*$/.exec(s);
  if (m === null) return undefined;
  const body = m[2];
  let v: number;
  if (body.length > 1 && (body[1] === 'x' || body[1] === 'X')) v = parseInt(body.slice(2), 16);
  else if (body.length > 1 && body[0] === '0') v = parseInt(body.slice(1), 8);
  else v = parseInt(body, 10);
  return m[1] === '-' ? -v : v;
}

const BLANKS = /^[ \t]*/;

/**
 * Parses a line starting `~SEQ`/`~SEQx`/`~LST`. `expand` substitutes `$NAME`s in the
 * parameter list (parameters may be definitions). Returns undefined when the line is not one.
 */
export function parseSequence(text: string, expand: (params: string) => string): SequenceSpec | SequenceError | undefined {
  let kind: 'SEQ' | 'SEQx' | 'LST';
  let p: number;
  if (text.startsWith('~SEQx')) {
    kind = 'SEQx';
    p = 5;
  } else if (text.startsWith('~SEQ')) {
    kind = 'SEQ';
    p = 4;
  } else if (text.startsWith('~LST')) {
    kind = 'LST';
    p = 4;
  } else return undefined;
  const name = kind === 'LST' ? '~LST' : '~SEQ';
  p += BLANKS.exec(text.slice(p))![0].length;
  if (text[p] !== '(') return { error: `Invalid ${name} specification '${text}'` };
  // The closing ')' is the first one outside {...}.
  let depth = 0;
  let close = -1;
  for (let i = p + 1; i < text.length; i++) {
    const c = text[i];
    if (c === '{') depth++;
    else if (c === '}') depth--;
    else if (c === ')' && depth <= 0) {
      close = i;
      break;
    }
  }
  if (close < 0) return { error: `${name} missing terminating ')' '${text}'` };
  let textStart = close + 1;
  textStart += BLANKS.exec(text.slice(textStart))![0].length;
  const inner = text.slice(p + 1, close);
  if (kind === 'LST') {
    const iterations = parseList(inner, expand);
    if (iterations === undefined) return { error: `Invalid ~LST specification '${text}'` };
    return { textStart, iterations };
  }
  const comma = inner.indexOf(',');
  const variable = (comma < 0 ? inner : inner.slice(0, comma)).trim();
  if (comma < 0 || variable === '' || /[ \t]/.test(variable)) return { error: `Invalid ~SEQ specification '${text}'` };
  const nums = expand(inner.slice(comma + 1))
    .split(',')
    .map(strtol0);
  if (nums.length > 3 || nums.some((n) => n === undefined)) return { error: `Invalid ~SEQ specification '${text}'` };
  let start: number;
  let step: number;
  let end: number;
  if (nums.length === 1) {
    end = nums[0]!;
    step = end < 1 ? -1 : 1;
    start = end < 0 ? -1 : 1;
  } else if (nums.length === 2) {
    start = nums[0]!;
    end = nums[1]!;
    step = start <= end ? 1 : -1;
  } else {
    start = nums[0]!;
    step = nums[1]!;
    end = nums[2]!;
    if (step === 0 || (start < end && step < 0) || (start > end && step > 0)) {
      return { error: `Invalid ~SEQ values '${text}'` };
    }
  }
  if (kind === 'SEQx' && (start < 0 || end < 0)) return { error: `~SEQx is only valid for positive numbers '${text}'` };
  const iterations: Assignments[] = [];
  for (let v = start; step > 0 ? v <= end : v >= end; v += step) {
    iterations.push([[variable, kind === 'SEQx' ? v.toString(16) : String(v)]]);
    if (iterations.length > 1_000_000) return { error: `~SEQ too long '${text}'` };
  }
  return { textStart, iterations };
}

/** Splits on ',' outside {...}. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '{') depth++;
    else if (c === '}') depth--;
    else if (c === ',' && depth === 0) {
      out.push(s.slice(from, i));
      from = i + 1;
    }
  }
  out.push(s.slice(from));
  return out;
}

function unbrace(s: string): string[] | undefined {
  const t = s.trim();
  if (!t.startsWith('{')) return [t];
  if (!t.endsWith('}')) return undefined;
  return t
    .slice(1, -1)
    .split(',')
    .map((x) => x.trim());
}

function parseList(inner: string, expand: (params: string) => string): Assignments[] | undefined {
  const parts = splitTop(inner);
  if (parts.length < 2) return undefined;
  const vars = unbrace(parts[0]);
  if (vars === undefined || vars.some((v) => v === '' || /[ \t]/.test(v))) return undefined;
  const iterations: Assignments[] = [];
  for (const part of parts.slice(1)) {
    const values = unbrace(expand(part));
    if (values === undefined) return undefined;
    iterations.push(vars.map((v, i) => [v, values[i] ?? ''] as const));
  }
  return iterations;
}
