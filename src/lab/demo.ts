// `npm start`: a live two-node failover in private network namespaces.
//
//   node1 (192.0.2.11, priority 150) ─┐
//   node2 (192.0.2.12, priority 100) ─┼─ bridge ── client (192.0.2.50) pinging VIP 192.0.2.100
//
// Both nodes run keepalived-ts with conf-examples/demo-pair.conf (`-i node1` / `-i node2`).
// The demo waits for node1 to become master, crashes it (SIGKILL and cable cut), shows node2 taking over and
// the client's pings resuming with the measured outage, then removes every namespace and
// process it made — also on Ctrl-C.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Lab } from './lab.js';
import { watchProcess, type PeerProcess } from './keepalived-peer.js';

const here = dirname(fileURLToPath(import.meta.url));
const VIP = '192.0.2.100';

function repoRoot(): string {
  let d = here;
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(d, 'package.json')) && existsSync(join(d, 'conf-examples'))) return d;
    d = dirname(d);
  }
  return process.cwd();
}

/** How to start our CLI: the bundle (dist/bin, `npm run build`), else the compiled JS next to this file, else the TS source through tsx. */
function cliCommand(): string[] {
  const bundle = join(here, '..', '..', 'bin', 'keepalived-ts.mjs');
  if (here.endsWith(join('dist', 'src', 'lab')) && existsSync(bundle)) return [process.execPath, bundle];
  const js = join(here, '..', 'cli', 'main.js');
  if (existsSync(js)) return [process.execPath, js];
  return [process.execPath, '--import', 'tsx', join(here, '..', 'cli', 'main.ts')];
}

const t0 = Date.now();
const stamp = () => `${((Date.now() - t0) / 1000).toFixed(3).padStart(7)}s`;
const colour = process.stdout.isTTY ? (c: number, s: string) => `\x1b[${c}m${s}\x1b[0m` : (_c: number, s: string) => s;
const say = (who: string, msg: string, c = 0) => console.log(`${stamp()}  ${colour(c, who.padEnd(7))} ${msg}`);

/** Parses `ping -D -O` output: reply times and unanswered sequence numbers. */
class PingWatch {
  readonly replies: number[] = [];
  lastGapMs = 0;
  private lastReply = 0;
  constructor(
    proc: PeerProcess,
    private readonly onGapEnd: (ms: number) => void,
  ) {
    let partial = '';
    proc.child.stdout?.on('data', (d: Buffer) => {
      partial += d.toString();
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) this.line(l);
    });
  }
  private line(l: string): void {
    const m = /^\[(\d+\.\d+)\].*bytes from/.exec(l);
    if (!m) return;
    const t = Number(m[1]) * 1000;
    if (this.lastReply > 0 && t - this.lastReply > 150) {
      this.lastGapMs = t - this.lastReply;
      this.onGapEnd(this.lastGapMs);
    }
    this.lastReply = t;
    this.replies.push(t);
  }
}

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

async function waitUntil(pred: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (pred()) return true;
    await sleep(20);
  }
  return pred();
}

