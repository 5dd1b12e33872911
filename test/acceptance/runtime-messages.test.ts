// The run-time lines people grep keep keepalived's words: the start-up banner ("Starting
// Keepalived v2.2.7 ...", "Opening file '...'.", "Starting VRRP child process, pid=N",
// "Startup complete"), "VRRP_Script(chk) succeeded/failed", "(VI_1) Entering X STATE",
// "Stopping", "Stopped Keepalived v2.2.7 ...". keepalived 2.2.7 and our daemon run the same
// config at the same time, each alone in its own lab (namespace + bridge), through the same
// events: the tracked script succeeds, the instance becomes master, the script fails, SIGTERM.
// The texts are compared with timestamps, pids, the config's path and the part of the banner
// after the version (keepalived's build date, our own version) taken out.
//
// The script is `ip link show ktflag`: it succeeds while an interface named ktflag exists in
// the node's namespace, so one config drives both nodes and the test flips each node's result
// by adding or deleting that interface.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { Lab } from '../../src/lab/lab.js';
import { startKeepalived, watchProcess, type PeerProcess } from '../../src/lab/keepalived-peer.js';
import { vrrpInstanceText } from '../helpers/keepalived-conf.js';
import { isRoot, itWhen, type Prereq } from '../helpers/require.js';
import { hasKeepalived } from './lib/keepalived.js';
import { mainTs, repoRoot } from './lib/cli.js';

const IP = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].find((p) => spawnSync(p, ['-V']).status === 0);
const hasIp: Prereq = () => (IP ? undefined : 'iproute2 (ip) is not installed');

const config = (): string => `global_defs {
  script_user root
  enable_script_security
}
vrrp_script chk {
  script "${IP} link show ktflag"
  interval 1
  rise 1
  fall 1
}
${vrrpInstanceText({ name: 'VI_1', state: 'BACKUP', iface: 'eth0', vrid: 51, priority: 100, extra: ['  track_script {', '    chk', '  }'], vips: ['192.0.2.100/24'] })}`;

/** The messages compared: keepalived's lines for these events. */
const EVENTS: readonly RegExp[] = [
  /^Starting Keepalived v/,
  /^Opening file '/,
  /^Configuration file /,
  /^Starting VRRP child process, pid=/,
  /^Startup complete$/,
  /^VRRP_Script\(chk\) (succeeded|failed \(exited with status \d+\))$/,
  /^\(VI_1\) Entering (BACKUP|MASTER|FAULT) STATE$/,
  /^Stopping$/,
  /^Stopped Keepalived v/,
];

/** A message without what differs by run: pids, the config path, what follows the version. */
function normalise(msg: string, conf: string): string {
  return msg
    .split(conf)
    .join('CONF')
    .replace(/pid=\d+/, 'pid=N')
    .replace(/^(St(?:art|opp)(?:ing|ed) Keepalived v\d+\.\d+\.\d+) .*$/, '$1');
}

/** keepalived -l lines: "Sat Dec  5 21:00:34 2026: message". */
function keepalivedMessage(line: string): string | undefined {
  return /^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}: (.*)$/.exec(line)?.[1];
}

/** Our JSON lines: the msg field. */
function ourMessage(line: string): string | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return (JSON.parse(line) as { msg?: string }).msg;
  } catch {
    return undefined;
  }
}

