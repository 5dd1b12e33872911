// Our daemon's syslog lines and systemd notifications, end to end, beside keepalived 2.2.7 in the
// same run. keepalived can only log to /dev/log, so it runs in a private mount namespace whose
// /dev is a tmpfs with /dev/log pointing at a test listener (the host's /dev is untouched); ours
// is pointed at a second listener with --syslog-socket. Both get -S 3: the same PRI, idents,
// pid and words are expected for the lines both print.
//
// The sd_notify part runs the daemon with NOTIFY_SOCKET set to an abstract socket (as systemd
// can pass one) bound inside the lab host's network namespace, and WATCHDOG_USEC as WatchdogSec=
// sets it.
import { describe, expect } from 'vitest';
import { readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { hasKeepalived, PYTHON, runs } from '../../helpers/require.js';
import { BESIDE_KEEPALIVED, netnsIt, type NetnsFixture } from '../../helpers/netns-fixture.js';
import { listenDgram } from '../../helpers/dgram-listener.js';
import { GLOBAL_DEFS, instanceConf, nodeDir, startDaemonNode, waitUntil } from './daemon-lab.js';
import { watchProcess, type PeerProcess } from '../../../src/lab/keepalived-peer.js';

const hasPython = runs(PYTHON, ['-c', 'import socket'], 'python3 missing (apt-get install python3)');
const hasUnshare = runs('unshare', ['--version'], 'unshare (util-linux) missing');
const LINE = /^<(\d+)>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d (\w+)\[(\d+)\]: (.*)$/s;

/** [pri, ident, pid, msg] of each datagram. */
function parsed(texts: string[]): [string, string, string, string][] {
  return texts.map((t) => {
    const m = LINE.exec(t);
    if (!m) throw new Error(`not a syslog line: ${JSON.stringify(t)}`);
    return [m[1]!, m[2]!, m[3]!, m[4]!];
  });
}

/**
 * keepalived 2.2.7 (`-n -P`, no -l: syslog only) in lab host `host`, in a private mount namespace
 * whose /dev is a tmpfs (the few device nodes it needs linked from the real one) with /dev/log
 * a symlink to `logPath`. The host's /dev is not touched.
 */
function keepalivedOnSyslog(f: NetnsFixture, host: string, dir: string, logPath: string, config: string, args: string[] = []): PeerProcess {
  writeFileSync(join(dir, 'keepalived.conf'), config);
  const script = [
    'set -e',
    `mkdir -p ${dir}/olddev`,
    `mount --rbind /dev ${dir}/olddev`,
    'mount -t tmpfs kt-dev /dev',
    `for d in null zero full random urandom tty; do ln -s ${dir}/olddev/$d /dev/$d; done`,
    `ln -s ${logPath} /dev/log`,
    `exec keepalived -n -P ${args.join(' ')} -f ${dir}/keepalived.conf -p ${dir}/k.pid -r ${dir}/v.pid -c ${dir}/c.pid`,
  ].join('\n');
  const k = watchProcess(f.lab.spawn(host, ['unshare', '-m', '--propagation', 'private', 'sh', '-c', script]));
  f.onCleanup(() => k.signal('SIGKILL'));
  return k;
}

describe('syslog and sd_notify, ours beside keepalived 2.2.7', () => {
  netnsIt('dslg', hasKeepalived, hasPython, hasUnshare)('-S 3: the same PRI, ident and words as keepalived for start, MASTER and stop lines', 120_000, async (f) => {
    const { lab } = f;
    f.hosts(BESIDE_KEEPALIVED);
    const kdir = nodeDir('k');
    const klog = listenDgram(join(kdir, 'log'));
    const adir = nodeDir('a');
    const alog = listenDgram(join(adir, 'log'));
    f.onCleanup(() => klog.close());
    f.onCleanup(() => alog.close());
    await klog.ready;
    await alog.ready;
    // keepalived: no -l (syslog only), its own /dev/log in a private mount namespace.
    const k = keepalivedOnSyslog(f, 'k', kdir, klog.path, GLOBAL_DEFS + instanceConf({ vrid: 52, priority: 150, vips: ['192.0.2.101/24'] }), ['-S', '3']);
    const a = startDaemonNode(lab, 'a', GLOBAL_DEFS + instanceConf({ vrid: 51, priority: 150, vips: ['192.0.2.100/24'] }), {
      dir: adir,
      extraArgs: ['-S', '3', '--syslog-socket', alog.path],
    });
    f.onCleanup(() => a.cleanup());
    await klog.waitFor((t) => t.endsWith('(VI_1) Entering MASTER STATE'), 20_000);
    await alog.waitFor((t) => t.endsWith('(VI_1) Entering MASTER STATE'), 20_000);
    const pid = readFileSync(a.pidFile, 'utf8').trim();
    const kVrrpPid = Number(readFileSync(join(kdir, 'v.pid'), 'utf8').trim());
    k.signal('SIGTERM');
    a.signal('SIGTERM');
    await klog.waitFor((t) => /Keepalived\[\d+\]: Stopped Keepalived/.test(t), 15_000);
    await alog.waitFor((t) => /Keepalived\[\d+\]: Stopped Keepalived/.test(t), 15_000);
    expect(await a.exitCode()).toBe(0);

    const theirs = parsed(klog.datagrams().map((d) => d.text));
    const ours = parsed(alog.datagrams().map((d) => d.text));
    const pick = (lines: [string, string, string, string][], re: RegExp) => lines.filter((l) => re.test(l[3])).map(([pri, ident, , msg]) => [pri, ident, msg.match(re)![0]]);
    for (const re of [/^Starting Keepalived v2\.2\.7/, /^\(VI_1\) Entering BACKUP STATE/, /^\(VI_1\) Entering MASTER STATE$/, /^Stopping$/, /^Stopped Keepalived v2\.2\.7/]) {
      expect(pick(ours, re), `${re}: ours ${JSON.stringify(ours)}`).toEqual(pick(theirs, re));
      expect(pick(ours, re).length, String(re)).toBeGreaterThan(0);
    }
    // Every line is local3 (-S 3): PRI 152..159.
    for (const [pri] of [...ours, ...theirs]) expect(Number(pri) >> 3).toBe(19);
    // Our pid is the daemon's (its pid file); keepalived's VRRP lines carry its VRRP child's.
    expect(new Set(ours.map((l) => l[2]))).toEqual(new Set([pid]));
    expect(kVrrpPid).toBe(Number(theirs.find((l) => l[1] === 'Keepalived_vrrp')![2]));
  });

  // The lines operators grep and alert on, as keepalived 2.2.7 words them (ident and text, in
  // syslog). Each role is played once by keepalived and once by us in the same run (two VRIDs):
  // HIGH (priority 150) is master, stops (its peer takes over), comes back and preempts; LOW
  // (priority 100) is backup, takes over on the priority-0 advert, and yields to HIGH again.
  // Both run with -D (keepalived says "Backup received priority 0 advertisement" only then).
  // The LVS and checker lines (Adding/Removing service, TCP connection to ... success/failed,
  // quorum) are in src/ipvs/wording.ts and src/check/checker-state.ts, compared with keepalived in
  // the VM tests (test/vm/lvs-differential.test.ts).
  const GREP_WORTHY: readonly RegExp[] = [
    /^Starting Keepalived v2\.2\.7\b/,
    /^Stopped Keepalived v2\.2\.7\b/,
    /^\(VI_1\) Entering BACKUP STATE \(init\)$/,
    /^\(VI_1\) Entering MASTER STATE$/,
    /^\(VI_1\) Entering BACKUP STATE$/,
    /^\(VI_1\) Backup received priority 0 advertisement$/,
    /^\(VI_1\) Master received advert from ADDR with higher priority 150, ours 100$/,
    /^\(VI_1\) received lower priority \(100\) advert from ADDR - discarding$/,
    /^Starting VRRP child process, pid=/,
  ];

  netnsIt('dsgw', hasKeepalived, hasPython, hasUnshare)("grep-worthy lines: the same ident and words as keepalived's, role by role", 180_000, async (f) => {
    const { lab } = f;
    f.hosts({ kh: '192.0.2.21/24', al: '192.0.2.11/24', ah: '192.0.2.12/24', kl: '192.0.2.22/24' });
    const conf = (vrid: number, priority: number, vip: string) => GLOBAL_DEFS + instanceConf({ vrid, priority, vips: [`${vip}/24`] });
    type Node = { lines(): [string, string][]; stop(): Promise<void> };
    const listen = async (host: string) => {
      const dir = nodeDir(host);
      const l = listenDgram(join(dir, 'log'));
      f.onCleanup(() => l.close());
      await l.ready;
      // [ident, text] with peer addresses made ADDR (each role has another peer address).
      const lines = (): [string, string][] => parsed(l.datagrams().map((d) => d.text)).map(([, ident, , msg]) => [ident, msg.replace(/192\.0\.2\.\d+/g, 'ADDR')]);
      return { dir, l, lines };
    };
    const keepalived = async (host: string, vrid: number, priority: number, vip: string) => {
      const { dir, l, lines } = await listen(host);
      let k = keepalivedOnSyslog(f, host, dir, l.path, conf(vrid, priority, vip), ['-D']);
      return {
        l,
        lines,
        restart: () => (k = keepalivedOnSyslog(f, host, dir, l.path, conf(vrid, priority, vip), ['-D'])),
        async stop() {
          k.signal('SIGTERM');
          await k.exited();
        },
      };
    };
    const ours = async (host: string, vrid: number, priority: number, vip: string) => {
      const { dir, l, lines } = await listen(host);
      const start = () => {
        const n = startDaemonNode(lab, host, conf(vrid, priority, vip), { dir, extraArgs: ['-D', '--syslog-socket', l.path] });
        f.onCleanup(() => n.cleanup());
        return n;
      };
      let a = start();
      return {
        l,
        lines,
        restart: () => (a = start()),
        async stop() {
          a.signal('SIGTERM');
          expect(await a.exitCode()).toBe(0);
        },
      };
    };
    // Scenario 1 (VRID 51): keepalived HIGH, ours LOW. Scenario 2 (VRID 52): ours HIGH, keepalived LOW.
    const kHigh = await keepalived('kh', 51, 150, '192.0.2.100');
    const aLow = await ours('al', 51, 100, '192.0.2.100');
    const aHigh = await ours('ah', 52, 150, '192.0.2.101');
    const kLow = await keepalived('kl', 52, 100, '192.0.2.101');
    const said = (n: { l: { waitFor(p: (t: string) => boolean, ms?: number, from?: number): Promise<unknown> } }, re: RegExp, ms = 20_000) => n.l.waitFor((t) => re.test(t), ms);
    const at = (n: { l: { datagrams(): unknown[] } }) => n.l.datagrams().length;
    await Promise.all([said(kHigh, /Entering MASTER STATE/), said(aHigh, /Entering MASTER STATE/), said(aLow, /Entering BACKUP STATE/), said(kLow, /Entering BACKUP STATE/)]);
    // HIGH stops: LOW takes over on the priority-0 advert.
    await Promise.all([kHigh.stop(), aHigh.stop()]);
    await Promise.all([said(aLow, /Entering MASTER STATE/), said(kLow, /Entering MASTER STATE/)]);
    // HIGH comes back and preempts.
    const [nl, nk] = [at(aLow), at(kLow)];
    kHigh.restart();
    aHigh.restart();
    await Promise.all([aLow.l.waitFor((t) => /Entering BACKUP STATE$/.test(t), 30_000, nl), kLow.l.waitFor((t) => /Entering BACKUP STATE$/.test(t), 30_000, nk)]);
    await Promise.all([said(kHigh, /Entering MASTER STATE/), said(aHigh, /Entering MASTER STATE/)]);
    await new Promise((r) => setTimeout(r, 1500));
    await Promise.all([kHigh.stop(), aHigh.stop(), kLow.stop(), aLow.stop()]);

    // Distinct lines per pattern: how many adverts arrive in a master-down interval depends on the
    // phase of the peer's timer, the words do not.
    const grepped = (n: Node) => GREP_WORTHY.map((re) => [...new Set(n.lines().filter(([, t]) => re.test(t)).map(([ident, t]) => `${ident}: ${re.exec(t)![0]}`))]);
    for (const [role, theirs, mine] of [['HIGH', kHigh, aHigh], ['LOW', kLow, aLow]] as const) {
      const t = grepped(theirs);
      const m = grepped(mine);
      GREP_WORTHY.forEach((re, i) => expect(m[i], `${role} ${re}`).toEqual(t[i]));
    }
    // Not vacuous: every pattern was seen in at least one role.
    GREP_WORTHY.forEach((re, i) => expect(grepped(kHigh)[i]!.length + grepped(kLow)[i]!.length, String(re)).toBeGreaterThan(0));
  });

  netnsIt('dsdn', hasPython)('NOTIFY_SOCKET (abstract): READY=1 after start, WATCHDOG=1 pings, STOPPING=1 at TERM; scripts do not inherit it', 90_000, async (f) => {
    const { lab } = f;
    f.hosts({ a: '192.0.2.11/24' });
    const name = `@kt-notify-${process.pid}-${Date.now()}`;
    const l = listenDgram(name, (argv) => lab.spawn('a', argv));
    f.onCleanup(() => l.close());
    await l.ready;
    const dir = nodeDir('a');
    const envScript = join(dir, 'env.sh');
    writeFileSync(envScript, `#!/bin/sh\nenv > ${join(dir, 'env.txt')}\n`);
    chmodSync(envScript, 0o755);
    const a = startDaemonNode(lab, 'a', GLOBAL_DEFS + instanceConf({ vrid: 51, priority: 150, vips: ['192.0.2.100/24'], extra: [`notify_master ${envScript}`] }), {
      dir,
      env: { NOTIFY_SOCKET: name, WATCHDOG_USEC: '400000' },
    });
    f.onCleanup(() => a.cleanup());
    const ready = await l.waitFor((t) => t.startsWith('READY=1'), 20_000);
    expect(ready.text).toBe('READY=1\nSTATUS=Running 1 VRRP instance(s), no virtual servers');
    // Ready means started: the pid file is there and the instance has logged its initial state.
    expect(readFileSync(a.pidFile, 'utf8').trim()).toMatch(/^\d+$/);
    await a.waitFor(/Startup complete/, 5000);
    await a.waitFor(/Entering MASTER STATE/, 15_000);
    const since = l.datagrams().length;
    await waitUntil('3 watchdog pings', () => l.datagrams().slice(since).filter((d) => d.text === 'WATCHDOG=1').length >= 3, 5000);
    await waitUntil('the notify script ran', () => {
      try {
        return readFileSync(join(dir, 'env.txt'), 'utf8').includes('PATH=');
      } catch {
        return false;
      }
    }, 10_000);
    expect(readFileSync(join(dir, 'env.txt'), 'utf8')).not.toMatch(/NOTIFY_SOCKET|WATCHDOG_USEC/);
    a.signal('SIGTERM');
    expect(await a.exitCode()).toBe(0);
    const texts = l.datagrams().map((d) => d.text);
    expect(texts.filter((t) => t.startsWith('STOPPING=1'))).toEqual(['STOPPING=1\nSTATUS=Stopping']);
    // Nothing after STOPPING=1 (the watchdog stopped with it).
    expect(texts.at(-1)).toBe('STOPPING=1\nSTATUS=Stopping');
    expect(texts.filter((t) => t.startsWith('READY=1'))).toHaveLength(1);
  });
});
