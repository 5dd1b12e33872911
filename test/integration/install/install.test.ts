// The package as an operator installs it: `npm pack` of this checkout, then
// `npm install -g --prefix DIR --offline` of the tarball (no registry: the package has no
// dependencies; it needs nothing at run time but its bundle and its prebuilt addon). The installed
// command answers --version, --help and -t; the man page npm links into DIR/share/man renders with
// man -l; the systemd unit passes `systemd-analyze verify` with ExecStart pointing at the installed
// command; the installed daemon runs in a lab namespace as master next to a real keepalived backup
// (which stays BACKUP), and stops cleanly; with only the unit's CapabilityBoundingSet (applied by
// setpriv, as systemd would) it still works, including a notify script run as script_user, and
// without CAP_NET_RAW it cannot start; `npm uninstall -g` removes the command and the man page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab } from '../../../src/lab/lab.js';
import { startKeepalived, watchProcess, type KeepalivedPeer } from '../../../src/lab/keepalived-peer.js';
import { itWhen, isRoot, type Prereq } from '../../helpers/require.js';
import { GLOBAL_DEFS, REPO, hasVip, instanceConf, nodeDir, sleep, waitVip } from '../daemon/daemon-lab.js';

const VIP = '192.0.2.100';
const version = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;

const onPath = (cmd: string): Prereq => () =>
  spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0 ? undefined : `${cmd} not installed`;
