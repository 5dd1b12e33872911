import { describe, expect, it } from 'vitest';
import { DiagnosticSink } from '../../../src/lib/diagnostics.js';
import { expandBraces, preprocessFile, preprocessText, type SourceLine } from '../../../src/config/preprocess.js';
import { memFiles } from '../../fixtures/config/mem-files.js';

const noFiles = memFiles({});

function pre(text: string, opts: { configId?: string; random?: () => number } = {}) {
  const sink = new DiagnosticSink();
  const r = preprocessText(text, '/etc/keepalived/keepalived.conf', { files: noFiles, ...opts }, sink);
  return { texts: r.lines.map((l) => l.text), lines: r.lines, diags: sink.items, files: r.files };
}
const texts = (text: string, opts: { configId?: string; random?: () => number } = {}) => pre(text, opts).texts;

/** One test per row: preprocessing `text` (with `opts`) gives the lines `want`. */
function textCases(rows: readonly (readonly [name: string, text: string, want: string[], opts?: { configId?: string }])[]): void {
  for (const [name, text, want, opts] of rows) it(name, () => expect(texts(text, opts)).toEqual(want));
}

/** Source column of character `i` of an output line. */
const colOf = (l: SourceLine, i: number): number => (l.cols === null ? l.col0 + i : l.cols[i]);

describe('decomment and layout', () => {
  textCases([
    ['strips comments outside double quotes and trims blanks', '  a b  # c\n\tx "y # z" ! w\n# only\n! only\n\n   \nq!r', ['a b', 'x "y # z"', 'q']],
    ['keeps CRLF files working', 'a 1\r\nb 2\r\n', ['a 1', 'b 2']],
    ['treats \\# outside quotes as a comment start, as the keepalived children see it', 'j\\#x\nk "l\\#m"', ['j', 'k "l\\#m"']],
    ['has no general line continuation: a trailing backslash stays, glued to the text', 'n 5 \\\no', ['n 5\\', 'o']],
  ]);
  it('reports and ignores lines longer than 1022 characters (keepalived MAXBUF 1024)', () => {
    const r = pre(`a\n${'k'.repeat(1023)}\nb\n${'k'.repeat(1022)}`);
    expect(r.texts).toEqual(['a', 'b', 'k'.repeat(1022)]);
    expect(r.diags.map((d) => [d.code, d.loc.line])).toEqual([['line-too-long', 2]]);
  });
  it('keeps exact columns for unmodified lines', () => {
    const r = pre('   vrrp_instance VI_1 {   # x');
    expect(r.lines[0]).toMatchObject({ text: 'vrrp_instance VI_1 {', line: 1, col0: 4, cols: null });
  });
});

describe('@id conditional lines', () => {
  const src = '@main a 1\n@^main b 2\n@backup c 3\n@^backup d 4\n@main\ne 5\n@main   $P=7\nf $P';
  it('keeps lines for the matching id and drops the others', () => {
    expect(texts(src, { configId: 'main' })).toEqual(['a 1', 'd 4', 'e 5', 'f 7']);
    expect(texts(src, { configId: 'backup' })).toEqual(['b 2', 'c 3', 'e 5', 'f $P']);
  });
  it('without a config id only @^ lines are kept', () => {
    expect(texts(src)).toEqual(['b 2', 'd 4', 'e 5', 'f $P']);
  });
  it('maps columns past the removed prefix', () => {
    const r = pre('  @main  router_id x', { configId: 'main' });
    expect(r.lines[0]).toMatchObject({ text: 'router_id x', col0: 10 });
  });
});

