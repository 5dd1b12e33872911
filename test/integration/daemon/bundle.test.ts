// The esbuild bundle the package's bin runs (scripts/bundle.mjs): built fresh into a directory
// under dist/ (the addon and the netlink package are found from the bundle's location), then run
// as a real process: the one-shot commands answer exactly like the tsx CLI, and the daemon from
// the bundle advertises on a lab wire (a backup running the tsx CLI stays BACKUP past its
// Master_Down_Interval), holds its VIP, and on SIGTERM exits 0 with the VIP removed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GLOBAL_DEFS, REPO, hasVip, instanceConf, nodeDir, sleep, waitVip } from './daemon-lab.js';
import { netnsIt, V4_PAIR } from '../../helpers/netns-fixture.js';

const VIP = '192.0.2.100';
const outRoot = join(REPO, 'dist', `bundle-test-${process.pid}`);
const bundle = join(outRoot, 'bin', 'keepalived-ts.mjs');

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
