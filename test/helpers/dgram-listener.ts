// A real unix datagram receiver for tests (Node has none): python3 binds PATH ('@name' = an
// abstract socket, which lives in the network namespace it is bound in) and prints one JSON line
// per datagram. Used as a private /dev/log (syslog) and as systemd's NOTIFY_SOCKET.
import { spawn, type ChildProcess } from 'node:child_process';
import { PYTHON } from './require.js';

const SCRIPT = `
import json, os, socket, sys, time
p = sys.argv[1]
addr = '\\0' + p[1:] if p.startswith('@') else p
if not p.startswith('@'):
    try: os.unlink(p)
    except FileNotFoundError: pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(addr)
if not p.startswith('@'): os.chmod(p, 0o666)
print(json.dumps({"ready": True}), flush=True)
while True:
    d = s.recv(262144)
    print(json.dumps({"t": time.time(), "text": d.decode("utf-8", "replace")}), flush=True)
`;

export interface Datagram {
  /** Wall-clock seconds when it arrived. */
  readonly t: number;
  readonly text: string;
}

export interface DgramListener {
  readonly path: string;
  readonly ready: Promise<void>;
  datagrams(): Datagram[];
  /** The first datagram (from `from` on) matching `pred`. */
  waitFor(pred: (text: string) => boolean, timeoutMs?: number, from?: number): Promise<Datagram>;
  /** SIGSTOP / SIGCONT the receiver: a syslog daemon that stops reading. */
  pause(): void;
  resume(): void;
  close(): void;
}

/** Binds `path`; `wrap` prefixes the command (e.g. `ip netns exec NS` for an abstract socket there). */
export function listenDgram(path: string, wrap: (argv: string[]) => ChildProcess = (argv) => spawn(argv[0]!, argv.slice(1), { stdio: 'pipe' })): DgramListener {
  const child = wrap([PYTHON, '-u', '-c', SCRIPT, path]);
  const got: Datagram[] = [];
  let buf = '';
  let stderr = '';
  let onReady!: () => void;
  let onFail!: (e: Error) => void;
  const ready = new Promise<void>((res, rej) => {
    onReady = res;
    onFail = rej;
  });
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  child.on('exit', (code) => onFail(new Error(`datagram listener on ${path} exited ${code}: ${stderr}`)));
  child.stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const o = JSON.parse(line) as { ready?: boolean; t?: number; text?: string };
      if (o.ready) onReady();
      else got.push({ t: o.t ?? 0, text: o.text ?? '' });
    }
  });
  return {
    path,
    ready,
    datagrams: () => [...got],
    async waitFor(pred, timeoutMs = 15_000, from = 0) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = got.slice(from).find((g) => pred(g.text));
        if (hit) return hit;
        if (Date.now() > deadline) throw new Error(`no matching datagram on ${path} in ${timeoutMs} ms; got: ${JSON.stringify(got.map((g) => g.text))}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    pause() {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGSTOP');
    },
    resume() {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGCONT');
    },
    close() {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
    },
  };
}
