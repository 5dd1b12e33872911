// Script security rules over an in-memory file system and user database.
import { describe, expect, it } from 'vitest';
import {
  checkScript,
  checkScripts,
  parseUserDb,
  pathIsSecure,
  prefixes,
  resolveScriptUser,
  splitCommand,
  type FileInfo,
  type SecurityContext,
  type SecurityFs,
} from '../../../src/notify/script-security.js';

/** path -> entry; symlinks carry a target. Parents must be listed explicitly. */
type Entry = FileInfo & { target?: string; head?: string };
const DIR = 0o040000;
const REG = 0o100000;
const LNK = 0o120000;

function memFs(entries: Record<string, Entry>): SecurityFs {
  const resolve = (p: string, depth = 0): string | undefined => {
    if (depth > 20) return undefined;
    let cur = '';
    for (const part of p.split('/').filter(Boolean)) {
      if (part === '..') {
        cur = cur.slice(0, cur.lastIndexOf('/'));
        continue;
      }
      const next = `${cur}/${part}`;
      const e = entries[next];
      if (!e) return undefined;
      if ((e.mode & 0o170000) === LNK) {
        const r = resolve(e.target!.startsWith('/') ? e.target! : `${cur}/${e.target}`, depth + 1);
        if (r === undefined) return undefined;
        cur = r;
      } else cur = next;
    }
    return cur === '' ? '/' : cur;
  };
  const get = (p: string) => (p === '/' ? entries['/'] : entries[p]);
  return {
    lstat: (p) => get(p) ?? { errno: 'ENOENT' },
    stat: (p) => {
      const r = resolve(p);
      return r === undefined ? { errno: 'ENOENT' } : (get(r) ?? { errno: 'ENOENT' });
    },
    realpath: (p) => resolve(p) ?? { errno: 'ENOENT' },
    head: (p) => {
      const r = resolve(p);
      return r && get(r) ? new TextEncoder().encode(get(r)!.head ?? '#!/bin/sh\n') : { errno: 'ENOENT' };
    },
  };
}

const root = (mode: number, type = REG): Entry => ({ uid: 0, gid: 0, mode: type | mode });
const base: Record<string, Entry> = {
  '/': root(0o755, DIR),
  '/etc': root(0o755, DIR),
  '/etc/k': root(0o755, DIR),
  '/etc/k/ok.sh': root(0o755),
  '/etc/k/text.sh': { ...root(0o755), head: 'echo hi\n' },
  '/etc/k/elf': { ...root(0o755), head: '\x7fELF' },
  '/etc/k/noexec.sh': root(0o644),
  '/etc/k/gw-root.sh': root(0o775),
  '/etc/k/gw-other.sh': { uid: 0, gid: 100, mode: REG | 0o775 },
  '/etc/k/ww.sh': root(0o757),
  '/etc/k/user.sh': { uid: 1000, gid: 1000, mode: REG | 0o755 },
  '/etc/k/owner-only.sh': { uid: 1000, gid: 1000, mode: REG | 0o700 },
  '/etc/k/link.sh': { uid: 1000, gid: 1000, mode: LNK | 0o777, target: '/etc/k/ok.sh' },
  '/etc/k/rlink.sh': { uid: 0, gid: 0, mode: LNK | 0o777, target: 'ok.sh' },
  '/home/u/l.sh': { uid: 1000, gid: 1000, mode: LNK | 0o777, target: '/etc/k/ok.sh' },
  '/tmp': root(0o1777, DIR),
  '/tmp/s.sh': root(0o755),
  '/home': root(0o755, DIR),
  '/home/u': { uid: 1000, gid: 1000, mode: DIR | 0o755 },
  '/home/u/x.sh': root(0o755),
  '/opt': root(0o777, DIR),
  '/opt/x.sh': root(0o755),
  '/priv': root(0o700, DIR),
  '/priv/x.sh': root(0o755),
  '/usr': root(0o755, DIR),
  '/usr/bin': root(0o755, DIR),
  '/usr/bin/true': root(0o755),
};
const fs = memFs(base);
const ctx: SecurityContext = { enableScriptSecurity: true, path: '/usr/local/bin:/usr/bin' };
const ROOT = { uid: 0, gid: 0, groups: [] };
const NOBODY = { uid: 65534, gid: 65534, groups: [] };
const check = (command: string, user = ROOT, c = ctx) => checkScript({ name: 'chk', command, user }, c, fs);

