// One HTTP GET as keepalived's HTTP_GET / SSL_GET checker and genhash do it (check_http.c,
// check_ssl.c, lib/html.c), on a non-blocking node:net / node:tls socket. No shell, no HTTP
// library: the request and the reading of the answer are keepalived's, byte for byte.
//
//  * Request: `GET <path> HTTP/1.0|1.1`, `User-Agent: KeepAliveClient`, `Connection: close` for
//    http_protocol 1.0C and 1.1, and `Host: <virtualhost>` or `Host: <addr>:<port>` (`[addr]`
//    for IPv6). The answer is read until the server closes the connection.
//  * The header ends at the first CRLFCRLF; it must fit keepalived's 4,096-byte read buffer (a
//    longer one reads as "no data received"). The status code is the three digits after the
//    first space of the status line. Content-Length is found as keepalived finds it: the first
//    `Content-Length:` (this exact case) anywhere in the bytes read so far, a decimal number
//    that must end the line.
//  * The digest is MD5 over the body bytes exactly as they arrive: a chunked body is hashed with
//    its chunk-size lines (keepalived does not decode it), and a body longer than its
//    Content-Length is hashed only up to that length. `wget -O - URL | md5sum` gives the same
//    value for a plain body.
//  * Time limits (connect_timeout): the connect and TLS handshake together, then each wait for
//    the server (the request write, the first answer bytes, every later read) on its own, as
//    keepalived's per-read thread timeouts do. 0 means no limit (genhash without -t).
//  * TLS: no verification of the server's certificate (keepalived sets no verify mode); client
//    certificate, key and password and the CA file from the global SSL block; SNI only when a
//    server name is given.
// Failures come back as keepalived's reason texts (the debug_msg of its timeout_epilog).
import { createHash, type Hash } from 'node:crypto';
import { Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { HttpRegexPlan } from './http-plan.js';

/** keepalived's MAX_BUFFER_LENGTH: the header must fit one buffer less its terminating NUL. */
export const MAX_HEADER_BYTES = 4095;
/** Body bytes kept for a regex search (keepalived searches a streaming window; we keep this much). */
const REGEX_BODY_LIMIT = 4 * 1024 * 1024;

export interface HttpTarget {
  readonly host: string;
  readonly family: 4 | 6;
  readonly port: number;
  readonly bindto?: string;
  readonly bindPort?: number;
  /** Limit for each phase in ms; 0 = none. */
  readonly timeoutMs: number;
  /** Present for SSL_GET / genhash -S. */
  readonly tls?: HttpTls;
}

export interface HttpTls {
  readonly servername?: string;
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly passphrase?: string;
}

export interface HttpRequest {
  readonly path: string;
  readonly protocol: '1.0' | '1.0C' | '1.1';
  /** The url's (or checker's, server's) virtualhost; without one the Host header is addr:port. */
  readonly vhost?: string;
  /** Compute the body's MD5. */
  readonly digest: boolean;
  readonly regex?: HttpRegexPlan;
}

export type HttpFetchOutcome =
  | {
      readonly kind: 'response';
      /** A complete header (CRLFCRLF) was read. */
      readonly extracted: boolean;
      /** 0 when the status line has none keepalived can read. */
      readonly status: number;
      readonly contentLength?: number;
      readonly rxBytes: number;
      /** Lower-case hex MD5, when asked for. */
      readonly digest?: string;
      readonly regexMatched: boolean;
    }
  | { readonly kind: 'failed'; readonly reason: string }
  | { readonly kind: 'bindFailed'; readonly detail: string };

/** Optional views of the bytes as they are handled (genhash -v). */
export interface HttpFetchHooks {
  /** Called for each read that ends without a complete header yet, and the one that completes it. */
  readonly onHeaderRead?: () => void;
  readonly onHeader?: (header: Buffer) => void;
  /** Body bytes as they are hashed; `first` for the part read with the header. */
  readonly onHashed?: (bytes: Buffer, first: boolean) => void;
  readonly onDigest?: (digest: Buffer) => void;
}

export interface HttpFetch {
  /** Abandons the request; `done` is not called. */
  cancel(): void;
}

/** The request bytes keepalived sends (check_http.c request_template / request_template_ipv6). */
export function requestText(t: Pick<HttpTarget, 'host' | 'family' | 'port'>, r: Pick<HttpRequest, 'path' | 'protocol' | 'vhost'>): string {
  const host = r.vhost ?? (t.family === 6 ? `[${t.host}]:${t.port}` : `${t.host}:${t.port}`);
  const close = r.protocol === '1.0' ? '' : 'Connection: close\r\n';
  return `GET ${r.path} HTTP/1.${r.protocol === '1.1' ? 1 : 0}\r\nUser-Agent: KeepAliveClient\r\n${close}Host: ${host}\r\n\r\n`;
}

/** lib/html.c extract_status_code: the three digits between the first space and the next. */
export function statusCodeOf(head: Buffer): number {
  let i = 0;
  while (i < head.length && head[i] !== 0x20 && head[i] !== 0x0d) i++;
  if (head[i] !== 0x20) return 0;
  i++;
  if (i + 3 >= head.length || head[i] === 0x20 || head[i + 3] !== 0x20) return 0;
  const digits = head.subarray(i, i + 3).toString('latin1');
  return /^\d{3}$/.test(digits) ? Number(digits) : 0;
}

/** lib/html.c extract_content_length: the first `Content-Length:` in the buffer (a C string). */
export function contentLengthOf(buf: Buffer): number | undefined {
  const nul = buf.indexOf(0);
  const text = (nul >= 0 ? buf.subarray(0, nul) : buf).toString('latin1');
  const at = text.indexOf('Content-Length:');
  if (at < 0) return undefined;
  // strtoul: leading white space, an optional sign, then digits; what follows must end the line.
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d*)/.exec(text.slice(at + 15))!;
  const after = text.charAt(at + 15 + m[0].length);
  if (after !== '' && after !== '\r' && after !== '\n') return undefined;
  if (m[2] === '') return 0;
  const n = Number(m[2]);
  return m[1] === '-' ? undefined : n;
}

