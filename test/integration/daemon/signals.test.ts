// Every signal keepalived handles, sent to a running master: our daemon and keepalived 2.2.7 side
// by side in the same run. USR1, USR2, STATS_CLEAR (SIGRTMAX-1 = 63), JSON (SIGRTMIN+2 = 36) and
// HUP (a reload of the unchanged config) must leave the master running with its VIP and pid files; the dumps land in keepalived's
// files (/tmp/keepalived.data, .stats, .json, mode 0600, or 0666 less the -u mask); TERM then
// stops it cleanly. The dump tests share one file so they never run concurrently with each
// other (lifecycle.test.ts's USR1 also writes the data file: each check is on the file the
// signal names, not on which files changed). Without a
// handler USR2 and the realtime signals are fatal (their default action), which is what this
// guards against.
import { describe, expect } from 'vitest';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { SIGNUMS } from '../../../src/cli/argv.js';
import { hasKeepalived } from '../../acceptance/lib/keepalived.js';
import { GLOBAL_DEFS, instanceConf, sleep, waitUntil, waitVip } from './daemon-lab.js';
import { netnsIt, V4_PAIR, BESIDE_KEEPALIVED } from '../../helpers/netns-fixture.js';

const VIP = '192.0.2.100';
const FILES = { data: '/tmp/keepalived.data', stats: '/tmp/keepalived.stats', json: '/tmp/keepalived.json' };
/** The signals, by keepalived --signum name, in the order sent, and the file each one writes. */
const SIGNALS: [string, number, string | undefined][] = [
  ['DATA (USR1)', SIGNUMS.DATA, FILES.data],
  ['STATS (USR2)', SIGNUMS.STATS, FILES.stats],
  ['STATS_CLEAR', SIGNUMS.STATS_CLEAR, FILES.stats],
  ['JSON', SIGNUMS.JSON, FILES.json],
  ['RELOAD (HUP)', SIGNUMS.RELOAD, undefined],
];

const clearFiles = () => {
  for (const f of Object.values(FILES)) rmSync(f, { force: true });
};
const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);
const mtime = (p: string) => (existsSync(p) ? statSync(p).mtimeMs : 0);

