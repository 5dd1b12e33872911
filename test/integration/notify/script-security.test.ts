// Script security on real files with real modes and owners, judged twice: by our checks and by
// the real keepalived 2.2.7, run inside a network namespace this test creates. Every case must
// get the same verdict from both, and our messages must appear verbatim in keepalived's log.
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, lchownSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { checkScripts, nodeSecurityFs, nodeUserDb, resolveScriptUser, type ScriptInput, type ScriptVerdict } from '../../../src/notify/script-security.js';
import { NodeProcessRunner } from '../../../src/notify/process-runner.js';
import { hasKeepalived, itWhen, isRoot, type Prereq } from '../../helpers/require.js';
import { withVethNs } from '../../helpers/netns-fixture.js';

const hasUseradd: Prereq = () => (existsSync('/usr/sbin/useradd') ? undefined : 'useradd missing (passwd package)');

const tag = `kth${process.pid}`;
const user = tag; // temporary system user
let dir: string;
let uid = -1;

interface Case {
  name: string;
  command: string;
  user?: string;
  /** Expected verdict (also checked against keepalived): status or disabled reason. */
  expect: 'ok' | 'insecure' | 'not-found' | 'not-executable';
}
let cases: Case[] = [];

function file(rel: string, body: string, mode: number, owner?: [number, number]): string {
  const p = join(dir, rel);
  writeFileSync(p, body);
  chmodSync(p, mode);
  if (owner) chownSync(p, owner[0], owner[1]);
  return p;
}
function mkdir(rel: string, mode: number, owner?: [number, number]): void {
  const p = join(dir, rel);
  mkdirSync(p);
  chmodSync(p, mode);
  if (owner) chownSync(p, owner[0], owner[1]);
}

beforeAll(() => {
  if (process.getuid?.() !== 0 || hasUseradd() || hasKeepalived()) return;
  execFileSync('useradd', ['-r', '-M', '-s', '/usr/sbin/nologin', user]);
  uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
  dir = mkdtempSync(`/tmp/kt-sec-`);
  chmodSync(dir, 0o755);
  const sh = '#!/bin/sh\nexit 0\n';
  const nogroup = 65534;
  file('ok.sh', sh, 0o755);
  file('noexec.sh', sh, 0o644);
  mkdir('ww', 0o777);
  file('ww/x.sh', sh, 0o755);
  mkdir('sticky', 0o1777);
  file('sticky/x.sh', sh, 0o755);
  file('gw.sh', sh, 0o775, [0, nogroup]);
  file('gw0.sh', sh, 0o775);
  file('ow.sh', sh, 0o757);
  mkdir('udir', 0o755, [uid, uid]);
  file('udir/x.sh', sh, 0o755);
  symlinkSync(join(dir, 'ok.sh'), join(dir, 'link.sh'));
  lchownSync(join(dir, 'link.sh'), uid, uid);
  symlinkSync('ok.sh', join(dir, 'rlink.sh'));
  symlinkSync(join(dir, 'ok.sh'), join(dir, 'udir/l.sh'));
  lchownSync(join(dir, 'udir/l.sh'), uid, uid);
  file('text.sh', 'exit 0\n', 0o755);
  file('own-user.sh', sh, 0o700, [uid, uid]);
  mkdir('priv', 0o700);
  file('priv/x.sh', sh, 0o755);
  const d = dir;
  cases = [
    { name: 'c_ok', command: `${d}/ok.sh arg`, expect: 'ok' },
    { name: 'c_noexec', command: `${d}/noexec.sh`, expect: 'not-executable' },
    { name: 'c_missing', command: `${d}/missing.sh`, expect: 'not-found' },
    { name: 'c_ww', command: `${d}/ww/x.sh`, expect: 'insecure' },
    { name: 'c_sticky', command: `${d}/sticky/x.sh`, expect: 'ok' },
    { name: 'c_gw', command: `${d}/gw.sh`, expect: 'insecure' },
    { name: 'c_gw0', command: `${d}/gw0.sh`, expect: 'ok' },
    { name: 'c_ow', command: `${d}/ow.sh`, expect: 'insecure' },
    { name: 'c_udir', command: `${d}/udir/x.sh`, expect: 'insecure' },
    { name: 'c_udir_user', command: `${d}/udir/x.sh`, user, expect: 'ok' },
    { name: 'c_link', command: `${d}/link.sh`, expect: 'insecure' },
    { name: 'c_rlink', command: `${d}/rlink.sh`, expect: 'ok' },
    { name: 'c_ulink', command: `${d}/udir/l.sh`, expect: 'ok' },
    { name: 'c_dotdot', command: `${d}/ww/../ok.sh`, expect: 'ok' },
    { name: 'c_text', command: `${d}/text.sh`, expect: 'ok' },
    { name: 'c_bare', command: 'true', expect: 'ok' },
    { name: 'c_bare_missing', command: `nosuchcmd-${tag}`, expect: 'not-found' },
    { name: 'c_own_root', command: `${d}/own-user.sh`, expect: 'insecure' },
    { name: 'c_own_user', command: `${d}/own-user.sh`, user, expect: 'ok' },
    { name: 'c_own_nobody', command: `${d}/own-user.sh`, user: 'nobody', expect: 'not-executable' },
    { name: 'c_priv_user', command: `${d}/priv/x.sh`, user, expect: 'not-found' },
  ];
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (uid >= 0) execFileSync('userdel', [user]);
});