describe('$NAME parameters', () => {
  textCases([
    ['substitutes $NAME before blank , ) or end and ${NAME} anywhere [obs 2.2.7]', '$X=5 # comment\nbogus_$X ${X}0x $Xa $X,y ($X) "$X" $X', ['bogus_5 50x $Xa 5,y (5) "$X" 5']],
    ['needs no blank before = and skips blanks after it; empty values are allowed', '$A =1\n$B=   2\n$C=\na $A $B [$C] ${C}|', ['$A =1', 'a $A 2 [$C] |']],
    ['uses the value at the time of use; redefinition is allowed', '$V=1\na $V\n$V=2\nb $V', ['a 1', 'b 2']],
    ['leaves undefined names and lone dollars alone', 'notify "/bin/x $HOME ${UNSET} $"\nc $', ['notify "/bin/x $HOME ${UNSET} $"', 'c $']],
    ['expands recursively', '$A=1\n$B=x$A y\n$C=${B}z\nv $C', ['v x1 yz']],
  ]);
  it('stops a self-referencing definition with a diagnostic', () => {
    const r = pre('$A=a$A\nv $A');
    expect(r.diags.map((d) => d.code)).toContain('substitution-too-long');
  });
  it('multi-line definitions expand to several lines', () => {
    const src = '$M=abc \\\n  def\\\n  ghi\n$M\nafter';
    expect(texts(src)).toEqual(['abc', 'def', 'ghi', 'after']);
  });
  it('a multi-line definition ends at a blank or comment-only line', () => {
    expect(texts('$M=a \\\nb \\\n\nc\n$M')).toEqual(['c', 'a', 'b']);
    expect(texts('$M=a \\\n# x\nc\n$M')).toEqual(['c', 'a']);
  });
  it('a multi-line parameter is only used where it ends the line', () => {
    expect(texts('$M=a \\\nb\nx $M\ny $M z')).toEqual(['x a', 'b', 'y $M z']);
  });
  it('multi-line values may hold blocks and further parameters', () => {
    const src = '$IP=10.0.0.1\n$VIPS=virtual_ipaddress { \\\n  $IP \\\n}\nvrrp_instance A {\n$VIPS\n}';
    expect(texts(src)).toEqual(['vrrp_instance A {', 'virtual_ipaddress {', '10.0.0.1', '}', '}']);
  });
  it('definitions may follow @id', () => {
    expect(texts('$P=100\n@main $P=240\npriority $P', { configId: 'main' })).toEqual(['priority 240']);
    expect(texts('$P=100\n@main $P=240\npriority $P', { configId: 'other' })).toEqual(['priority 100']);
  });
  it('built-ins: _PWD, _INSTANCE, _RANDOM [MIN [MAX]] with an injected random source', () => {
    const r = texts('a ${_PWD} ${_INSTANCE}\nb ${_RANDOM} ${_RANDOM 3 3} ${_RANDOM 10 20}', { configId: 'n1', random: () => 0.5 });
    expect(r).toEqual(['a /etc/keepalived n1', 'b 16384 3 15']);
    expect(texts('c ${_RANDOM 5}', { random: () => 0.999999 })).toEqual(['c 32767']);
  });
  textCases([
    ['_HASH and _BANG only survive inside double quotes (the line is decommented again)', 'a "${_HASH}x${_BANG}" b\n${_HASH}gone\nc${_HASH} d', ['a "#x!" b', 'c']],
    ['user definitions override built-ins', '$_INSTANCE=mine\na ${_INSTANCE}', ['a mine'], { configId: 'n1' }],
    ['a parameter may expand to a conditional line', '$C=@main\n$C x 1\n$C\n', ['x 1'], { configId: 'main' }],
  ]);
  it('maps substituted text to the column of the $ and keeps later columns exact', () => {
    const r = pre('$IP=10.1.1.1\n  vip ${IP} dev eth0');
    const l = r.lines[0];
    expect(l.text).toBe('vip 10.1.1.1 dev eth0');
    expect(colOf(l, 0)).toBe(3);
    expect(colOf(l, 4)).toBe(7); // first char of the value -> the '$'
    expect(colOf(l, 11)).toBe(7);
    expect(colOf(l, l.text.indexOf('dev'))).toBe(13);
    expect(colOf(l, l.text.indexOf('eth0'))).toBe(17);
  });
});

