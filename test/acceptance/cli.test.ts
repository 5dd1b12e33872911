// The keepalived-ts executable, spawned as a user runs it: exit codes 0/4/5/6 as keepalived -t,
// one clear line (never a stack trace) for bad input. Only one-shot modes are run here: daemon
// mode starts VRRP and belongs in a test that owns a network namespace.
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { vrrpInstanceText } from '../helpers/keepalived-conf.js';
import { isRoot, itWhen, type Prereq } from '../helpers/require.js';
import { hasStackTrace, repoRoot, runCli as runCliOnHost, type CliSpawnOptions } from './lib/cli.js';

/** -t looks at the host's interfaces: every run here sees exactly one, eth0 (the configs' interface). */
const runCli = (args: readonly string[], o: CliSpawnOptions = {}) => runCliOnHost(args, { interfaces: ['eth0'], ...o });

const dir = mkdtempSync(join(tmpdir(), 'kt-cli-'));
const hasSetpriv: Prereq = () => (spawnSync('setpriv', ['--version']).status === 0 ? undefined : 'setpriv (util-linux) is not installed');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string | Buffer): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

const VALID = `global_defs {
  router_id kt_test
}
${vrrpInstanceText({ name: 'VI_1', state: 'BACKUP', iface: 'eth0', vrid: 51, priority: 100, vips: ['192.0.2.10/24'] })}`;
/** VALID with `lines` (indented, each ending in a newline) after its priority line (line 8). */
const validWith = (lines: string): string => VALID.replace('  priority 100\n', `  priority 100\n${lines}`);

/** `keepalived-ts -t -f` on `text`, written to `name` in the test folder. */
async function configTest(name: string, text: string) {
  const file = write(name, text);
  return { file, ...(await runCli(['-t', '-f', file])) };
}

/** A clean config test: nothing printed, exit 0. */
function expectClean(r: { stderr: string; status: number | null }): void {
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
}

/** Every diagnostic line has the one shared format. */
const DIAG = /^(.+):(\d+):(\d+): (error|warning|info)\[([a-z0-9-]+)\]: (.+)$/;