export async function runDemo(): Promise<number> {
  if (process.getuid?.() !== 0) {
    console.error('npm start needs root: the demo creates network namespaces (run it as root, e.g. sudo npm start).');
    return 4;
  }
  const root = repoRoot();
  const conf = resolve(root, 'conf-examples', 'demo-pair.conf');
  const dir = mkdtempSync(join(tmpdir(), 'kt-demo-'));
  const lab = new Lab('demo');
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    say('demo', 'interrupted: cleaning up');
    lab.destroy();
    rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    say('demo', `building a lab: bridge ${lab.switchNs}, hosts node1 node2 client`);
    lab.addHost({ name: 'node1', addresses: ['192.0.2.11/24'] });
    lab.addHost({ name: 'node2', addresses: ['192.0.2.12/24'] });
    lab.addHost({ name: 'client', addresses: ['192.0.2.50/24'] });

    const nodes = new Map<string, PeerProcess>();
    const state = new Map<string, string>();
    const start = (name: string) => {
      const p = watchProcess(
        lab.spawn(name, [...cliCommand(), '-f', conf, '-i', name, '-l', '-p', join(dir, `${name}.pid`), '-r', join(dir, `${name}-vrrp.pid`)], {
          env: { ...process.env, NO_COLOR: '1' },
        }),
      );
      p.child.stderr?.on('data', (d: Buffer) => {
        for (const l of d.toString().split('\n')) {
          const m = /Entering (\w+) STATE/.exec(l);
          if (m) {
            state.set(name, m[1]);
            say(name, `-> ${m[1]}`, m[1] === 'MASTER' ? 32 : m[1] === 'FAULT' ? 31 : 33);
          } else if (/ERROR|FATAL/.test(l)) say(name, l.trim(), 31);
        }
      });
      nodes.set(name, p);
      return p;
    };
    say('demo', `starting keepalived-ts on node1 (priority 150) and node2 (priority 100): ${conf}`);
    start('node1');
    start('node2');
    if (!(await waitUntil(() => state.get('node1') === 'MASTER', 5000))) {
      say('demo', 'node1 did not become master in 5 s', 31);
      return 1;
    }
    await waitUntil(() => lab.addresses('node1').some((a) => a.startsWith(VIP + '/')), 2000);
    say('demo', `VIP ${VIP} is on node1: ${lab.addresses('node1').filter((a) => a.startsWith('192.')).join(', ')}`);

    say('client', `pinging ${VIP} every 20 ms`);
    const pinger = watchProcess(lab.spawn('client', ['ping', '-D', '-O', '-n', '-i', '0.02', '-W', '0.2', VIP]));
    let outage = 0;
    const ping = new PingWatch(pinger, (ms) => {
      outage = ms;
      say('client', `pings answered again after an outage of ${ms.toFixed(0)} ms`, 36);
    });
    await waitUntil(() => ping.replies.length >= 25, 3000);
    say('client', `${ping.replies.length} replies so far`);

    const victim = nodes.get('node1')!;
    say('demo', `node1 crashes: kill -9 (pid ${victim.child.pid}) and its cable cut, so no goodbye advert and nobody answers for the VIP`, 31);
    const killedAt = Date.now();
    victim.signal('SIGKILL');
    lab.setLink('node1', false);
    await waitUntil(() => state.get('node2') === 'MASTER', 5000);
    const masterAfter = Date.now() - killedAt;
    await waitUntil(() => lab.addresses('node2').some((a) => a.startsWith(VIP + '/')), 2000);
    say('demo', `VIP ${VIP} is on node2 ${masterAfter} ms after the kill (VRRPv3 limit: 3 x 200 ms + skew 121.9 ms = 721.9 ms)`);
    await waitUntil(() => outage > 0, 3000);
    await sleep(500);

    say('demo', 'node1 comes back (cable in, daemon restarted): it has the higher priority, so it preempts');
    // A crashed daemon leaves its VIP behind; keepalived-ts removes it at start-up like keepalived.
    lab.setLink('node1', true);
    start('node1');
    await waitUntil(() => state.get('node1') === 'MASTER' && state.get('node2') === 'BACKUP', 5000);
    await sleep(500);
    say('demo', `summary: failover ${masterAfter} ms, client outage ${outage.toFixed(0)} ms, ${ping.replies.length} pings answered`);
    for (const p of nodes.values()) p.signal('SIGTERM');
    pinger.signal('SIGTERM');
    await Promise.all([...nodes.values()].map((p) => Promise.race([p.exited(), sleep(3000)])));
    return 0;
  } finally {
    if (!interrupted) {
      lab.destroy();
      rmSync(dir, { recursive: true, force: true });
      say('demo', 'removed every namespace and process the demo made');
    }
  }
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1]);
if (isMain) {
  runDemo().then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(`demo failed: ${(e as Error).message}`);
      process.exit(1);
    },
  );
}
