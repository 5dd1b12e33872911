import { describe, expect, it } from 'vitest';
import { parseScriptLine, splitEscaped, splitQuotedCommand, splitQuotedWords } from '../../../src/config/quoted.js';
import { parseConfigText } from '../../../src/config/parse.js';
import { DiagnosticSink } from '../../../src/lib/diagnostics.js';
import { memFiles } from '../../fixtures/config/mem-files.js';

describe('splitQuotedWords (alloc_strvec_quoted)', () => {
  it('both quote kinds group, quotes are dropped and adjacent pieces join', () => {
    expect(splitQuotedWords(`'abcd" efg h "x'`).words).toEqual(['abcd" efg h "x']);
    expect(splitQuotedWords(`a"b c"d  'e'"f" g`).words).toEqual(['ab cd', 'ef', 'g']);
    expect(splitQuotedWords(`"/usr/bin/n.sh master" root  wheel`).words).toEqual(['/usr/bin/n.sh master', 'root', 'wheel']);
    expect(splitQuotedWords(`""`).words).toEqual(['']);
    expect(splitQuotedWords('   ').words).toEqual([]);
  });
  it('keeps backslashes for the second split', () => {
    expect(splitQuotedWords(`"a\\tb"`).words).toEqual(['a\\tb']);
  });
  it('reports an unterminated quote', () => {
    expect(splitQuotedWords(`"abc`).error).toContain('missing terminating "');
    expect(splitQuotedWords(`x 'abc`).error).toContain("missing terminating '");
  });
});

describe('splitEscaped (alloc_strvec_quoted_escaped)', () => {
  it('splits a command into argv with quotes', () => {
    expect(splitEscaped(`/bin/sh -c 'echo "a  b" > /tmp/x'`).words).toEqual(['/bin/sh', '-c', 'echo "a  b" > /tmp/x']);
  });
  it('decodes the escapes inside and outside quotes', () => {
    expect(splitEscaped('\\a\\b\\E\\f\\n\\r\\t\\v').words).toEqual(['\x07\b\x1b\f\n\r\t\v']);
    expect(splitEscaped('\\101\\0\\7x \\x41\\x4a4a "\\x4g"').words).toEqual(['A\0\x07x', 'AJ', 'Jg'.replace('J', '\x04')]);
    expect(splitEscaped("\\cA\\c[ 'q\\'x' a\\ b \\\\ \\q").words).toEqual(['\x01\x1b', "q'x", 'a b', '\\', 'q']);
  });
  it('a backslash at the end is an error', () => {
    expect(splitEscaped('abc\\').error).toContain('Missing escape char');
  });
});

describe('script keywords end to end', () => {
  it('gives argv and trailing user/group from Statement.raw', () => {
    const sink = new DiagnosticSink();
    const tree = parseConfigText(
      `$D=/etc/keepalived\nvrrp_instance V {\n  notify_master "\${D}/notify.sh MASTER 'VI 1'" keepalived_script nogroup\n  notify /usr/bin/plain\n}\n`,
      '/etc/keepalived/keepalived.conf',
      { files: memFiles({}) },
      sink,
    );
    const [nm, n] = tree.statements[0].block!;
    expect(parseScriptLine(nm.raw)).toEqual({ argv: ['/etc/keepalived/notify.sh', 'MASTER', 'VI 1'], rest: ['keepalived_script', 'nogroup'] });
    expect(splitQuotedCommand(n.raw)).toEqual(['/usr/bin/plain']);
    expect(sink.items).toEqual([]);
  });
  it('reports nothing and returns no argv for an empty line', () => {
    expect(parseScriptLine('')).toEqual({ argv: [], rest: [] });
  });
});
