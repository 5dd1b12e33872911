// A small HTTP and HTTPS server for the HTTP_GET / SSL_GET / genhash tests. It answers with raw
// bytes written by hand (node:net and node:tls servers), so a test controls exactly what a checker
// reads: statuses, bodies, Content-Length headers that lie, chunked framing, delays, a stalled
// body, no header at all. Every request is recorded with the TLS server name (SNI) and whether a
// client certificate was shown.
//
// Routes: /ok, /status/NNN, /slow/MS (answer after MS), /stall (header, then nothing),
// /switch (the status the test sets), /chunked, /long (more body than Content-Length), /short (less), /lower (lower-case
// content-length), /big (100 kB in pieces), /noheader (bytes with no header end), /echo (the
// request bytes as the body), anything else 404.
//
// Run directly (`node --import tsx http-server.ts HOST [TLSDIR [HTTPPORT HTTPSPORT]]`) it listens
// on HOST (HTTP, and HTTPS with TLSDIR/server.{crt,key}; port 0: any) and prints
// `ports HTTP HTTPS`, for tests that need it inside a network namespace.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer as netServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { createServer as tlsServer, type TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';

export const BODY_OK = 'hello from the real server\n';

export interface SeenRequest {
  readonly raw: string;
  readonly path: string;
  readonly tls: boolean;
  readonly servername?: string;
  readonly clientCert: boolean;
  /** The client's address and port. */
  readonly from: string;
}

export interface TestServers {
  readonly http: number;
  readonly https?: number;
  readonly seen: SeenRequest[];
  /** The status /switch answers with (200 at start). */
  setSwitch(status: number): void;
  close(): Promise<void>;
}

let switchStatus = 200;

function answer(sock: Socket, raw: string): void {
  const path = /^GET (\S+) /.exec(raw)?.[1] ?? '/';
  const head = (status: string, headers: string[]) => `HTTP/1.1 ${status}\r\nServer: kt-test\r\n${headers.map((h) => h + '\r\n').join('')}\r\n`;
  const send = (status: string, body: string, extra: string[] = []) => {
    sock.end(head(status, [`Content-Length: ${Buffer.byteLength(body)}`, ...extra]) + body);
  };
  let m: RegExpExecArray | null;
  if (path === '/ok') return send('200 OK', BODY_OK);
  if (path === '/switch') return send(`${switchStatus} Switched`, 'switch\n');
  if ((m = /^\/status\/(\d{3})$/.exec(path))) return send(`${m[1]} Whatever`, `status ${m[1]}\n`);
  if ((m = /^\/slow\/(\d+)$/.exec(path))) {
    const t = setTimeout(() => send('200 OK', 'slow\n'), Number(m[1]));
    sock.once('close', () => clearTimeout(t));
    return;
  }
  if (path === '/stall') {
    sock.write(head('200 OK', ['Content-Length: 1000']) + 'partial');
    return;
  }
  if (path === '/chunked') {
    sock.write(head('200 OK', ['Transfer-Encoding: chunked']));
    sock.write('6\r\nchunk1\r\n');
    setTimeout(() => sock.end('7\r\nchunk-2\r\n0\r\n\r\n'), 20);
    return;
  }
  if (path === '/long') return void sock.end(head('200 OK', ['Content-Length: 5']) + 'hello, and more');
  if (path === '/short') return void sock.end(head('200 OK', ['Content-Length: 100']) + 'only this\n');
  if (path === '/lower') return void sock.end(head('200 OK', ['content-length: 5']) + 'hello, and more');
  if (path === '/big') {
    sock.write(head('200 OK', ['Content-Length: 102400']));
    let i = 0;
    const more = () => {
      if (i === 100) return void sock.end();
      sock.write(Buffer.alloc(1024, 97 + (i++ % 26)), () => setImmediate(more));
    };
    more();
    return;
  }
  if (path === '/noheader') return void sock.end('this is not HTTP');
  if (path === '/echo') return send('200 OK', raw);
  send('404 Not Found', 'no such page\n');
}

function serve(sock: Socket, tls: boolean, seen: SeenRequest[]): void {
  let buf = '';
  sock.on('error', () => undefined);
  sock.on('data', (d: Buffer) => {
    if (buf.includes('\r\n\r\n')) return;
    buf += d.toString('latin1');
    if (!buf.includes('\r\n\r\n')) return;
    const t = sock as TLSSocket;
    const servername = tls && typeof t.servername === 'string' ? t.servername : undefined;
    const clientCert = tls && Object.keys(t.getPeerCertificate?.() ?? {}).length > 0;
    seen.push({ raw: buf, path: /^GET (\S+) /.exec(buf)?.[1] ?? '', tls, ...(servername ? { servername } : {}), clientCert, from: `${sock.remoteAddress}:${sock.remotePort}` });
    answer(sock, buf);
  });
}

const listen = (s: Server, host: string, port = 0): Promise<number> =>
  new Promise((resolve, reject) => {
    s.once('error', reject);
    s.listen(port, host, () => resolve((s.address() as { port: number }).port));
  });

/** Self-signed server and client certificates (openssl) in `dir`: server.{crt,key}, client.{crt,key} (key encrypted with `password`). */
export function makeCertificates(dir: string, password = 'secret'): void {
  const o = (args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  o(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'server.key'), '-out', join(dir, 'server.crt'), '-days', '2', '-subj', '/CN=rs.example.test']);
  o(['req', '-x509', '-newkey', 'rsa:2048', '-passout', `pass:${password}`, '-keyout', join(dir, 'client.key'), '-out', join(dir, 'client.crt'), '-days', '2', '-subj', '/CN=director.example.test']);
}

export async function startTestServers(host: string, tlsDir?: string, ports: { http?: number; https?: number } = {}): Promise<TestServers> {
  const seen: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };
  const plain = netServer((s) => {
    track(s);
    serve(s, false, seen);
  });
  const http = await listen(plain, host, ports.http);
  let secure: Server | undefined;
  let https: number | undefined;
  if (tlsDir !== undefined) {
    secure = tlsServer({ cert: readFileSync(join(tlsDir, 'server.crt')), key: readFileSync(join(tlsDir, 'server.key')), requestCert: true, rejectUnauthorized: false }, (s) => {
      track(s);
      serve(s, true, seen);
    });
    secure.on('tlsClientError', () => undefined);
    https = await listen(secure, host, ports.https);
  }
  return {
    http,
    ...(https !== undefined ? { https } : {}),
    seen,
    setSwitch: (n) => (switchStatus = n),
    close: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all([plain, ...(secure ? [secure] : [])].map((s) => new Promise((r) => s.close(r))));
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [host = '127.0.0.1', tlsDir, http, https] = process.argv.slice(2);
  void startTestServers(host, tlsDir || undefined, { http: Number(http ?? 0), https: Number(https ?? 0) }).then((s) => {
    process.stdout.write(`ports ${s.http} ${s.https ?? 0}\n`);
  });
}