describe('~SEQ and ~LST', () => {
  it('matches keepalived 2.2.7 for the forms of ~SEQ [obs]', () => {
    expect(texts('~SEQ(i, 3) s_$i')).toEqual(['s_1', 's_2', 's_3']);
    expect(texts('~SEQ(i, -2) c_$i')).toEqual(['c_-1', 'c_-2']);
    expect(texts('~SEQ(i, 3, 1) d_$i')).toEqual(['d_3', 'd_2', 'd_1']);
    expect(texts('~SEQ(i, 2, 5) e_$i')).toEqual(['e_2', 'e_3', 'e_4', 'e_5']);
    expect(texts('~SEQ(i, 10, -5, 0) f_$i')).toEqual(['f_10', 'f_5', 'f_0']);
    expect(texts('~SEQx(i, 9, 3, 16) b_$i')).toEqual(['b_9', 'b_c', 'b_f']);
    expect(texts('~SEQ(i, 0x10, 0x11) h_$i')).toEqual(['h_16', 'h_17']);
  });
  it('takes parameters from definitions', () => {
    expect(texts('$N=3\n$S=2\n~SEQ(i, $S, $N) x_$i')).toEqual(['x_2', 'x_3']);
  });
  it('~LST single and multi-variable, missing values blank [obs 2.2.7]', () => {
    expect(texts('~LST(v, p, q) a_$v')).toEqual(['a_p', 'a_q']);
    expect(texts('~LST({a,b}, {1,2}, {3}) f_${a}_${b}')).toEqual(['f_1_2', 'f_3_']);
  });
  it('nests several on one line, leftmost outermost', () => {
    expect(texts('~LST(v, p, q) ~SEQ(j, 2) e_${v}_$j')).toEqual(['e_p_1', 'e_p_2', 'e_q_1', 'e_q_2']);
  });
  it('works after @id and repeats whole blocks on one line', () => {
    expect(texts('@a ~SEQ(i, 2) real_server 10.0.0.$i 80 { weight $i }', { configId: 'a' })).toEqual([
      'real_server 10.0.0.1 80 { weight 1 }',
      'real_server 10.0.0.2 80 { weight 2 }',
    ]);
  });
  it('reports invalid specifications and drops the line', () => {
    const r = pre('~SEQ(i, 1, 0, 5) x\n~SEQ(i 5) y\n~SEQ(i, 5 z\n~SEQx(i, -1, 2) w\n~LST(v) u\nok');
    expect(r.texts).toEqual(['ok']);
    expect(r.diags.map((d) => [d.code, d.loc.line])).toEqual([
      ['invalid-seq', 1],
      ['invalid-seq', 2],
      ['invalid-seq', 3],
      ['invalid-seq', 4],
      ['invalid-lst', 5],
    ]);
    expect(r.diags[2].message).toContain("missing terminating ')'");
  });
  it('maps repeated text to the columns after the ~SEQ(...) prefix', () => {
    const r = pre('~SEQ(i, 2) key v$i');
    expect(r.lines[1]).toMatchObject({ text: 'key v2', line: 1 });
    expect(colOf(r.lines[1], 0)).toBe(12);
    expect(colOf(r.lines[1], 5)).toBe(17); // the value maps to its `$`
  });
});

