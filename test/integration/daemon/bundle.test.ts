// The esbuild bundle the package's bin runs (scripts/bundle.mjs): built fresh into a directory
// under dist/ (the addon and the netlink package are found from the bundle's location), then run
// as a real process: the one-shot commands answer exactly like the tsx CLI, and the daemon from
// the bundle advertises on a lab wire (a backup running the tsx CLI stays BACKUP past its
// Master_Down_Interval), holds its VIP, and on SIGTERM exits 0 with the VIP removed. V8's code
// cache beside the bundle is used only when it was written for that very bundle: a missing cache,
// one written for another build or one V8 refuses gives one line on stderr and the same answers.
// The launcher beside it (scripts/launcher.sh; not the package's bin yet) runs Node on the bundle's
// V8 startup snapshot (scripts/snapshot.mjs): it answers as the code-cache executable does, its
// daemon becomes MASTER in a lab namespace with the launcher's pid, and a snapshot that is missing
// or was made from another bundle or by another Node gives one line and the code-cache path.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { GLOBAL_DEFS, REPO, hasVip, instanceConf, nodeDir, sleep, waitVip } from './daemon-lab.js';
import { netnsIt, V4_PAIR } from '../../helpers/netns-fixture.js';

const VIP = '192.0.2.100';
const outRoot = join(REPO, 'dist', `bundle-test-${process.pid}`);
const bundle = join(outRoot, 'bin', 'keepalived-ts.mjs');