describe('splitCommand', () => {
  it('splits like keepalived 2.2.7 (observed)', () => {
    expect(splitCommand(`/x a 'b c' "d e" f\\ g h'i'j`)).toEqual(['/x', 'a', 'b c', 'd e', 'f g', 'hij']);
    expect(splitCommand('  /x\t  y  ')).toEqual(['/x', 'y']);
    expect(splitCommand(`/x '' "a\\"b"`)).toEqual(['/x', '', 'a"b']);
  });
});

describe('checkScript', () => {
  it('accepts a root-owned script in root-owned directories, with its args', () => {
    expect(check('/etc/k/ok.sh a b')).toMatchObject({ status: 'ok', script: { argv: ['/etc/k/ok.sh', 'a', 'b'], mode: 'exec', uid: 0, gid: 0 } });
  });

  it('runs text files without #! through the shell, ELF and #! directly', () => {
    expect(check('/etc/k/text.sh')).toMatchObject({ status: 'ok', script: { mode: 'shellQuoted' } });
    expect(check('/etc/k/elf')).toMatchObject({ status: 'ok', script: { mode: 'exec' } });
  });

  it('resolves bare names through PATH with a warning; unknown ones are disabled', () => {
    const v = check('true x');
    expect(v).toMatchObject({ status: 'ok', script: { argv: ['/usr/bin/true', 'x'] } });
    expect(v.findings).toEqual([
      {
        severity: 'warning',
        code: 'script-path-search',
        script: 'chk',
        message: 'WARNING - script `true` resolved by path search to `/usr/bin/true`. Please specify full path.',
      },
    ]);
    expect(check('nosuchcmd arg')).toMatchObject({
      status: 'disabled',
      reason: 'not-found',
      findings: [{ code: 'script-not-in-path', message: 'Cannot find script nosuchcmd in path - disabling' }],
    });
  });

  it('disables missing and non-executable scripts', () => {
    expect(check('/etc/k/missing.sh')).toMatchObject({
      status: 'disabled',
      reason: 'not-found',
      findings: [{ message: 'Script /etc/k/missing.sh cannot be accessed - No such file or directory' }],
    });
    expect(check('/etc/k/noexec.sh')).toMatchObject({
      status: 'disabled',
      reason: 'not-executable',
      findings: [{ message: "WARNING - script '/etc/k/noexec.sh' is not executable for uid:gid 0:0 - disabling." }],
    });
    expect(check('/etc/k')).toMatchObject({ status: 'disabled', reason: 'not-executable' });
  });

  it('checks execute permission for the target user: owner, group, other, directory search', () => {
    const u1000 = { uid: 1000, gid: 1000, groups: [] };
    expect(check('/etc/k/owner-only.sh', u1000).status).toBe('ok');
    expect(check('/etc/k/owner-only.sh', NOBODY)).toMatchObject({ status: 'disabled', reason: 'not-executable' });
    expect(check('/etc/k/owner-only.sh', { uid: 5, gid: 1000, groups: [] })).toMatchObject({ status: 'disabled' });
    expect(check('/priv/x.sh', NOBODY)).toMatchObject({
      status: 'disabled',
      findings: [{ message: 'Script /priv/x.sh cannot be accessed - Permission denied' }],
    });
    expect(check('/priv/x.sh').status).toBe('ok');
  });

  it('flags insecure components when running as root: owner, group-write by non-root group, world-write', () => {
    expect(check('/etc/k/gw-root.sh').status).toBe('ok');
    expect(check('/tmp/s.sh').status).toBe('ok'); // sticky world-writable directory is fine
    for (const p of ['/etc/k/gw-other.sh', '/etc/k/ww.sh', '/etc/k/user.sh', '/home/u/x.sh', '/opt/x.sh']) {
      expect(check(p), p).toMatchObject({
        status: 'disabled',
        reason: 'insecure',
        findings: [{ code: 'script-insecure', message: `Unsafe permissions found for script '${p}' - disabling.` }],
      });
    }
  });

  it('without enable_script_security an insecure script still runs, marked insecure', () => {
    const v = check('/opt/x.sh', ROOT, { ...ctx, enableScriptSecurity: false });
    expect(v).toMatchObject({ status: 'insecure', script: { argv: ['/opt/x.sh'] } });
    expect(v.findings[0]!.message).toBe("Unsafe permissions found for script '/opt/x.sh'.");
  });

  it('non-root scripts are not checked for ownership', () => {
    expect(check('/opt/x.sh', NOBODY).status).toBe('ok');
    expect(check('/etc/k/user.sh', NOBODY).status).toBe('ok');
  });

  it('resolves symlinks like keepalived 2.2.7: a renaming link in the real directory is kept and checked', () => {
    // Same directory, different name: exec'd by its own name, so its owner matters.
    expect(check('/etc/k/rlink.sh')).toMatchObject({ status: 'ok', script: { argv: ['/etc/k/rlink.sh'] } });
    expect(check('/etc/k/link.sh')).toMatchObject({
      status: 'disabled',
      reason: 'insecure',
      findings: [{ message: "Unsafe permissions found for script '/etc/k/link.sh' - disabling." }],
    });
    // Link in another (even user-owned) directory: the real path is used and checked.
    expect(check('/home/u/l.sh')).toMatchObject({ status: 'ok', script: { argv: ['/etc/k/ok.sh'] } });
    expect(check('/opt/../etc/k/ok.sh')).toMatchObject({ status: 'ok', script: { argv: ['/etc/k/ok.sh'] } });
  });

  it('accepts the </path file test as a shell command without checks', () => {
    expect(check('</nonexistent/file')).toMatchObject({ status: 'ok', script: { argv: ['</nonexistent/file'], mode: 'shellRaw' } });
  });
});