describe('include', () => {
  const tree = {
    '/etc/k/main.conf': 'top 1\ninclude conf.d/*.conf\nafter 1\n',
    '/etc/k/conf.d/b.conf': 'b 1\ninclude ../sub/x.conf\n',
    '/etc/k/conf.d/a.conf': 'a 1\n',
    '/etc/k/conf.d/.hidden.conf': 'hidden 1\n',
    '/etc/k/sub/x.conf': 'x 1\n',
  };
  const run = (files: ReturnType<typeof memFiles>, path = '/etc/k/main.conf', configId?: string) => {
    const sink = new DiagnosticSink();
    const r = preprocessFile(path, { files, ...(configId ? { configId } : {}) }, sink);
    return { r, sink, texts: r.lines.map((l) => `${l.file}:${l.line}:${l.text}`) };
  };
  it('reads sorted glob matches, nested includes relative to the including file', () => {
    const { texts: t, r, sink } = run(memFiles(tree));
    expect(t).toEqual([
      '/etc/k/main.conf:1:top 1',
      '/etc/k/conf.d/a.conf:1:a 1',
      '/etc/k/conf.d/b.conf:1:b 1',
      '/etc/k/sub/x.conf:1:x 1',
      '/etc/k/main.conf:3:after 1',
    ]);
    expect(r.files).toEqual(['/etc/k/main.conf', '/etc/k/conf.d/a.conf', '/etc/k/conf.d/b.conf', '/etc/k/sub/x.conf']);
    expect(sink.items).toEqual([]);
  });
  it('detects include cycles without hanging', () => {
    const files = memFiles({
      '/c/a.conf': 'a 1\ninclude b.conf\n',
      '/c/b.conf': 'b 1\ninclude a.conf\ninclude b.conf\nb 2\n',
    });
    const { texts: t, sink } = run(files, '/c/a.conf');
    expect(t).toEqual(['/c/a.conf:1:a 1', '/c/b.conf:1:b 1', '/c/b.conf:4:b 2']);
    expect(sink.items.map((d) => [d.code, d.severity, d.loc.file, d.loc.line, d.loc.column])).toEqual([
      ['include-cycle', 'error', '/c/b.conf', 2, 9],
      ['include-cycle', 'error', '/c/b.conf', 3, 9],
    ]);
  });
  it('sees cycles through symlinks via realpath', () => {
    const files = memFiles({ '/c/a.conf': 'include link.conf\n' }, { symlinks: { '/c/link.conf': '/c/a.conf' } });
    expect(run(files, '/c/a.conf').sink.items.map((d) => d.code)).toEqual(['include-cycle']);
  });
  it('a missing file is only information for plain include; checked variants warn', () => {
    const files = memFiles({
      '/c/m.conf': 'include nothere.conf\ninclude none*.conf\nincludem nothere.conf\nincludew none*.conf\nincluder x.conf\nz 1\n',
      '/c/x.conf': 'x 1\n',
    });
    const { texts: t, sink } = run(files, '/c/m.conf');
    expect(t).toEqual(['/c/x.conf:1:x 1', '/c/m.conf:6:z 1']);
    expect(sink.items.map((d) => [d.code, d.severity, d.loc.line])).toEqual([
      ['include-not-found', 'info', 1],
      ['include-not-found', 'warning', 3],
      ['include-not-found', 'warning', 4],
    ]);
    expect(sink.errorCount).toBe(0);
  });
  it('includeb skips the whole include when one brace alternative is missing; include reads the rest', () => {
    const files = memFiles({ '/c/m.conf': 'include {x,y}.conf\nincludeb {x,y}.conf\n', '/c/x.conf': 'x 1\n' });
    const { texts: t, sink } = run(files, '/c/m.conf');
    expect(t).toEqual(['/c/x.conf:1:x 1']);
    expect(sink.items.map((d) => [d.severity, d.message])).toEqual([
      ['info', 'Some config files missing: "{x,y}.conf".'],
      ['warning', 'Some config files missing: "{x,y}.conf".'],
    ]);
  });
  it('skips executable files like keepalived', () => {
    const files = memFiles({ '/c/m.conf': 'include *.sh\n', '/c/run.sh': 'x 1\n' }, { executable: ['/c/run.sh'] });
    const { texts: t, sink } = run(files, '/c/m.conf');
    expect(t).toEqual([]);
    expect(sink.items.map((d) => d.code)).toEqual(['include-not-regular']);
  });
  it('includes work after @id and through a parameter [obs 2.2.7]', () => {
    const files = memFiles({ '/c/m.conf': '$INC=include i1.conf\n@n1 include i2.conf\n$INC\n@^n1 include i3.conf\n', '/c/i1.conf': 'one 1\n', '/c/i2.conf': 'two 2\n', '/c/i3.conf': 'three 3\n' });
    expect(run(files, '/c/m.conf', 'n1').texts).toEqual(['/c/i2.conf:1:two 2', '/c/i1.conf:1:one 1']);
  });
  it('definitions are global across files; ${_PWD} is the current file directory', () => {
    const files = memFiles({ '/c/m.conf': '$V=9\ninclude d/i.conf\nm $V ${_PWD}\n', '/c/d/i.conf': 'i $V ${_PWD}\n$V=10\n' });
    expect(run(files, '/c/m.conf').texts).toEqual(['/c/d/i.conf:1:i 9 /c/d', '/c/m.conf:3:m 10 /c']);
  });
  it('an include line needs exactly two words', () => {
    expect(texts('include a b\ninclude')).toEqual(['include a b', 'include']);
  });
  it('reports a missing main file', () => {
    const { sink, r } = run(memFiles({}), '/nope.conf');
    expect(r.lines).toEqual([]);
    expect(sink.items.map((d) => d.code)).toEqual(['config-file-not-found']);
  });
});

describe('expandBraces', () => {
  it('expands like glob(3) GLOB_BRACE, in order', () => {
    expect(expandBraces('a{b,c{d,e}}f')).toEqual(['abf', 'acdf', 'acef']);
    expect(expandBraces('/x/{1,2}/*.conf')).toEqual(['/x/1/*.conf', '/x/2/*.conf']);
    expect(expandBraces('plain')).toEqual(['plain']);
  });
});
