// Peggy plugin: character classes tested through a 128-entry lookup table instead of a RegExp.
//
//   peggy --plugin ./grammar/peggy-class-tables.mjs ... grammar/keepalived.peggy
//
// Peggy 5 compiles every character class `[...]` to a constant `peg$rN = /^[...]/` and tests one
// character at a time with `peg$rN.test(input.charAt(peg$currPos))`. For keepalived.conf nearly
// every input character goes through such a test (words, blanks, layout), and a RegExp call per
// character was the largest single cost of the parser. This plugin runs after Peggy's code
// generator and replaces each constant by an object with the same `test(s)` contract: the table
// holds the RegExp's own answer for every ASCII character (computed once per parse by calling
// that RegExp, so flags such as `i` are honoured), and anything else, including the empty
// string at the end of the input, is still answered by the RegExp. The generated parser is
// otherwise untouched and behaves identically; the grammar stays plain Peggy.
//
// Classes with the `u` flag are left alone (they match whole code points). Each constant is
// rewritten on its own line, so line numbers (and source maps) are preserved. If Peggy's output
// ever stops matching the expected form, the plugin changes nothing and warns.
//
// Second rewrite: a repetition of one character class inside a text capture (`$[...]+`,
// `$[...]*`) collects every matched character into an array that nothing reads (the capture
// only checks that the repetition matched, then takes input.substring). The array becomes
// `true` and the `push` is dropped; the loop, its tests and failure reporting stay as generated.
// Only loops whose array is provably unread are touched: the loop must be followed directly by
// the text capture's `input.substring`. (This removes a line, so source maps drift slightly.)

const CLASS_CONST = /^(\s*const peg\$r\d+ = )(\/\^\[.*\]\/i?);$/gm;

/** The replacement for `/^[...]/`: same `test(s)` answers, table lookup for ASCII. */
function tableFor(regexpLiteral) {
  return (
    '((re) => { const t = new Uint8Array(128); for (let c = 0; c < 128; c++) t[c] = re.test(String.fromCharCode(c)) ? 1 : 0; ' +
    'return { test: (s) => { const c = s.charCodeAt(0); return c < 128 ? t[c] === 1 : re.test(s); } }; })(' +
    regexpLiteral +
    ')'
  );
}

/** Rewrites the class constants in place in a SourceNode tree; returns how many. */
function rewriteNode(node) {
  let count = 0;
  const children = node.children;
  for (let i = 0; i < children.length; i++) {
    const child = children[i];
    if (typeof child === 'string') {
      children[i] = child.replace(CLASS_CONST, (_m, head, re) => {
        count++;
        return `${head}${tableFor(re)};`;
      });
    } else if (child && Array.isArray(child.children)) {
      count += rewriteNode(child);
    }
  }
  return count;
}

// `while (sC !== peg$FAILED) { sB.push(sC); <one class test> }` followed, after an optional
// `} else { sB = peg$FAILED; } if (sB !== peg$FAILED) {` (the `+` form), by
// `sA = input.substring(sA, peg$currPos);`. Groups: 1 loop head, 2 array var, 3 element var,
// 4 rest of the loop up to and including the substring line.
const TEXT_LOOP = new RegExp(
  // The array and the first test: `sB = []; sC = input.charAt(...); if (test) {...} else {...}`,
  // then (the `+` form) `if (sC !== peg$FAILED) {`.
  String.raw`(s\d+) = \[\];\n` +
    String.raw`([ ]*(s\d+) = input\.charAt\(peg\$currPos\);\n[ ]*if \(peg\$r\d+\.test\(\3\)\) \{\n[ ]*peg\$currPos\+\+;\n[ ]*\} else \{\n` +
    String.raw`[ ]*\3 = peg\$FAILED;\n[ ]*if \(peg\$silentFails === 0\) \{ peg\$fail\(peg\$e\d+\); \}\n[ ]*\}\n` +
    String.raw`(?:[ ]*if \(\3 !== peg\$FAILED\) \{\n)?` +
    // The loop: `while (sC !== peg$FAILED) { sB.push(sC); <the same test> }`.
    String.raw`[ ]*while \(\3 !== peg\$FAILED\) \{\n)[ ]*\1\.push\(\3\);\n` +
    String.raw`([ ]*\3 = input\.charAt\(peg\$currPos\);\n[ ]*if \(peg\$r\d+\.test\(\3\)\) \{\n[ ]*peg\$currPos\+\+;\n[ ]*\} else \{\n` +
    String.raw`[ ]*\3 = peg\$FAILED;\n[ ]*if \(peg\$silentFails === 0\) \{ peg\$fail\(peg\$e\d+\); \}\n[ ]*\}\n[ ]*\}\n` +
    // Then (the `+` form) `} else { sB = peg$FAILED; } if (sB !== peg$FAILED) {`, and the capture.
    String.raw`(?:[ ]*\} else \{\n[ ]*\1 = peg\$FAILED;\n[ ]*\}\n[ ]*if \(\1 !== peg\$FAILED\) \{\n)?` +
    String.raw`[ ]*(s\d+) = input\.substring\(\5, peg\$currPos\);\n)`,
  'g',
);

/**
 * Drops the unread pushes of text-captured class repetitions in a SourceNode tree. Peggy emits
 * a rule's code as one string child per line, so runs of adjacent string children are joined
 * (same parent, hence the same source mapping) before matching.
 */
function dropTextPushes(node) {
  let count = 0;
  const out = [];
  let run = [];
  const flush = () => {
    if (run.length === 0) return;
    out.push(
      // The array becomes `true` (only ever compared with peg$FAILED) and loses its pushes.
      run.join('').replace(TEXT_LOOP, (_m, arr, head, _el, rest) => {
        count++;
        return `${arr} = true;\n${head}${rest}`;
      }),
    );
    run = [];
  };
  for (const child of node.children) {
    if (typeof child === 'string') run.push(child);
    else {
      flush();
      if (child && Array.isArray(child.children)) count += dropTextPushes(child);
      out.push(child);
    }
  }
  flush();
  node.children = out;
  return count;
}

function classTables(ast) {
  const expected = (ast.classes ?? []).filter((c) => !c.unicode).length;
  if (expected === 0 || !ast.code || !Array.isArray(ast.code.children)) return;
  // Dry run on a copy of the text first: only rewrite when every class constant is found.
  const found = (ast.code.toString().match(CLASS_CONST) ?? []).length;
  if (found !== expected) {
    process.emitWarning(`peggy-class-tables: found ${found} of ${expected} character-class constants; parser left unchanged`);
    return;
  }
  rewriteNode(ast.code);
  dropTextPushes(ast.code);
}

export function use(config) {
  config.passes.generate.push(classTables);
}

export default { use };
