import { describe, expect, it } from 'vitest';
import type { Statement } from '../../../src/config/ast.js';
import { parseConfigFile, parseConfigText, type BlockKeywords } from '../../../src/config/parse.js';
import { DiagnosticSink, formatDiagnostic } from '../../../src/lib/diagnostics.js';
import { memFiles } from '../../fixtures/config/mem-files.js';

const FILE = '/etc/keepalived/keepalived.conf';

function parse(text: string, opts: { configId?: string; blockKeywords?: BlockKeywords } = {}) {
  const sink = new DiagnosticSink();
  const tree = parseConfigText(text, FILE, { files: memFiles({}), ...opts }, sink);
  return { tree, sink, diags: sink.items.map(formatDiagnostic).map((s) => s.replace(`${FILE}:`, '')) };
}

/** Compact view: keyword(args){children} */
function shape(stmts: readonly Statement[]): string {
  return stmts
    .map((s) => {
      const args = s.args.map((a) => (a.quoted ? JSON.stringify(a.text) : a.text)).join(' ');
      const head = args ? `${s.keyword} ${args}` : s.keyword;
      return s.block ? `${head} {${shape(s.block)}}` : head;
    })
    .join('; ');
}

describe('block structure', () => {
  it('parses nested blocks with { on the keyword line', () => {
    const { tree, diags } = parse('global_defs {\n  router_id LVS_1\n}\nvrrp_instance VI_1 {\n  state MASTER\n  virtual_ipaddress {\n    10.1.1.1/24 dev eth0\n  }\n}\n');
    expect(shape(tree.statements)).toBe('global_defs {router_id LVS_1}; vrrp_instance VI_1 {state MASTER; virtual_ipaddress {10.1.1.1/24 dev eth0}}');
    expect(diags).toEqual([]);
    expect(tree.files).toEqual([FILE]);
  });
  it('accepts { on the next line (after blank and comment lines)', () => {
    const { tree, diags } = parse('vrrp_instance VI_1\n\n# comment\n{\n state BACKUP\n}\n');
    expect(shape(tree.statements)).toBe('vrrp_instance VI_1 {state BACKUP}');
    expect(diags).toEqual([]);
  });
  it('accepts whole blocks on one line and } sharing a line with content', () => {
    const { tree, diags } = parse('virtual_ipaddress { 10.1.1.1 10.1.1.2 }\nglobal_defs { router_id x\n notification_email_from a@b }\nempty {}\n');
    expect(shape(tree.statements)).toBe('virtual_ipaddress {10.1.1.1 10.1.1.2}; global_defs {router_id x; notification_email_from a@b}; empty {}');
    expect(diags).toEqual([]);
  });
  it('splits words like keepalived: quotes keep blanks, a mid-word quote ends the word, ; is not special', () => {
    const { tree } = parse('a 1"00" "x y" "" b"c d"e\nrouter_id x ; foo\n"quoted kw" v');
    expect(tree.statements[0].args.map((a) => [a.text, a.quoted])).toEqual([
      ['1', false],
      ['00', true],
      ['x y', true],
      ['', true],
      ['b', false],
      ['c d', true],
      ['e', false],
    ]);
    expect(shape(tree.statements.slice(1))).toBe('router_id x ; foo; quoted kw v');
    expect(tree.statements[2].keyword).toBe('quoted kw');
  });
  it('braces and comment characters inside quotes are text', () => {
    const { tree, diags } = parse('notify "/bin/x {a} #b !c"\n');
    expect(tree.statements[0].args[0].text).toBe('/bin/x {a} #b !c');
    expect(diags).toEqual([]);
  });
  it('raw is the rest of the line after the keyword, as preprocessed, without the block brace', () => {
    const { tree } = parse("$S=/usr/bin/notify\nvrrp_instance V {\n notify_master \"$S master\"   root  # c\n notify   '/bin/sh -c \"echo  hi\"'\n}\n");
    const inst = tree.statements[0];
    expect(inst.raw).toBe('V');
    expect(inst.block![0].raw).toBe('"/usr/bin/notify master"   root');
    expect(inst.block![1].raw).toBe('\'/bin/sh -c "echo  hi"\'');
  });
});

describe('locations', () => {
  it('gives file:line:column of keywords and arguments', () => {
    const { tree } = parse('global_defs {\n\trouter_id  "my id"\n}\n');
    const rid = tree.statements[0].block![0];
    expect(tree.statements[0].loc).toEqual({ file: FILE, line: 1, column: 1 });
    expect(rid.loc).toEqual({ file: FILE, line: 2, column: 2 });
    expect(rid.args[0].loc).toEqual({ file: FILE, line: 2, column: 13 });
  });
  it('keeps locations through includes and macros', () => {
    const files = memFiles({
      '/k/main.conf': '$PRIO=150\nvrrp_instance A {\n  include inst.d/*.conf\n  ~SEQ(i, 2) track_$i x\n}\n',
      '/k/inst.d/p.conf': '# prio\n   priority   $PRIO\n',
    });
    const sink = new DiagnosticSink();
    const tree = parseConfigFile('/k/main.conf', { files }, sink);
    const inst = tree.statements[0];
    expect(inst.block!.map((s) => [s.keyword, s.args[0].text, s.loc.file, s.loc.line, s.loc.column, s.args[0].loc.column])).toEqual([
      ['priority', '150', '/k/inst.d/p.conf', 2, 4, 15],
      ['track_1', 'x', '/k/main.conf', 4, 14, 23],
      ['track_2', 'x', '/k/main.conf', 4, 14, 23],
    ]);
    expect(tree.files).toEqual(['/k/main.conf', '/k/inst.d/p.conf']);
    expect(sink.items).toEqual([]);
  });
  it('a block can span files', () => {
    const files = memFiles({ '/k/m.conf': 'vrrp_instance A {\ninclude body.conf\n}\n', '/k/body.conf': 'state MASTER\n' });
    const sink = new DiagnosticSink();
    const tree = parseConfigFile('/k/m.conf', { files }, sink);
    expect(shape(tree.statements)).toBe('vrrp_instance A {state MASTER}');
    expect(tree.statements[0].block![0].loc.file).toBe('/k/body.conf');
  });
});