const launcherPath = join(outRoot, 'bin', 'keepalived-ts');
// The launcher execs the `node` on PATH; the snapshot is made by this very Node (the build runs
// under process.execPath), so that is the one it must find.
const launcherEnv = { ...process.env, FORCE_COLOR: '0', PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` };

function runLauncher(launcher: string, args: string[]): { status: number | null; out: string } {
  const r = spawnSync(launcher, args, { cwd: REPO, encoding: 'utf8', env: launcherEnv });
  return { status: r.status, out: `${r.stdout}|${r.stderr}` };
}

function run(argv: string[]): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, argv, { cwd: REPO, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  return { status: r.status, out: `${r.stdout}|${r.stderr}` };
}

describe('the bundled executable (scripts/bundle.mjs)', () => {
  beforeAll(() => {
    const r = spawnSync(process.execPath, [join(REPO, 'scripts/bundle.mjs'), '--outdir', join(outRoot, 'bin')], { cwd: REPO, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(bundle)).toBe(true);
  }, 60_000);
  afterAll(() => rmSync(outRoot, { recursive: true, force: true }));

  it('one-shot commands answer like the tsx CLI: -v (package version found), -t on a good and a bad config', { timeout: 60_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'kt-bundle-'));
    try {
      const good = join(dir, 'good.conf');
      writeFileSync(good, GLOBAL_DEFS + instanceConf({ priority: 100, vips: [`${VIP}/24`] }));
      const bad = join(dir, 'bad.conf');
      writeFileSync(bad, 'vrrp_instance VI_1 {\n  state SOMETIMES\n  virtual_router_id 300\n  no_such_keyword 1\n}\n');
      const v = run([bundle, '-v']);
      expect(v.status).toBe(0);
      expect(v.out).toMatch(/keepalived-ts v\d+\.\d+\.\d+ \(keepalived/);
      for (const args of [['-v'], ['-t', '-f', good], ['-t', '-f', bad], ['-t', '-f', join(dir, 'missing.conf')]]) {
        const ours = run([bundle, ...args]);
        const ref = run(['--import', 'tsx', join(REPO, 'src/cli/main.ts'), ...args]);
        expect(ours, args.join(' ')).toEqual(ref);
      }
      expect(run([bundle, '-t', '-f', bad]).status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the code cache is written by the build and used only for its own bundle; otherwise one line says so', { timeout: 60_000 }, () => {
    const bin = join(outRoot, 'bin');
    const cjs = join(bin, 'keepalived-ts.cjs');
    const cache = readFileSync(`${cjs}.cache`);
    const id = readFileSync(cjs, 'utf8').split('\n', 1)[0];
    expect(id).toMatch(/^\/\/ keepalived-ts bundle [0-9a-f]{64}$/);
    // The cache starts with the bundle's build id, then V8's data (which must be more than a header).
    expect(cache.toString('latin1', 0, 64)).toBe(id.slice(-64));
    expect(cache.length).toBeGreaterThan(10_000);
    const good = run([bundle, '-v']);
    expect(good.status).toBe(0);
    expect(good.out).not.toMatch(/code cache/);

    const variant = (name: string, change: (dir: string) => void): { status: number | null; out: string } => {
      const dir = join(outRoot, name);
      cpSync(bin, dir, { recursive: true });
      change(dir);
      return run([join(dir, 'keepalived-ts.mjs'), '-v']);
    };
    const expectRefused = (r: { status: number | null; out: string }, why: RegExp): void => {
      expect(r.status).toBe(0);
      // The same answer (keepalived prints -v on stderr), after exactly one line about the cache.
      const [stdout, stderr] = r.out.split('|');
      const [goodStdout, goodStderr] = good.out.split('|');
      expect(stdout).toBe(goodStdout);
      const nl = stderr.indexOf('\n');
      expect(stderr.slice(0, nl)).toMatch(why);
      expect(stderr.slice(nl + 1)).toBe(goodStderr);
    };
    // A cache written for another build of the bundle (its id differs).
    expectRefused(
      variant('other-build', (d) => writeFileSync(join(d, 'keepalived-ts.cjs.cache'), Buffer.concat([Buffer.from('f'.repeat(64), 'latin1'), cache.subarray(64)]))),
      /^keepalived-ts: code cache \S+keepalived-ts\.cjs\.cache was built from another bundle; starting without it/,
    );
    // A bundle rebuilt from other sources beside the old cache: same length, so V8's own check
    // (source length) would not see it; the build id does.
    expectRefused(
      variant('other-source', (d) => {
        const text = readFileSync(join(d, 'keepalived-ts.cjs'), 'utf8');
        writeFileSync(join(d, 'keepalived-ts.cjs'), text.replace(/^(\/\/ keepalived-ts bundle )[0-9a-f]{64}/, `$1${'e'.repeat(64)}`));
      }),
      /was built from another bundle/,
    );
    expectRefused(variant('no-cache', (d) => rmSync(join(d, 'keepalived-ts.cjs.cache'))), /code cache \S+ is missing; starting without it/);
    // Right id, but data V8 does not accept (as from another Node version): its header is damaged.
    expectRefused(
      variant('v8-refuses', (d) => {
        const bad = Buffer.from(cache);
        bad.fill(0x5a, 64, 64 + 16);
        writeFileSync(join(d, 'keepalived-ts.cjs.cache'), bad);
      }),
      /was refused by V8/,
    );
  });

  it('the launcher without a startup snapshot (the default build: ADR 0026) says so in one line, then answers as the code-cache executable does', { timeout: 60_000 }, () => {
    const bin = join(outRoot, 'bin');
    expect(existsSync(join(bin, 'keepalived-ts.blob'))).toBe(false);
    const dir = mkdtempSync(join(tmpdir(), 'kt-launcher-'));
    try {
      const good = join(dir, 'good.conf');
      writeFileSync(good, GLOBAL_DEFS + instanceConf({ priority: 100, vips: [`${VIP}/24`] }));
      for (const args of [['-v'], ['-t', '-f', good]]) {
        const viaLauncher = runLauncher(launcherPath, args);
        const direct = run([bundle, ...args]);
        expect(viaLauncher.status, args.join(' ')).toBe(direct.status);
        const [stdout, stderr] = viaLauncher.out.split('|');
        const [directStdout, directStderr] = direct.out.split('|');
        expect(stdout).toBe(directStdout);
        const nl = stderr.indexOf('\n');
        expect(stderr.slice(0, nl)).toMatch(/^keepalived-ts: startup snapshot \S+keepalived-ts\.blob is missing; starting without it/);
        expect(stderr.slice(nl + 1)).toBe(directStderr);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  netnsIt('dbn')('the daemon from the bundle advertises, holds its VIP, keeps a backup in BACKUP and stops cleanly', 90_000, async (f) => {
    const { lab } = f;
    const dir = nodeDir('bundle');
    f.onCleanup(() => rmSync(dir, { recursive: true, force: true }));
    f.hosts(V4_PAIR);
    const conf = join(dir, 'keepalived.conf');
    writeFileSync(conf, GLOBAL_DEFS + instanceConf({ priority: 200, state: 'MASTER', vips: [`${VIP}/24`] }));
    const child = lab.spawn('a', [process.execPath, bundle, '-f', conf, '-l', '-p', join(dir, 'k.pid'), '-r', join(dir, 'v.pid')], {
      cwd: REPO,
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    const a = f.watch(child);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    await a.waitFor(/Entering MASTER STATE/, 20_000);
    await waitVip(lab, 'a', VIP, true, 5000);
    const b = await f.backup('b', GLOBAL_DEFS + instanceConf({ priority: 100, vips: [`${VIP}/24`] }));
    // Master_Down_Interval for priority 100, advert_int 1: 3.6 s. Without a's adverts b would
    // have taken over by now.
    await sleep(5000);
    expect(b.lines.filter((l) => /Entering MASTER STATE/.test(l))).toEqual([]);
    expect(hasVip(lab, 'b', VIP)).toBe(false);
    expect(existsSync(join(dir, 'k.pid'))).toBe(true);
    a.signal('SIGTERM');
    expect(await exited).toBe(0);
    expect(hasVip(lab, 'a', VIP)).toBe(false);
    expect(existsSync(join(dir, 'k.pid'))).toBe(false);
  });
});
