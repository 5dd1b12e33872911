import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ConfigTree, Statement } from '../../../src/config/ast.js';
import { checkScriptSecurity, checkTrackScripts, collectScripts, firstQuotedWord, programOf, resolveProgram } from '../../../src/cli/script-security.js';

const dir = mkdtempSync(join(tmpdir(), 'kt-scriptsec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const exe = join(dir, 'check.sh');
writeFileSync(exe, '#!/bin/sh\nexit 0\n');
chmodSync(exe, 0o755);
const plain = join(dir, 'not-exec.sh');
writeFileSync(plain, '#!/bin/sh\n');
chmodSync(plain, 0o644);

let line = 0;
function st(keyword: string, raw = '', block?: Statement[]): Statement {
  line++;
  const loc = { file: 'k.conf', line, column: 1 };
  const args = raw.split(/\s+/).filter(Boolean).map((t) => ({ text: t.replace(/"/g, ''), quoted: t.startsWith('"'), loc }));
  return block ? { keyword, args, raw, loc, block } : { keyword, args, raw, loc };
}
const tree = (...statements: Statement[]): ConfigTree => ({ statements, files: ['k.conf'] });

describe('script tokenisation', () => {
  it('takes keepalived\'s first quoted word, then its program', () => {
    expect(firstQuotedWord('"/usr/bin/mysqladmin ping" root')).toBe('/usr/bin/mysqladmin ping');
    expect(firstQuotedWord("'/bin/a b'\"c d\" user")).toBe('/bin/a bc d');
    expect(firstQuotedWord('  /bin/true')).toBe('/bin/true');
    expect(programOf('/usr/bin/mysqladmin ping')).toBe('/usr/bin/mysqladmin');
    expect(programOf('/opt/my\\ dir/x arg')).toBe('/opt/my dir/x');
  });
  it('resolves like execvp', () => {
    expect(resolveProgram(exe, '')).toBe(exe);
    expect(resolveProgram(plain, '')).toBeUndefined();
    expect(resolveProgram(dir, '')).toBeUndefined();
    expect(resolveProgram('check.sh', `/nonexistent:${dir}`)).toBe(exe);
    expect(resolveProgram('not-exec.sh', dir)).toBeUndefined();
  });
});

describe('checkScriptSecurity', () => {
  it('flags existing scripts without enable_script_security, once per process kind', () => {
    const t = tree(
      st('vrrp_script', 'chk', [st('script', `"${exe} --flag"`), st('interval', '2')]),
      st('vrrp_instance', 'VI_1', [st('notify_master', `"${exe}"`), st('notify_backup', '"/nonexistent/x.sh"')]),
      st('virtual_server', '192.0.2.1 80', [st('real_server', '192.0.2.2 80', [st('MISC_CHECK', '', [st('misc_path', `"${exe} 1"`)])])]),
    );
    expect(collectScripts(t).map((s) => s.keyword)).toEqual(['script', 'notify_master', 'notify_backup', 'misc_path']);
    const d = checkScriptSecurity(t, '');
    expect(d.map((x) => x.code)).toEqual(['script-security', 'script-security']);
    expect(d[0].message).toMatch(/^SECURITY VIOLATION - scripts are being executed/);
    expect(d[0].message).toBe('SECURITY VIOLATION - scripts are being executed but script_security not enabled.');
    expect(d[0].hint).toContain('2 scripts');
    expect(d[0].text).toBe(`${exe} --flag`); // located at the vrrp_script's `script` line
    expect(d[1].message).toMatch(/^SECURITY VIOLATION - check scripts/);
  });
  it('is quiet with enable_script_security or when no script exists', () => {
    const scripts = st('vrrp_instance', 'VI_1', [st('notify', `"${exe}"`)]);
    expect(checkScriptSecurity(tree(st('global_defs', '', [st('enable_script_security')]), scripts), '')).toEqual([]);
    // A script file that exists counts even without x bits (keepalived -t: SECURITY VIOLATION
    // for a mode 644 notify script; test/acceptance/host-checks.test.ts runs it side by side).
    expect(checkScriptSecurity(tree(st('vrrp_instance', 'VI_1', [st('notify_fault', '"/no/such"')])), '')).toEqual([]);
    expect(checkScriptSecurity(tree(st('vrrp_instance', 'VI_1', [st('notify', `"${plain}"`)])), '').map((d) => d.code)).toEqual(['script-security']);
  });
  it('ignores script keywords outside their blocks', () => {
    expect(checkScriptSecurity(tree(st('script', `"${exe}"`), st('global_defs', '', [st('notify_up', `"${exe}"`)])), '')).toEqual([]);
  });
});

describe('checkTrackScripts', () => {
  it('warns for a vrrp_script whose program is missing (not for one that exists without x bits), like keepalived -t', () => {
    const t = tree(
      st('vrrp_script', 'ok', [st('script', `"${exe} arg"`)]),
      st('vrrp_script', 'gone', [st('script', '"/nonexistent/kt/x.sh"')]),
      st('vrrp_script', 'plain', [st('script', `"${plain}"`)]),
      st('vrrp_script', 'bare', [st('script', '"check.sh"')]),
      st('vrrp_script', 'test', [st('script', '"</dev/tcp/127.0.0.1/80"')]),
      st('vrrp_instance', 'VI_1', [st('notify', '"/nonexistent/kt/notify.sh"')]),
    );
    const d = checkTrackScripts(t, dir);
    expect(d.map((x) => x.message)).toEqual([
      'Disabling track script gone since not found/accessible',
    ]);
    expect(d.every((x) => x.severity === 'warning' && x.code === 'script-not-found')).toBe(true);
    expect(checkTrackScripts(t, '/nonexistent').map((x) => x.message)).toContain('Disabling track script bare since not found/accessible');
  });
});
