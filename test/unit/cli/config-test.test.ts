import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exitCodeFor, mainFileProblem, modelToJson, runConfigTest } from '../../../src/cli/config-test.js';
import type { Diagnostic } from '../../../src/lib/diagnostics.js';

const d = (severity: Diagnostic['severity'], code: string): Diagnostic => ({ severity, code, message: code, loc: { file: 'f', line: 1, column: 1 } });

describe('exitCodeFor (keepalived -t precedence: the least severe class wins)', () => {
  it('0 for nothing or only info', () => {
    expect(exitCodeFor([])).toBe(0);
    expect(exitCodeFor([d('info', 'note')])).toBe(0);
  });
  it('5 for any error or warning', () => {
    expect(exitCodeFor([d('warning', 'deprecated-keyword')])).toBe(5);
    expect(exitCodeFor([d('error', 'unknown-keyword'), d('info', 'x')])).toBe(5);
  });
  it('4 for fatal only; a warning beside it makes 5 (keepalived: BAD_IF + warning exits 5)', () => {
    expect(exitCodeFor([d('error', 'file-not-found')])).toBe(4);
    expect(exitCodeFor([d('error', 'file-not-found'), d('warning', 'x')])).toBe(5);
  });
  it('6 for script security, whatever else is there', () => {
    expect(exitCodeFor([d('error', 'script-security')])).toBe(6);
    expect(exitCodeFor([d('warning', 'x'), d('error', 'script-security'), d('error', 'fatal')])).toBe(6);
  });
});

describe('mainFileProblem', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kt-main-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it('accepts a readable regular file', () => {
    const f = join(dir, 'ok.conf');
    writeFileSync(f, '');
    expect(mainFileProblem(f)).toBeUndefined();
  });
  it('names missing files, directories and executables', () => {
    expect(mainFileProblem(join(dir, 'nope'))).toBe(`Config files missing '${join(dir, 'nope')}'.`);
    expect(mainFileProblem(join(dir, 'nope', 'deeper'))).toMatch(/missing/);
    mkdirSync(join(dir, 'sub'));
    expect(mainFileProblem(join(dir, 'sub'))).toMatch(/is a directory/);
    const x = join(dir, 'x.conf');
    writeFileSync(x, '');
    chmodSync(x, 0o755);
    expect(mainFileProblem(x)).toMatch(/executable/);
    expect(mainFileProblem('/dev/null')).toMatch(/not a regular file/);
  });
});

describe('modelToJson', () => {
  it('serialises Maps, Sets and bigints', () => {
    const j = JSON.parse(modelToJson({ m: new Map([['a', 1]]), s: new Set([2, 3]), b: 10n }));
    expect(j).toEqual({ m: { a: 1 }, s: [2, 3], b: '10' });
  });

  it('writes every duration in milliseconds under a name ending in Ms, and marks disabled scripts and their trackers', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kt-dump-'));
    const f = join(dir, 'k.conf');
    writeFileSync(
      f,
      'global_defs {\n  smtp_connect_timeout 7\n}\nvrrp_script gone {\n  script "/nonexistent/kt-gone.sh"\n  interval 3\n}\n' +
        'vrrp_script ok {\n  script "/bin/true"\n}\n' +
        'vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n  advert_int 2\n  track_script {\n    gone\n    ok\n  }\n  virtual_ipaddress {\n    192.0.2.1\n  }\n}\n',
    );
    const r = runConfigTest(f, { configId: 'x' });
    const j = JSON.parse(modelToJson(r.model, { ...(r.disabledScripts ? { disabledScripts: r.disabledScripts } : {}) })) as {
      globalDefs: Record<string, unknown>;
      vrrpScripts: Record<string, unknown>[];
      vrrpInstances: (Record<string, unknown> & { trackScript: Record<string, unknown>[] })[];
    };
    rmSync(dir, { recursive: true, force: true });
    expect(j.globalDefs.smtpConnectTimeoutMs).toBe(7000);
    expect(j.vrrpInstances[0].advertIntMs).toBe(2000);
    expect(j.vrrpScripts[0].intervalMs).toBe(3000);
    // No duration left under its bare name.
    for (const k of ['advertInt', 'interval', 'smtpConnectTimeout', 'timeout']) expect(JSON.stringify(j)).not.toContain(`"${k}"`);
    expect(j.vrrpScripts.map((s) => [s.name, typeof s.disabled])).toEqual([['gone', 'string'], ['ok', 'undefined']]);
    expect(j.vrrpInstances[0].trackScript.map((t) => [t.name, typeof t.disabled])).toEqual([['gone', 'string'], ['ok', 'undefined']]);
  });
});