function ours(enable: boolean): ScriptVerdict[] {
  const db = nodeUserDb();
  const inputs: ScriptInput[] = cases.map((c) => {
    const r = resolveScriptUser(c.user ? { user: c.user } : undefined, { enableScriptSecurity: enable, scriptUser: { user: 'root' } }, db);
    if (!r.ok) throw new Error(`user for ${c.name}`);
    return { name: c.name, command: c.command, user: r.user };
  });
  return checkScripts(inputs, { enableScriptSecurity: enable, path: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' }, nodeSecurityFs).verdicts;
}

function verdictKey(v: ScriptVerdict): string {
  return v.status === 'disabled' ? v.reason : v.status;
}

/** Runs keepalived in a fresh netns until "Startup complete"; returns its log lines. */
async function keepalivedLog(enable: boolean): Promise<string[]> {
  const conf = join(dir, `k-${enable}.conf`);
  const scripts = cases
    .map((c) => `vrrp_script ${c.name} {\n  script "${c.command}"\n  interval 30\n${c.user ? `  user ${c.user}\n` : ''}}\n`)
    .join('');
  writeFileSync(
    conf,
    `global_defs {\n  script_user root\n${enable ? '  enable_script_security\n' : ''}}\n${scripts}` +
      `vrrp_instance VI_1 {\n  interface v0\n  virtual_router_id 51\n  priority 100\n  virtual_ipaddress { 192.0.2.200/24 }\n` +
      `  track_script {\n${cases.map((c) => `    ${c.name}\n`).join('')}  }\n}\n`,
  );
  return withVethNs(`h${enable ? 's' : 'n'}`, async (ns) => {
    const ka = spawn(
      'ip',
      ['netns', 'exec', ns, 'keepalived', '-n', '-l', '-D', '-G', '-P', '-f', conf, '-p', join(dir, `${ns}.pid`), '-r', join(dir, `${ns}.vrrp.pid`), '-c', join(dir, `${ns}.check.pid`), '-b', join(dir, `${ns}.bfd.pid`)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let text = '';
    const exited = new Promise<void>((r) => ka.once('exit', () => r()));
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 10_000);
      const on = (b: Buffer) => {
        text += b.toString();
        if (/Startup complete[\s\S]*\n/.test(text) && /Entering (BACKUP|MASTER) STATE/.test(text)) {
          clearTimeout(t);
          resolve();
        }
      };
      ka.stdout.on('data', on);
      ka.stderr.on('data', on);
    });
    if (ka.pid !== undefined && ka.exitCode === null) process.kill(ka.pid, 'SIGTERM');
    await exited;
    // Lines look like "Sun Nov 22 03:41:32 2026: message".
    return text.split('\n').map((l) => l.replace(/^\w{3} \w{3} +\d+ [\d:]+ \d{4}: /, ''));
  });
}

function keepalivedVerdict(log: string[], c: Case, v: ScriptVerdict): string {
  // Our messages name the resolved path; find which kind keepalived logged for this case.
  const msgs = v.findings.map((f) => f.message);
  const has = (re: RegExp) => log.some((l) => re.test(l));
  const ran = has(new RegExp(`^VRRP_Script\\(${c.name}\\) (succeeded|failed)`));
  for (const m of msgs) {
    if (!log.includes(m)) continue;
    if (m.startsWith('Unsafe')) return 'insecure';
    if (m.includes('not executable')) return 'not-executable';
    if (m.includes('cannot be accessed') || m.startsWith('Cannot find')) return 'not-found';
  }
  return ran ? 'ok' : 'unknown';
}

describe('script security on real files', () => {
  itWhen(isRoot, hasUseradd, hasKeepalived)('our verdicts match the expected table (enable_script_security)', () => {
    const got = ours(true);
    const table = Object.fromEntries(cases.map((c, i) => [c.name, verdictKey(got[i]!)]));
    const expected = Object.fromEntries(cases.map((c) => [c.name, c.expect]));
    // With security on, insecure scripts are disabled for being insecure.
    expect(table).toEqual(expected);
    const bare = got[cases.findIndex((c) => c.name === 'c_bare')]!;
    expect(bare).toMatchObject({ status: 'ok', script: { argv: ['/usr/bin/true'] } });
    const text = got[cases.findIndex((c) => c.name === 'c_text')]!;
    expect(text).toMatchObject({ status: 'ok', script: { mode: 'shellQuoted' } });
  });

  itWhen(isRoot, hasUseradd, hasKeepalived)('without enable_script_security insecure scripts run; verdict + exec as the user really works', async () => {
    const got = ours(false);
    expect(got.filter((v) => v.status === 'insecure').map((v) => v.name).sort()).toEqual(
      cases.filter((c) => c.expect === 'insecure').map((c) => c.name).sort(),
    );
    // Every runnable verdict really runs (exit 0) with the prepared argv/mode/uid.
    const runner = new NodeProcessRunner();
    for (const v of got) {
      if (v.status === 'disabled') continue;
      expect(await runner.start(v.script).result, v.name).toEqual({ kind: 'exited', code: 0 });
    }
  });

  for (const enable of [true, false]) {
    itWhen(isRoot, hasUseradd, hasKeepalived)(`keepalived 2.2.7 agrees, enable_script_security=${enable}`, async () => {
      const got = ours(enable);
      const log = await keepalivedLog(enable);
      expect(log.some((l) => l.includes('Startup complete'))).toBe(true);
      const mine: Record<string, string> = {};
      const theirs: Record<string, string> = {};
      cases.forEach((c, i) => {
        mine[c.name] = verdictKey(got[i]!);
        theirs[c.name] = keepalivedVerdict(log, c, got[i]!);
      });
      if (process.env.KT_DEBUG) console.log(log.join("\n"));
      expect(mine).toEqual(theirs);
      // Every message we produce for a script is a line keepalived logged, word for word.
      for (const v of got) for (const f of v.findings) expect(log, f.message).toContain(f.message);
      const violation = log.find((l) => l.startsWith('SECURITY VIOLATION'));
      if (enable) expect(violation).toBeUndefined();
      else expect(violation).toBe('SECURITY VIOLATION - scripts are being executed but script_security not enabled. There are insecure scripts.');
    });
  }
});