/** True when the regex test passes its offsets (regex_min_offset, regex_max_offset). */
export function regexFound(re: HttpRegexPlan, body: Buffer): boolean {
  const rx = new RegExp(re.source, re.flags.includes('g') ? re.flags : re.flags + 'g');
  rx.lastIndex = re.minOffset;
  const m = rx.exec(body.toString('latin1'));
  if (!m) return false;
  return re.maxOffset === undefined || m.index <= re.maxOffset;
}

/**
 * The reason for a failed TCP connect (layer4.c): no route at all is "network unreachable"
 * (connect() fails at once there), a kernel timeout is a connect timeout, anything else the
 * socket reports (refused, reset ...) is "Connection failed".
 */
export function connectReason(code: string | undefined): string {
  if (code === 'ENETUNREACH' || code === 'EHOSTUNREACH' || code === 'ENETDOWN' || code === 'EHOSTDOWN') return 'HTTP_CHECK - network unreachable';
  if (code === 'ETIMEDOUT') return 'Timeout connecting';
  return 'Connection failed';
}

export function httpFetch(t: HttpTarget, r: HttpRequest, done: (o: HttpFetchOutcome) => void, hooks: HttpFetchHooks = {}): HttpFetch {
  let finished = false;
  let timer: NodeJS.Timeout | undefined;
  let sock: Socket | TLSSocket | undefined;
  let phase: 'connect' | 'write' | 'first' | 'read' = 'connect';
  let head: Buffer = Buffer.alloc(0);
  let extracted = false;
  let status = 0;
  let contentLength: number | undefined;
  let rxBytes = 0;
  let hash: Hash | undefined = r.digest ? createHash('md5') : undefined;
  const regexBody: Buffer[] = [];
  let regexBytes = 0;
  const tls = t.tls;

  const finish = (o: HttpFetchOutcome | undefined): void => {
    if (finished) return;
    finished = true;
    if (timer) clearTimeout(timer);
    sock?.destroy();
    if (o) done(o);
  };
  const arm = (reason: string): void => {
    if (timer) clearTimeout(timer);
    if (t.timeoutMs > 0) timer = setTimeout(() => finish({ kind: 'failed', reason }), t.timeoutMs);
  };
  const readTimeout = (): string => (phase === 'first' ? 'Timeout WEB read' : tls ? 'Timeout SSL read' : 'Timeout HTTP read');

  const hashBody = (bytes: Buffer, first: boolean): void => {
    if (hash && bytes.length > 0 && (contentLength === undefined || contentLength > rxBytes)) {
      const take = contentLength === undefined || contentLength >= rxBytes + bytes.length ? bytes : bytes.subarray(0, contentLength - rxBytes);
      hash.update(take);
      hooks.onHashed?.(take, first);
    }
    if (r.regex && regexBytes < REGEX_BODY_LIMIT) {
      regexBody.push(bytes);
      regexBytes += bytes.length;
    }
    rxBytes += bytes.length;
  };

  const onData = (chunk: Buffer): void => {
    if (finished) return;
    phase = 'read';
    arm(readTimeout());
    if (!extracted) {
      hooks.onHeaderRead?.();
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0 || end + 4 > MAX_HEADER_BYTES) {
        if (head.length >= MAX_HEADER_BYTES) {
          // keepalived's buffer is full: its next read asks for 0 bytes and sees "end of data".
          complete();
        }
        return;
      }
      extracted = true;
      const headerEnd = end + 4;
      const first = head.subarray(headerEnd, MAX_HEADER_BYTES);
      status = statusCodeOf(head);
      contentLength = contentLengthOf(head.subarray(0, MAX_HEADER_BYTES));
      hooks.onHeader?.(head.subarray(0, headerEnd));
      hashBody(first, true);
      const rest = head.subarray(Math.max(headerEnd, MAX_HEADER_BYTES));
      if (rest.length > 0) hashBody(rest, false);
      head = Buffer.alloc(0);
      return;
    }
    hashBody(chunk, false);
  };

  const complete = (): void => {
    if (finished) return;
    let digest: string | undefined;
    if (hash) {
      const d = hash.digest();
      hash = undefined;
      hooks.onDigest?.(d);
      digest = d.toString('hex');
    }
    const matched = r.regex !== undefined && extracted && regexFound(r.regex, Buffer.concat(regexBody));
    finish({
      kind: 'response',
      extracted,
      status,
      ...(contentLength !== undefined ? { contentLength } : {}),
      rxBytes,
      ...(digest !== undefined ? { digest } : {}),
      regexMatched: matched,
    });
  };

  const connected = (): void => {
    if (finished || !sock) return;
    phase = 'write';
    arm('Timeout WEB write');
    sock.write(requestText(t, r), (e) => {
      if (finished) return;
      if (e) return finish({ kind: 'failed', reason: 'Cannot send get request to' });
      if (phase === 'write') {
        phase = 'first';
        arm('Timeout WEB read');
      }
    });
  };

  const onError = (e: NodeJS.ErrnoException): void => {
    if (finished) return;
    if (e.syscall === 'bind') return finish({ kind: 'bindFailed', detail: e.code ?? e.message });
    if (phase === 'connect') {
      // A TLS alert or a broken handshake after the TCP connect succeeded.
      if (tls && tcpUp) return finish({ kind: 'failed', reason: 'SSL handshake/communication error connecting to' });
      return finish({ kind: 'failed', reason: connectReason(e.code) });
    }
    if (phase === 'write') return finish({ kind: 'failed', reason: 'Cannot send get request to' });
    // SSL: a broken stream ends the read; what was read is judged (check_ssl.c ssl_read_thread).
    if (tls) return complete();
    finish({ kind: 'failed', reason: 'Read error with' });
  };

  let tcpUp = false;
  arm('Timeout connecting');
  try {
    const base = {
      host: t.host,
      port: t.port,
      family: t.family,
      ...(t.bindto !== undefined ? { localAddress: t.bindto } : {}),
      ...(t.bindPort !== undefined ? { localPort: t.bindPort } : {}),
    };
    if (tls) {
      const s = tlsConnect({
        ...base,
        rejectUnauthorized: false,
        ...(tls.servername !== undefined ? { servername: tls.servername } : {}),
        ...(tls.ca ? { ca: tls.ca } : {}),
        ...(tls.cert ? { cert: tls.cert } : {}),
        ...(tls.key ? { key: tls.key } : {}),
        ...(tls.passphrase !== undefined ? { passphrase: tls.passphrase } : {}),
      });
      sock = s;
      s.once('connect', () => (tcpUp = true));
      s.once('secureConnect', connected);
    } else {
      const s = new Socket();
      sock = s;
      s.once('connect', () => {
        tcpUp = true;
        connected();
      });
      s.connect(base);
    }
    sock.on('data', onData);
    sock.on('error', onError);
    sock.once('end', () => {
      if (finished) return;
      // check_ssl.c: a clean TLS close before any header is a read error, not an empty answer.
      if (tls && !extracted && phase !== 'connect') return finish({ kind: 'failed', reason: 'SSL read error from' });
      complete();
    });
    sock.once('close', () => {
      if (finished) return;
      if (phase === 'connect') return finish({ kind: 'failed', reason: tls && tcpUp ? 'SSL handshake/communication error connecting to' : 'Connection failed' });
      complete();
    });
  } catch (e) {
    const detail = (e as NodeJS.ErrnoException).code ?? String(e);
    queueMicrotask(() => finish({ kind: 'failed', reason: connectReason(detail) }));
  }
  return { cancel: () => finish(undefined) };
}