/** What `npm pack` itself refuses without (scripts/prepack-check.mjs): a built, current bundle and addon. */
const built: Prereq = () => {
  const r = spawnSync(process.execPath, [join(REPO, 'scripts/prepack-check.mjs')], { encoding: 'utf8' });
  return r.status === 0 ? undefined : r.stderr.trim().replace(/\n/g, '; ');
};

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const r = spawnSync(cmd, args, { cwd: opts.cwd ?? REPO, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0', ...opts.env } });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

describe('npm pack + npm install -g of the package', () => {
  const work = mkdtempSync(join(tmpdir(), 'kt-install-'));
  const prefix = join(work, 'prefix');
  const bin = join(prefix, 'bin', 'keepalived-ts');
  const pkgDir = join(prefix, 'lib', 'node_modules', 'keepalived-ts');
  const manPage = join(prefix, 'share', 'man', 'man8', 'keepalived-ts.8');
  const ready = itWhen(onPath('npm'), built);

  beforeAll(() => {
    if (onPath('npm')() !== undefined || built() !== undefined) return;
    const pack = run('npm', ['pack', '--pack-destination', work]);
    expect(pack.status, pack.stderr).toBe(0);
    const tgz = readdirSync(work).find((f) => f.endsWith('.tgz'));
    expect(tgz, pack.stdout).toBe(`keepalived-ts-${version}.tgz`);
    const inst = run('npm', ['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', join(work, tgz as string)], { cwd: work });
    expect(inst.status, inst.stderr).toBe(0);
  }, 180_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  ready('the installed command answers --version and --help', () => {
    const v = run(bin, ['--version'], { cwd: work });
    expect(v.status).toBe(0);
    expect(`${v.stdout}${v.stderr}`).toContain(`keepalived-ts v${version} (keepalived 2.2.7 compatible)`);
    const h = run(bin, ['--help'], { cwd: work });
    expect(h.status).toBe(0);
    expect(h.stderr).toMatch(/^Usage: keepalived-ts \[OPTION\.\.\.\]/);
    expect(h.stderr).toContain('--config-test[=LOG_FILE]');
  });

  ready('nothing but the bundle and the addon is installed: no dependency packages', () => {
    expect(existsSync(join(pkgDir, 'node_modules'))).toBe(false);
    expect(existsSync(join(pkgDir, 'dist/bin/keepalived-ts.mjs'))).toBe(true);
    expect(existsSync(join(pkgDir, 'build/Release/keepalived_ts_native.node'))).toBe(true);
    expect(existsSync(join(pkgDir, 'src'))).toBe(false);
  });

  itWhen(onPath('npm'), built, onPath('keepalived'))('-t on every shipped example exits as keepalived -t does; a broken file is reported as file:line:col (exit 5)', () => {
    // -t checks the host it runs on (interface names), so the expected code is keepalived's own
    // on the same file, in the same run.
    const examples = readdirSync(join(pkgDir, 'conf-examples')).filter((f) => f.endsWith('.conf'));
    expect(examples.length).toBeGreaterThanOrEqual(5);
    for (const ex of examples) {
      const file = join(pkgDir, 'conf-examples', ex);
      const ours = run(bin, ['-t', '-f', file], { cwd: work });
      const theirs = run('keepalived', ['-t', '-f', file], { cwd: work });
      expect(ours.status, `${ex}: ${ours.stderr}`).toBe(theirs.status);
    }
    const bad = join(work, 'bad.conf');
    writeFileSync(bad, 'vrrp_instance VI_1 {\n  state BACKUP\n  interface lo\n  virtual_router_id 51\n  priority 100\n  rize 2\n  virtual_ipaddress {\n    192.0.2.100/24\n  }\n}\n');
    const r = run(bin, ['-t', '-f', bad], { cwd: work });
    expect(r.status).toBe(5);
    expect(r.stderr).toContain(`${bad}:6:3:`);
    expect(r.stderr).toContain("Unknown keyword 'rize'");
  });

  itWhen(onPath('npm'), built, onPath('man'))('the man page is installed into the prefix and renders', () => {
    expect(existsSync(manPage)).toBe(true);
    const r = run('man', ['-l', manPage], { env: { MANWIDTH: '100', MAN_KEEP_FORMATTING: '' } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/KEEPALIVED-TS\(8\)/);
    expect(r.stdout).toMatch(/-t, --config-test\[=LOG_FILE\]/);
    expect(r.stdout).toContain('EXIT STATUS');
  });

  itWhen(onPath('npm'), built, onPath('systemd-analyze'))('systemd-analyze verify accepts the unit pointed at the installed command', () => {
    const unit = readFileSync(join(pkgDir, 'packaging', 'keepalived-ts.service'), 'utf8');
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/keepalived-ts /m);
    expect(unit).toMatch(/^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
    const dir = join(work, 'unit');
    rmSync(dir, { recursive: true, force: true });
    spawnSync('mkdir', ['-p', dir]);
    const local = join(dir, 'keepalived-ts.service');
    writeFileSync(local, unit.replace(/^ExecStart=\/usr\/bin\/keepalived-ts /m, `ExecStart=${bin} `));
    const r = run('systemd-analyze', ['verify', '--man=no', local]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr.trim()).toBe('');
    // The broken unit is reported: the check is not vacuous.
    const broken = join(dir, 'broken.service');
    writeFileSync(broken, unit.replace(/^ExecStart=\/usr\/bin\/keepalived-ts /m, `ExecStart=${join(work, 'nowhere')} `));
    expect(run('systemd-analyze', ['verify', '--man=no', broken]).stderr).toMatch(/is not executable|No such file/);
  });

  itWhen(onPath('npm'), built, isRoot, onPath('keepalived'))(
    'the installed daemon is master next to a real keepalived backup and stops cleanly on SIGTERM',
    { timeout: 90_000 },
    async () => {
      const lab = new Lab('inst');
      const dir = nodeDir('install');
      let peer: KeepalivedPeer | undefined;
      let a: ReturnType<typeof watchProcess> | undefined;
      try {
        lab.addHost({ name: 'a', addresses: ['192.0.2.11/24'] });
        lab.addHost({ name: 'b', addresses: ['192.0.2.12/24'] });
        const conf = join(dir, 'keepalived.conf');
        writeFileSync(conf, GLOBAL_DEFS + instanceConf({ priority: 200, state: 'MASTER', vips: [`${VIP}/24`] }));
        const child = lab.spawn('a', [bin, '--dont-fork', '-l', '-f', conf, '-p', join(dir, 'k.pid'), '-r', join(dir, 'v.pid')], {
          cwd: work,
          env: { ...process.env, FORCE_COLOR: '0' },
        });
        a = watchProcess(child);
        const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
        await a.waitFor(/Entering MASTER STATE/, 20_000);
        await waitVip(lab, 'a', VIP, true, 5000);
        peer = startKeepalived(lab, 'b', GLOBAL_DEFS + instanceConf({ priority: 100, vips: [`${VIP}/24`] }));
        await peer.waitFor(/Entering BACKUP STATE/, 20_000);
        // keepalived's Master_Down_Interval at priority 100, advert_int 1 is 3.6 s.
        await sleep(5000);
        expect(peer.lines.filter((l) => /Entering MASTER STATE/.test(l))).toEqual([]);
        expect(hasVip(lab, 'b', VIP)).toBe(false);
        a.signal('SIGTERM');
        expect(await exited).toBe(0);
        expect(hasVip(lab, 'a', VIP)).toBe(false);
        // The priority-0 advert at stop makes keepalived take over at once.
        await peer.waitFor(/Entering MASTER STATE/, 5000);
      } finally {
        a?.signal('SIGKILL');
        peer?.cleanup();
        lab.destroy();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  itWhen(onPath('npm'), built, isRoot, onPath('setpriv'))(
    "under the unit's CapabilityBoundingSet the daemon is master, runs a script_user notify script, stops cleanly; without CAP_NET_RAW it cannot start",
    { timeout: 90_000 },
    async () => {
      // What systemd would apply from the unit, applied with setpriv: root keeps only these.
      const unit = readFileSync(join(pkgDir, 'packaging', 'keepalived-ts.service'), 'utf8');
      const capLine = /^CapabilityBoundingSet=(.+)$/m.exec(unit)?.[1] ?? '';
      const caps = capLine.split(/\s+/).filter(Boolean);
      expect(caps).toEqual(expect.arrayContaining(['CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_SETUID', 'CAP_SETGID']));
      const bounding = (list: string[]) => `--bounding-set=-all,${list.map((c) => `+${c.slice(4).toLowerCase()}`).join(',')}`;
      const lab = new Lab('icap');
      const dir = nodeDir('install-caps');
      const watched: ReturnType<typeof watchProcess>[] = [];
      try {
        lab.addHost({ name: 'a', addresses: ['192.0.2.11/24'] });
        const out = join(dir, 'out');
        spawnSync('mkdir', ['-m', '0777', out]);
        const script = join(dir, 'notify-master.sh');
        writeFileSync(script, `#!/bin/sh\nid -u > ${out}/uid\n`, { mode: 0o755 });
        const conf = join(dir, 'keepalived.conf');
        writeFileSync(
          conf,
          'global_defs {\n  script_user nobody\n  enable_script_security\n}\n' +
            instanceConf({ priority: 200, state: 'MASTER', vips: [`${VIP}/24`], extra: [`notify_master ${script}`] }),
        );
        const start = (capList: string[], tag: string) => {
          const child = lab.spawn('a', ['setpriv', bounding(capList), '--inh-caps=-all', bin, '-l', '-f', conf, '-p', join(dir, `${tag}.pid`), '-r', join(dir, `${tag}-vrrp.pid`)], {
            cwd: work,
            env: { ...process.env, FORCE_COLOR: '0' },
          });
          const w = watchProcess(child);
          watched.push(w);
          return { w, exited: new Promise<number | null>((r) => child.once('exit', (code) => r(code))) };
        };

        const limited = start(caps, 'limited');
        await limited.w.waitFor(/Entering MASTER STATE/, 20_000);
        await waitVip(lab, 'a', VIP, true, 5000);
        const t0 = Date.now();
        while (!existsSync(join(out, 'uid')) && Date.now() - t0 < 10_000) await sleep(50);
        expect(readFileSync(join(out, 'uid'), 'utf8').trim()).toBe('65534');
        limited.w.signal('SIGTERM');
        expect(await limited.exited).toBe(0);
        expect(hasVip(lab, 'a', VIP)).toBe(false);

        const noRaw = start(caps.filter((c) => c !== 'CAP_NET_RAW'), 'noraw');
        expect(await noRaw.exited).not.toBe(0);
        expect(noRaw.w.lines.join('\n')).toMatch(/SOCK_RAW\) failed: Operation not permitted/);
        expect(hasVip(lab, 'a', VIP)).toBe(false);
      } finally {
        for (const w of watched) w.signal('SIGKILL');
        lab.destroy();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  ready('npm uninstall -g removes the command and the man page', () => {
    const r = run('npm', ['uninstall', '-g', '--prefix', prefix, 'keepalived-ts'], { cwd: work });
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(bin)).toBe(false);
    expect(existsSync(manPage)).toBe(false);
    expect(existsSync(pkgDir)).toBe(false);
  });
});