// Each case spawns the CLI through tsx (0.5-3 s per run on a loaded 2-CPU machine).
describe('keepalived-ts -t exit codes', { timeout: 120_000 }, () => {
  it('0 for a clean config, nothing printed', async () => {
    expectClean(await configTest('ok.conf', VALID));
  });

  it('5 for an unknown keyword, reported as file:line:column with its name', async () => {
    const r = await configTest('unknown.conf', validWith('  rize 2\n'));
    expect(r.status).toBe(5);
    const lines = r.stderr.trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l).toMatch(DIAG);
    const hit = lines.map((l) => DIAG.exec(l)!).find((m) => m[6].includes("'rize'"));
    expect(hit, r.stderr).toBeDefined();
    expect(hit![1]).toBe(r.file);
    expect(Number(hit![2])).toBe(9);
    expect(hit![4]).not.toBe('info');
  });

  it('5 for an out-of-range value', async () => {
    const r = await configTest('range.conf', VALID.replace('priority 100', 'priority 300'));
    expect(r.status).toBe(5);
    expect(r.stderr).toMatch(/range\.conf:8:\d+: (error|warning)\[/);
  });

  it('6 when an existing script runs without enable_script_security; 0 once it is enabled', async () => {
    const withScript = validWith('  notify_master "/bin/true"\n');
    const r = await configTest('sec.conf', withScript);
    expect(r.status).toBe(6);
    expect(r.stderr).toMatch(/error\[script-security\]: SECURITY VIOLATION/);
    const secured = withScript.replace('router_id kt_test', 'router_id kt_test\n  enable_script_security');
    expectClean(await configTest('sec-ok.conf', secured));
  });

  it('security (6) wins over warnings (5), as in keepalived', async () => {
    const r = await configTest('sec-warn.conf', validWith('  rize 2\n  notify "/bin/true"\n'));
    expect(r.status).toBe(6);
    expect(r.stderr).toContain("'rize'");
  });

  it('4 for a missing file, a directory and a FIFO (never blocks reading it)', async () => {
    const missing = await runCli(['-t', '-f', join(dir, 'nope.conf')]);
    expect(missing.status).toBe(4);
    expect(missing.stderr).toContain('nope.conf');
    expect(hasStackTrace(missing.stderr)).toBe(false);
    const sub = join(dir, 'adir');
    mkdirSync(sub, { recursive: true });
    const d = await runCli(['-t', '-f', sub]);
    expect(d.status).toBe(4);
    expect(d.stderr).toMatch(/is a directory/);
    const fifo = join(dir, 'a.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const p = await runCli(['-t', '-f', fifo], { timeoutMs: 15_000 });
    expect(p.signal).toBeNull();
    expect(p.status).toBe(4);
    expect(p.stderr).toMatch(/not a regular file/);
  });

  itWhen(isRoot, hasSetpriv)('4 for a file the user cannot read', async () => {
    const f = write('secret.conf', VALID);
    chmodSync(f, 0o000);
    const r = await runCli(['-t', '-f', f], { noDacOverride: true });
    expect(r.stderr).toMatch(/secret\.conf.*permission denied/);
    expect(r.status).toBe(4);
    expect(hasStackTrace(r.stderr)).toBe(false);
  });

  it('an include cycle is a diagnostic, not a crash or a hang', async () => {
    write('cyc-b.conf', `include ${join(dir, 'cyc-a.conf')}\n`);
    const a = write('cyc-a.conf', `include ${join(dir, 'cyc-b.conf')}\n${VALID}`);
    const r = await runCli(['-t', '-f', a]);
    expect(r.signal).toBeNull();
    expect(r.status).toBe(5);
    expect(hasStackTrace(r.stderr)).toBe(false);
    expect(r.stderr).toMatch(/cyc-[ab]\.conf:\d+:\d+: (error|warning)\[[a-z-]+\]: .*(include|cycl|recurs)/i);
  });

  it('garbage bytes never produce a stack trace', async () => {
    const bytes = Buffer.alloc(4096);
    let x = 12345;
    for (let i = 0; i < bytes.length; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      bytes[i] = x >>> 24;
    }
    for (const [name, content] of [
      ['bin.conf', bytes],
      ['braces.conf', '}}}{{{ "unterminated\n{\n'.repeat(50)],
      ['nul.conf', 'global_defs {\n router_id a\0b\n}\n'],
      ['longline.conf', `global_defs {\n router_id ${'x'.repeat(5000)}\n}\n`],
    ] as const) {
      const r = await runCli(['-t', '-f', write(name, content)]);
      expect(hasStackTrace(r.stderr), `${name}: ${r.stderr.slice(0, 500)}`).toBe(false);
      expect([4, 5], `${name}: exit ${r.status}`).toContain(r.status);
      for (const l of r.stderr.trim().split('\n').filter(Boolean)) expect(l).toMatch(DIAG);
    }
  });

  it('-f takes a glob like keepalived: one match is the file, several are read in order with a warning', async () => {
    const g = join(dir, 'glob');
    mkdirSync(g, { recursive: true });
    writeFileSync(join(g, 'a.conf'), 'global_defs {\n  router_id a\n  bogus_a 1\n}\n');
    writeFileSync(join(g, 'b.conf'), 'global_defs {\n  bogus_b 1\n}\n');
    const one = await runCli(['-t', '-f', join(g, 'a*.conf')]);
    expect(one.status).toBe(5);
    expect(one.stderr.trim().split('\n')).toEqual([`${join(g, 'a.conf')}:3:3: error[unknown-keyword]: Unknown keyword 'bogus_a'`]);
    const both = await runCli(['-t', '-f', join(g, '*.conf')]);
    expect(both.status).toBe(5);
    const lines = both.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/warning\[multiple-config-files\]: multiple configuration file matches of .*\*\.conf, starting with .*a\.conf/);
    expect(lines.slice(1)).toEqual([`${join(g, 'a.conf')}:3:3: error[unknown-keyword]: Unknown keyword 'bogus_a'`, `${join(g, 'b.conf')}:2:3: error[unknown-keyword]: Unknown keyword 'bogus_b'`]);
    const none = await runCli(['-t', '-f', join(g, 'zz*.conf')]);
    expect(none.status).toBe(4);
  });

  it('-t=LOG_FILE appends the report to that file', async () => {
    const log = join(dir, 'report.log');
    const f = write('tolog.conf', VALID.replace('priority 100', 'priority 100\n  rize 3'));
    const r = await runCli([`--config-test=${log}`, '-f', f]);
    expect(r.status).toBe(5);
    expect(r.stderr).toBe('');
    expect(readFileSync(log, 'utf8')).toContain("'rize'");
  });

  it('-i selects @id lines', async () => {
    const f = write('cond.conf', VALID.replace('  priority 100\n', '@db1 priority 100\n@db2 bogus_word 1\n'));
    expect((await runCli(['-t', '-i', 'db1', '-f', f])).status).toBe(0);
    const other = await runCli(['-t', '-i', 'db2', '-f', f]);
    expect(other.status).toBe(5);
    expect(other.stderr).toContain("'bogus_word'");
  });
});