async function until(what: string, cond: () => boolean, timeoutMs: number, context: () => string[] = () => []): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timeout waiting for ${what}; last lines:\n${context().slice(-15).join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Node {
  readonly lab: Lab;
  readonly proc: PeerProcess;
  readonly conf: string;
  readonly message: (line: string) => string | undefined;
  cleanup(): void;
}

/** The event sequence on one node; returns its normalised event messages in order. */
async function drive(node: Node): Promise<string[]> {
  const msgs = () => node.proc.lines.map(node.message).filter((m): m is string => m !== undefined);
  await until('VRRP_Script(chk) succeeded and MASTER', () => msgs().includes('VRRP_Script(chk) succeeded') && msgs().includes('(VI_1) Entering MASTER STATE'), 25_000, msgs);
  node.lab.exec('n', ['ip', 'link', 'del', 'ktflag']);
  await until('VRRP_Script(chk) failed, then FAULT', () => {
    const m = msgs();
    const i = m.findIndex((x) => x.startsWith('VRRP_Script(chk) failed'));
    return i >= 0 && m.slice(i).includes('(VI_1) Entering FAULT STATE');
  }, 15_000, msgs);
  node.proc.signal('SIGTERM');
  await until('exit', () => node.proc.child.exitCode !== null || node.proc.child.signalCode !== null, 15_000);
  return msgs()
    .map((m) => normalise(m, node.conf))
    .filter((m) => EVENTS.some((re) => re.test(m)));
}

function newLab(): Lab {
  const lab = new Lab('msg');
  lab.addHost({ name: 'n', addresses: ['192.0.2.11/24'] });
  // The tracked script's flag: an interface named ktflag (a veth end) in the node's namespace.
  lab.exec('n', ['ip', 'link', 'add', 'ktflag', 'type', 'veth', 'peer', 'name', 'ktflagp']);
  return lab;
}

describe('run-time messages: keepalived 2.2.7 and keepalived-ts on the same config, same events, same run', () => {
  itWhen(isRoot, hasKeepalived, hasIp)('same banner, script, state and stop lines', { timeout: 120_000 }, async () => {
    const labs: Lab[] = [];
    const cleanups: (() => void)[] = [];
    try {
      const kLab = newLab();
      labs.push(kLab);
      const ka = startKeepalived(kLab, 'n', config());
      cleanups.push(() => ka.cleanup());
      const kaNode: Node = { lab: kLab, proc: ka, conf: join(ka.dir, 'keepalived.conf'), message: keepalivedMessage, cleanup: () => ka.cleanup() };

      const oLab = newLab();
      labs.push(oLab);
      const dir = mkdtempSync(join(tmpdir(), 'kt-msg-'));
      chmodSync(dir, 0o755);
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      const conf = join(dir, 'keepalived.conf');
      writeFileSync(conf, config());
      // JSON lines on the console (-l --log-format json; without -l the lines go to syslog, as
      // keepalived's do): the msg field is exactly the message.
      // -D like the keepalived peer (startKeepalived): "Opening file" is a detail line in both.
      const child = oLab.spawn('n', [process.execPath, '--import', 'tsx', mainTs, '-l', '--log-format', 'json', '-D', '-f', conf, '-p', join(dir, 'k.pid'), '-r', join(dir, 'v.pid')], {
        cwd: repoRoot,
        env: { ...process.env, NODE_OPTIONS: '' },
      });
      const us = watchProcess(child);
      cleanups.push(() => us.signal('SIGKILL'));
      const usNode: Node = { lab: oLab, proc: us, conf, message: ourMessage, cleanup: () => us.signal('SIGKILL') };

      const [kaEvents, usEvents] = await Promise.all([drive(kaNode), drive(usNode)]);
      const kaSet = [...new Set(kaEvents)].sort();
      const usSet = [...new Set(usEvents)].sort();
      // Every kind of line keepalived printed for these events is there, in its words.
      expect(kaSet).toEqual(
        [
          '(VI_1) Entering BACKUP STATE',
          '(VI_1) Entering FAULT STATE',
          '(VI_1) Entering MASTER STATE',
          "Opening file 'CONF'.",
          'Configuration file CONF',
          'Starting Keepalived v2.2.7',
          'Starting VRRP child process, pid=N',
          'Startup complete',
          'Stopped Keepalived v2.2.7',
          'Stopping',
          'VRRP_Script(chk) failed (exited with status 1)',
          'VRRP_Script(chk) succeeded',
        ].sort(),
      );
      expect(usSet).toEqual(kaSet);
      // The order of the script and state lines after start-up matches too.
      const tail = (ev: string[]) => ev.slice(ev.indexOf('VRRP_Script(chk) succeeded')).filter((m) => /^(VRRP_Script|\(VI_1\)|Stop)/.test(m));
      expect(tail(usEvents)).toEqual(tail(kaEvents));
      // Our JSON `Startup complete` line carries the pid once (pino's base field), not twice.
      const started = us.lines.find((l) => ourMessage(l) === 'Startup complete') ?? '';
      expect(started.match(/"pid":/g)?.length).toBe(1);
    } finally {
      for (const c of cleanups.reverse()) c();
      for (const l of labs) l.destroy();
    }
  });
});
