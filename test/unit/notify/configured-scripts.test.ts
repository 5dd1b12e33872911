// The one list of configured scripts and the summary checks `-t` and the daemon share
// (src/notify/script-security.ts), driven by configs through the real parser.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  configuredScripts,
  missingTrackScripts,
  nodeSecurityFs,
  parseUserDb,
  prepareConfiguredScript,
  programOf,
  resolveProgram,
  securityViolations,
} from '../../../src/notify/script-security.js';
import { build } from '../config/model-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'kt-scriptsec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const exe = join(dir, 'check.sh');
writeFileSync(exe, '#!/bin/sh\nexit 0\n');
chmodSync(exe, 0o755);
const plain = join(dir, 'not-exec.sh');
writeFileSync(plain, '#!/bin/sh\n');
chmodSync(plain, 0o644);

const inst = (body: string) => `vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n virtual_ipaddress {\n  192.0.2.1\n }\n${body}\n}\n`;
const scriptsOf = (text: string) => configuredScripts(build(text).model);

describe('configuredScripts', () => {
  it('lists every script keyword of the VRRP and checker sides, with keepalived\'s tokenisation', () => {
    const s = scriptsOf(
      `vrrp_script chk {\n script "${exe} --flag"\n user nobody\n}\n` +
        inst(` notify_master "/usr/bin/mysqladmin ping" root\n notify_backup "/nonexistent/x.sh"\n notify_deleted '/bin/a b'"c d" root`) +
        `vrrp_sync_group G {\n group {\n  VI_1\n }\n notify "${exe}"\n}\n` +
        `virtual_server 192.0.2.1 80 {\n quorum_up "${exe}"\n real_server 192.0.2.2 80 {\n  notify_up "${exe} up"\n  MISC_CHECK {\n   misc_path "${exe} 1"\n  }\n }\n}\n`,
    );
    expect(s.map((x) => [x.name, x.checker])).toEqual([
      ['vrrp_script chk', false],
      ['VI_1 notify_master', false],
      ['VI_1 notify_backup', false],
      ['VI_1 notify_deleted', false],
      ['G notify', false],
      ['virtual_server quorum_up', true],
      ['real_server notify_up', true],
      ['MISC_CHECK misc_path', true],
    ]);
    expect(s[0]).toMatchObject({ vrrpScript: 'chk', user: { user: 'nobody' } });
    expect(s[1]).toMatchObject({ spec: { cmd: '/usr/bin/mysqladmin ping' }, user: { user: 'root' } });
    expect(s[3]!.spec.cmd).toBe('/bin/a bc d');
    expect(programOf(s[1]!.spec.cmd)).toBe('/usr/bin/mysqladmin');
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

describe('securityViolations', () => {
  it('flags found scripts without enable_script_security, once per process kind, at the first one', () => {
    const s = scriptsOf(
      `vrrp_script chk {\n script "${exe} --flag"\n}\n` +
        inst(` notify_master "${exe}"\n notify_backup "/nonexistent/x.sh"`) +
        `virtual_server 192.0.2.1 80 {\n real_server 192.0.2.2 80 {\n  MISC_CHECK {\n   misc_path "${exe} 1"\n  }\n }\n}\n`,
    );
    const d = securityViolations(s, false, '');
    expect(d.map((x) => x.code)).toEqual(['script-security', 'script-security']);
    expect(d[0]!.message).toBe('SECURITY VIOLATION - scripts are being executed but script_security not enabled.');
    expect(d[0]!.hint).toContain('2 scripts');
    expect(d[0]!.text).toBe(`${exe} --flag`);
    expect(d[0]!.loc.line).toBe(2);
    expect(d[1]!.message).toMatch(/^SECURITY VIOLATION - check scripts/);
    expect(securityViolations(s, false, '', { insecure: true })[0]!.message).toMatch(/There are insecure scripts\.$/);
    expect(securityViolations(s, false, '', { counts: (x) => x.checker }).map((x) => x.message)).toEqual([d[1]!.message]);
  });
  it('is quiet with enable_script_security or when no script is found; a file without x bits counts', () => {
    expect(securityViolations(scriptsOf(inst(` notify "${exe}"`)), true, '')).toEqual([]);
    expect(securityViolations(scriptsOf(inst(' notify_fault "/no/such"')), false, '')).toEqual([]);
    expect(securityViolations(scriptsOf(inst(` notify "${plain}"`)), false, '').map((d) => d.code)).toEqual(['script-security']);
  });
});

describe('missingTrackScripts', () => {
  it('warns for a vrrp_script whose program is missing (not for one that exists without x bits), like keepalived -t', () => {
    const text =
      ['ok', 'gone', 'plain', 'bare', 'test']
        .map((n, i) => `vrrp_script ${n} {\n script "${[`${exe} arg`, '/nonexistent/kt/x.sh', plain, 'check.sh', '</dev/tcp/127.0.0.1/80'][i]}"\n}\n`)
        .join('') + inst(' notify "/nonexistent/kt/notify.sh"');
    const s = scriptsOf(text);
    const d = missingTrackScripts(s, dir);
    expect(d.map((x) => x.message)).toEqual(['Disabling track script gone since not found/accessible']);
    expect(d.every((x) => x.severity === 'warning' && x.code === 'script-not-found')).toBe(true);
    expect(missingTrackScripts(s, '/nonexistent').map((x) => x.message)).toContain('Disabling track script bare since not found/accessible');
  });
});

describe('prepareConfiguredScript', () => {
  const db = parseUserDb('root:x:0:0::/root:/bin/sh\n', 'root:x:0:\n');
  it('runs a notify script as its own user, and disables one whose user does not exist', () => {
    const [ok, bad] = scriptsOf(inst(` notify_master "${exe}" root\n notify_backup "${exe}" no_such_user_kt`));
    const v = prepareConfiguredScript(ok!, { enableScriptSecurity: false }, { db, fs: nodeSecurityFs, path: '' });
    expect(v).toMatchObject({ ok: true, script: { uid: 0, gid: 0 } });
    const w = prepareConfiguredScript(bad!, { enableScriptSecurity: false }, { db, fs: nodeSecurityFs, path: '' });
    expect(w).toMatchObject({ ok: false, reason: 'no-user' });
    expect(w.findings.map((f) => f.message)).toEqual(["Script user 'no_such_user_kt' does not exist"]);
  });
  it('disables a script that is not executable', () => {
    const [s] = scriptsOf(inst(` notify "${plain}" root`));
    expect(prepareConfiguredScript(s!, { enableScriptSecurity: false }, { db, fs: nodeSecurityFs, path: '' })).toMatchObject({ ok: false, reason: 'not-executable' });
  });
});