describe('keepalived-ts other modes', { timeout: 120_000 }, () => {
  it('--dump-config prints the model as JSON on stdout', async () => {
    const r = await runCli(['--dump-config', '-f', join(repoRoot, 'conf-examples/sync-group.conf')]);
    expect(r.status).toBe(0);
    const model = JSON.parse(r.stdout) as unknown;
    const text = JSON.stringify(model);
    for (const name of ['VI_OUTSIDE', 'VI_INSIDE', 'G_EDGE', '203.0.113.1']) expect(text).toContain(name);
  });

  it('unknown options and missing arguments exit 1 with keepalived\'s wording', async () => {
    const a = await runCli(['--bogus']);
    expect(a.status).toBe(1);
    expect(a.stderr.trim()).toBe('Unknown option --bogus');
    const b = await runCli(['-t', '-f']);
    expect(b.status).toBe(1);
    expect(b.stderr.trim()).toBe('Missing parameter for option -f');
  });

  it('-v and -h print to stderr and exit 0', async () => {
    const v = await runCli(['-v']);
    expect(v.status).toBe(0);
    expect(v.stderr).toMatch(/^keepalived-ts v\d+\.\d+\.\d+ \(keepalived 2\.2\.7 compatible\)/);
    const h = await runCli(['--help']);
    expect(h.status).toBe(0);
    expect(h.stderr).toContain('--config-test');
  });

  it('--signum prints keepalived\'s signal numbers', async () => {
    const r = await runCli(['--signum=RELOAD']);
    expect(r.stdout.trim()).toBe('1');
    expect(r.status).toBe(0);
  });

  it('the examples summary (npm run examples) checks and summarises every example', async () => {
    const r = await new Promise<{ status: number | null; out: string }>((done) => {
      const c = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli/demo.ts')], { cwd: repoRoot });
      let out = '';
      c.stdout.on('data', (b: Buffer) => (out += b.toString()));
      c.stderr.on('data', (b: Buffer) => (out += b.toString()));
      c.on('close', (status) => done({ status, out }));
    });
    expect(r.status, r.out).toBe(0);
    for (const f of readdirSync(join(repoRoot, 'conf-examples')).filter((n) => n.endsWith('.conf'))) {
      expect(r.out).toMatch(new RegExp(`== conf-examples/${f.replace(/\./g, '\\.')}.*: OK`));
    }
    expect(r.out).toContain('virtual_server 198.51.100.10:3306 TCP DR/wrr, quorum 2, sorry server 203.0.113.99');
    expect(r.out).toContain('VIPs: 2001:db8:10::1/64');
  });
});