describe('structural errors recover', () => {
  /** Text, the statements kept (shape) and the diagnostics, one test each. */
  const RECOVERIES: { name: string; text: string; opts?: { blockKeywords?: BlockKeywords }; shape: string; diags: string[] }[] = [
    {
      name: 'extra } is reported and the rest is still parsed',
      text: 'a 1\n}\nb { c 2 }\n  }\nd 3\n',
      shape: 'a 1; b {c 2}; d 3',
      diags: ["2:1: error[extra-close-brace]: Extra '}' found", "4:3: error[extra-close-brace]: Extra '}' found"],
    },
    {
      name: 'missing { on a block keyword: reported, following lines up to } become its block',
      text: 'vrrp_instance VI_1\n  state MASTER\n  priority 100\n}\nvrrp_script chk {\n  script x\n}\n',
      shape: 'vrrp_instance VI_1 {state MASTER; priority 100}; vrrp_script chk {script x}',
      diags: ["1:1: error[missing-open-brace]: Missing '{' at beginning of configuration block"],
    },
    {
      name: 'missing { inside a block keeps the enclosing block intact',
      text: 'virtual_server 10.0.0.1 80 {\n  real_server 10.0.0.2 80\n    weight 1\n  }\n  lb_algo rr\n}\n',
      shape: 'virtual_server 10.0.0.1 80 {real_server 10.0.0.2 80 {weight 1}; lb_algo rr}',
      diags: ["2:3: error[missing-open-brace]: Missing '{' at beginning of configuration block"],
    },
    {
      name: 'blockKeywords is configurable',
      text: 'vrrp_instance VI_1\nstate x\n}\n',
      opts: { blockKeywords: new Set() },
      shape: 'vrrp_instance VI_1; state x',
      diags: ["3:1: error[extra-close-brace]: Extra '}' found"],
    },
    {
      name: 'unmatched quote drops the rest of the line and parsing continues',
      text: 'a {\n  notify "/bin/x { y\n  b 2\n}\nc 3\n',
      shape: 'a {notify; b 2}; c 3',
      diags: ['2:10: error[unmatched-quote]: Unmatched quote'],
    },
    {
      name: 'a line starting with an unmatched quote is empty, as in keepalived',
      text: '"abc def\nb 1\n',
      shape: 'b 1',
      diags: ['1:1: error[unmatched-quote]: Unmatched quote'],
    },
    {
      name: 'a stray { is reported and its content kept at the current level',
      text: 'a { b 1 }\n{\n c 2\n}\nd 3\n',
      shape: 'a {b 1}; c 2; d 3',
      diags: ["2:1: error[unexpected-open-brace]: Unexpected '{' - ignoring"],
    },
  ];

  for (const c of RECOVERIES) {
    it(c.name, () => {
      const { tree, diags } = parse(c.text, c.opts);
      expect(shape(tree.statements)).toBe(c.shape);
      expect(diags).toEqual(c.diags);
    });
  }

  it('missing } at EOF is reported at the opening brace', () => {
    const { tree, diags } = parse('global_defs { router_id x }\nvrrp_instance V {\n  state MASTER\n  virtual_ipaddress {\n    1.1.1.1\n');
    expect(shape(tree.statements)).toBe('global_defs {router_id x}; vrrp_instance V {state MASTER; virtual_ipaddress {1.1.1.1}}');
    expect(diags.map((d) => d.split(': ')[0] + ' ' + d.split(' ')[1])).toEqual(['2:17 error[missing-close-brace]:', '4:21 error[missing-close-brace]:']);
  });
  it('blockKeywords may be a function of the keyword and its enclosing blocks', () => {
    const seen: string[] = [];
    const isBlock = (kw: string, parents: readonly string[]): boolean => {
      seen.push([...parents, kw].join('/'));
      return kw === 'group' && parents.at(-1) === 'vrrp_sync_group';
    };
    const { tree, diags } = parse('vrrp_sync_group G {\n  group\n    VI_1\n  }\n}\nvirtual_server group VSG {\n  x 1\n}\n', { blockKeywords: isBlock });
    expect(shape(tree.statements)).toBe('vrrp_sync_group G {group {VI_1}}; virtual_server group VSG {x 1}');
    expect(diags).toEqual(["2:3: error[missing-open-brace]: Missing '{' at beginning of configuration block"]);
    expect(seen).toEqual(['vrrp_sync_group/group', 'vrrp_sync_group/group/VI_1', 'virtual_server/x']);
  });
  it('never throws on arbitrary input', () => {
    const junk = ['{', '}', '"', '#', '!', '\n', ' ', 'a', '$', '@', '~SEQ(', '\\', ')', ','];
    let seed = 7;
    for (let n = 0; n < 300; n++) {
      let s = '';
      for (let k = 0; k < 60; k++) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        s += junk[seed % junk.length];
      }
      expect(() => parse(s)).not.toThrow();
    }
  });
});