describe('checkScripts summary', () => {
  it('reports SECURITY VIOLATION whenever scripts exist without enable_script_security', () => {
    const off = { ...ctx, enableScriptSecurity: false };
    const a = checkScripts([{ name: 'a', command: '/etc/k/ok.sh', user: ROOT }], off, fs);
    expect(a.securityError).toBe(true);
    expect(a.findings.at(-1)!.message).toBe('SECURITY VIOLATION - scripts are being executed but script_security not enabled.');
    const b = checkScripts([{ name: 'b', command: '/opt/x.sh', user: ROOT }], off, fs);
    expect(b.findings.at(-1)!.message).toBe(
      'SECURITY VIOLATION - scripts are being executed but script_security not enabled. There are insecure scripts.',
    );
    expect(checkScripts([{ name: 'c', command: '/opt/x.sh', user: ROOT }], ctx, fs).securityError).toBe(false);
    expect(checkScripts([], off, fs).securityError).toBe(false);
  });
});

describe('resolveScriptUser', () => {
  const db = parseUserDb(
    'root:x:0:0::/root:/bin/sh\nnobody:x:65534:65534::/:/usr/sbin/nologin\nka:x:900:901::/:/bin/false\n',
    'root:x:0:\nnogroup:x:65534:\nka:x:901:\nextra:x:950:ka,nobody\n',
  );
  const withKs = parseUserDb('keepalived_script:x:990:991::/:/bin/false\n', 'ks:x:991:\n');

  it('uses the per-script user, then script_user, with optional group', () => {
    expect(resolveScriptUser({ user: 'ka' }, { enableScriptSecurity: true, scriptUser: { user: 'nobody' } }, db)).toEqual({
      ok: true,
      user: { uid: 900, gid: 901, groups: [950] },
      findings: [],
    });
    expect(resolveScriptUser(undefined, { enableScriptSecurity: true, scriptUser: { user: 'nobody', group: 'extra' } }, db)).toMatchObject({
      ok: true,
      user: { uid: 65534, gid: 950 },
    });
    expect(resolveScriptUser({ user: 'ghost' }, { enableScriptSecurity: false }, db)).toMatchObject({
      ok: false,
      findings: [{ code: 'script-user-unknown', message: "Script user 'ghost' does not exist" }],
    });
  });

  it('defaults to keepalived_script, else root (refused with enable_script_security)', () => {
    expect(resolveScriptUser(undefined, { enableScriptSecurity: true }, withKs)).toMatchObject({ ok: true, user: { uid: 990, gid: 991 } });
    expect(resolveScriptUser(undefined, { enableScriptSecurity: false }, db)).toMatchObject({
      ok: true,
      user: { uid: 0, gid: 0 },
      findings: [{ severity: 'warning', message: "Script user 'keepalived_script' does not exist" }],
    });
    expect(resolveScriptUser(undefined, { enableScriptSecurity: true }, db)).toMatchObject({
      ok: false,
      findings: [{ code: 'script-default-user-missing', message: 'Unable to set default user keepalived_script for script' }],
    });
  });
});

describe('path helpers', () => {
  it('prefixes and pathIsSecure', () => {
    expect(prefixes('/a/b/c')).toEqual(['/', '/a', '/a/b', '/a/b/c']);
    expect(pathIsSecure('/etc/k/ok.sh', fs)).toBe(true);
    expect(pathIsSecure('/etc/k/missing', fs)).toBe(false);
  });
});