describe('signals to a running master (ours and keepalived 2.2.7)', () => {
  netnsIt('dsig', hasKeepalived)('USR1, USR2, STATS_CLEAR, JSON, HUP: still master with VIP and pid files; dumps in keepalived\'s files; TERM stops cleanly', 120_000, async (f) => {
    const { lab } = f;
    f.hosts(BESIDE_KEEPALIVED);
    const conf = GLOBAL_DEFS + instanceConf({ priority: 150, vips: [`${VIP}/24`] });

    // keepalived first (the dump files are shared paths): which signals keep it up, which files it writes.
    clearFiles();
    const k = f.keepalived('k', conf);
    await waitVip(lab, 'k', VIP, true, 15_000);
    // (Each signal's file must be rewritten; other tests may write these paths too, so files
    // changing that a signal does not name are not held against it.)
    for (const [name, signum, file] of SIGNALS) {
      const before = file ? mtime(file) : 0;
      process.kill(k.child.pid!, signum);
      if (file) await waitUntil(`keepalived ${name} rewrites ${file}`, () => mtime(file) > before, 5000);
      await sleep(300);
      expect(k.child.exitCode, `${name} stopped keepalived`).toBeNull();
    }
    expect(lab.addresses('k')).toContain(`${VIP}/24`);
    // keepalived's parent and VRRP child each announce their USR1 dump, in whichever order the two
    // processes get to it (both orders seen): that pair is compared as a set, the rest in order.
    const USR1_PAIR = ['Printing VRRP data', 'Printing parent data'];
    const printing = (lines: string[]) => {
      const all = lines.map((l) => /(Printing [\w ]+) for process\(\d+\) on signal/.exec(l)?.[1]).filter((x): x is string => x !== undefined);
      return [...all.filter((x) => USR1_PAIR.includes(x)).sort(), ...all.filter((x) => !USR1_PAIR.includes(x))];
    };
    const kPrinting = printing(k.lines);
    expect(kPrinting).toContain('Printing and clearing VRRP stats');
    for (const f of Object.values(FILES)) expect(mode(f)).toBe('600');
    k.signal('SIGTERM');
    await k.exited();
    expect(k.child.exitCode).toBe(0);

    // Ours: the same signals, the same files, still master afterwards.
    clearFiles();
    const a = f.daemon('a', conf);
    await waitVip(lab, 'a', VIP, true, 15_000);
    await a.waitFor(/Entering MASTER STATE/, 5000);
    const pid = String(a.child.pid);
    for (const [name, signum, file] of SIGNALS) {
      const before = file ? mtime(file) : 0;
      const n = a.lines.length;
      process.kill(a.child.pid!, signum);
      if (!file) await waitUntil('HUP: reload done', () => a.lines.slice(n).some((l) => /Reload finished in \d+ usec: configuration unchanged/.test(l)), 10_000);
      else {
        await waitUntil(`${name} dump logged`, () => a.lines.slice(n).some((l) => l.includes(`written to ${file}`)), 5000);
        expect(mtime(file)).toBeGreaterThan(before);
      }
      await sleep(300);
      expect(a.child.exitCode, `${name} stopped the daemon`).toBeNull();
      expect(lab.addresses('a'), `VIP after ${name}`).toContain(`${VIP}/24`);
      expect(readFileSync(a.pidFile, 'utf8').trim()).toBe(pid);
      expect(readFileSync(a.vrrpPidFile, 'utf8').trim()).toBe(pid);
      if (signum === SIGNUMS.STATS) {
        // Read before STATS_CLEAR rewrites it.
        const stats = readFileSync(FILES.stats, 'utf8');
        expect(stats).toMatch(/^VRRP Instance: VI_1$/m);
        expect(Number(/Advertisements:\n\s+Received: \d+\n\s+Sent: (\d+)/.exec(stats)?.[1])).toBeGreaterThan(0);
        expect(stats).toMatch(/Became master: 1$/m);
      }
    }
    for (const f of Object.values(FILES)) expect(mode(f)).toBe('600');
    // keepalived's announcement of each dump, in the same order.
    expect(printing(a.lines)).toEqual(kPrinting);
    const data = readFileSync(FILES.data, 'utf8');
    expect(data).toContain(`pid ${pid}`);
    expect(data).toMatch(/VRRP Instance = VI_1\n\s+State = MASTER/);
    expect(data).toContain(`Virtual IP = ${VIP}/24 (installed)`);
    const json = JSON.parse(readFileSync(FILES.json, 'utf8')) as { data: Record<string, unknown>; stats: Record<string, number> }[];
    expect(json).toHaveLength(1);
    expect(json[0].data).toMatchObject({ iname: 'VI_1', state: 2, vrid: 51, base_priority: 150, effective_priority: 150, ifp_ifname: 'eth0' });
    // STATS_CLEAR zeroed the counters just before: this JSON counts only adverts sent since then.
    expect(json[0].stats.become_master).toBe(0);
    expect(json[0].stats.advert_sent).toBeLessThan(5);

    a.signal('SIGTERM');
    expect(await a.exitCode()).toBe(0);
    expect(lab.addresses('a')).not.toContain(`${VIP}/24`);
    expect(existsSync(a.pidFile)).toBe(false);
    expect(existsSync(a.vrrpPidFile)).toBe(false);
  });

  netnsIt('dsgu', hasKeepalived)('-u 027: the dumps are 0640, as keepalived -u 027 writes them (0600 without -u, above)', 60_000, async (f) => {
    f.hosts(BESIDE_KEEPALIVED);
    const k = f.keepalived('k', GLOBAL_DEFS + instanceConf({ vrid: 52, priority: 150, vips: ['192.0.2.101/24'] }), ['-u', '027']);
    const a = f.daemon('a', GLOBAL_DEFS + instanceConf({ vrid: 51, priority: 150, vips: [`${VIP}/24`] }), { extraArgs: ['-u', '027'] });
    await k.waitFor(/Entering BACKUP STATE/, 15_000);
    await a.waitFor(/Entering BACKUP STATE/, 15_000);
    const dumpModes = async (pid: number): Promise<string[]> => {
      clearFiles();
      for (const sig of [SIGNUMS.DATA, SIGNUMS.STATS, SIGNUMS.JSON]) process.kill(pid, sig);
      await waitUntil('three dumps', () => Object.values(FILES).every((f) => existsSync(f)), 5000);
      await sleep(200);
      return Object.values(FILES).map(mode);
    };
    expect(await dumpModes(k.child.pid!)).toEqual(['640', '640', '640']);
    expect(await dumpModes(a.child.pid!)).toEqual(['640', '640', '640']);
    expect(k.child.exitCode).toBeNull();
    expect(a.child.exitCode).toBeNull();
    a.signal('SIGTERM');
    expect(await a.exitCode()).toBe(0);
  });

  netnsIt('dsgs')('signals during start-up are held, not fatal: USR2, JSON and STATS_CLEAR are answered and a TERM stops the daemon once it runs', 60_000, async (f) => {
    const { lab } = f;
    f.hosts({ a: V4_PAIR.a });
    const a = f.daemon('a', GLOBAL_DEFS + instanceConf({ priority: 150, vips: [`${VIP}/24`] }));
    // The child of `ip netns exec` is node itself (exec). Its handlers for USR2 (12) and the
    // realtime signals are in place when /proc shows them caught; Node catches none of them.
    const caught = (): Set<number> => {
      try {
        const hex = /SigCgt:\s*([0-9a-f]+)/.exec(readFileSync(`/proc/${a.child.pid}/status`, 'utf8'))?.[1] ?? '0';
        const v = BigInt(`0x${hex}`);
        return new Set(Array.from({ length: 64 }, (_, i) => i + 1).filter((n) => (v >> BigInt(n - 1)) & 1n));
      } catch {
        return new Set();
      }
    };
    await waitUntil('early handlers', () => [12, SIGNUMS.JSON, SIGNUMS.STATS_CLEAR].every((n) => caught().has(n)), 15_000, 2);
    const startedBefore = a.lines.some((l) => /Startup complete/.test(l));
    for (const sig of [SIGNUMS.STATS, SIGNUMS.JSON, SIGNUMS.STATS_CLEAR, 15]) process.kill(a.child.pid!, sig);
    expect(await a.exitCode()).toBe(0);
    expect(startedBefore).toBe(false);
    for (const sig of ['SIGUSR2', 'JSON', 'STATS_CLEAR', 'SIGTERM']) expect(a.lines.some((l) => l.includes(`${sig} arrived during start-up`)), sig).toBe(true);
    expect(a.lines.some((l) => /Startup complete/.test(l))).toBe(true);
    expect(lab.addresses('a')).not.toContain(`${VIP}/24`);
    expect(existsSync(a.pidFile)).toBe(false);
  });

  netnsIt('dspd', hasKeepalived)('USR1 also writes the parent\'s file (/tmp/keepalived_parent.data) as keepalived 2.2.7 does; with only the checkers (-C) USR1 writes the parent\'s and the checkers\' files, USR2 and JSON nothing', 90_000, async (f) => {
    f.hosts(BESIDE_KEEPALIVED);
    const PARENT = '/tmp/keepalived_parent.data';
    const CHECK = '/tmp/keepalived_check.data';
    const conf = GLOBAL_DEFS + instanceConf({ priority: 150, vips: [`${VIP}/24`] });
    /** Sends USR1 and waits for the files it must write; returns the log lines that followed. */
    const usr1 = async (p: { child: { pid?: number }; lines: string[] }, files: string[]): Promise<string[]> => {
      const before = files.map(mtime);
      const n = p.lines.length;
      process.kill(p.child.pid!, SIGNUMS.DATA);
      await waitUntil('USR1 files', () => files.every((file, k) => mtime(file) > before[k]), 5000);
      await sleep(300);
      return p.lines.slice(n);
    };
    const k = f.keepalived('k', conf);
    await k.waitFor(/Entering (BACKUP|MASTER) STATE/, 15_000);
    const kLines = await usr1(k, [FILES.data, PARENT]);
    expect(mode(PARENT)).toBe('600');
    const a = f.daemon('a', conf);
    await a.waitFor(/Entering (BACKUP|MASTER) STATE/, 15_000);
    const aLines = await usr1(a, [FILES.data, PARENT]);
    expect(mode(PARENT)).toBe('600');
    expect(readFileSync(PARENT, 'utf8')).toContain(`parent, pid ${a.child.pid}`);
    // The same announcements, keepalived's wording with each one's pid.
    const said = (lines: string[]) => lines.map((l) => /Printing (\w+) data for process\(\d+\) on signal/.exec(l)?.[1]).filter(Boolean);
    expect(said(aLines)).toEqual(said(kLines));
    expect(said(aLines)).toEqual(['parent', 'VRRP']);
    a.signal('SIGTERM');
    expect(await a.exitCode()).toBe(0);

    // Only the checkers: keepalived's checker child needs IPVS in the kernel (it stops without it),
    // so this side follows its source: the parent and the checker child write their data files;
    // statistics and JSON are the VRRP child's, which does not run.
    const vs = 'virtual_server 192.0.2.100 80 {\n  delay_loop 1\n  lb_algo rr\n  lb_kind DR\n  protocol TCP\n  real_server 192.0.2.30 80 {\n    TCP_CHECK {\n      connect_timeout 1\n    }\n  }\n}\n';
    const c = f.daemon('a', GLOBAL_DEFS + vs, { extraArgs: ['-C'] });
    await c.waitFor(/Startup complete/, 15_000);
    const cLines = await usr1(c, [PARENT, CHECK]);
    expect(said(cLines)).toEqual(['parent', 'checker']);
    expect(readFileSync(CHECK, 'utf8')).toContain('Virtual server = [192.0.2.100]:tcp:80');
    const quiet = [FILES.stats, FILES.json].map(mtime);
    for (const sig of [SIGNUMS.STATS, SIGNUMS.JSON]) process.kill(c.child.pid!, sig);
    await sleep(1000);
    expect([FILES.stats, FILES.json].map(mtime)).toEqual(quiet);
    expect(c.child.exitCode).toBeNull();
    c.signal('SIGTERM');
    expect(await c.exitCode()).toBe(0);
  });
});
