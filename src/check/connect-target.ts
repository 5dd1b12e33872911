// Where a connecting checker (TCP_CHECK, HTTP_GET / SSL_GET, UDP_CHECK, DNS_CHECK, SMTP_CHECK,
// PING_CHECK) connects from and to, resolved once from its connection options: connect_ip, else
// the real server's address; connect_port, else the port its kind falls back to; bindto and
// bind_port as the local end. Pure; the plans carry it to the probes.
import type { ConnectOptions } from '../config/model.js';
import type { IpAddr } from '../config/values.js';
import type { Ms } from '../lib/units.js';
import type { CheckerParams } from './checker-state.js';

export interface ConnectAddress {
  /** connect_ip or the real server's address. */
  readonly host: string;
  readonly family: 4 | 6;
  /** connect_port or the port the checker falls back to (the real server's). */
  readonly port: number;
  readonly bindto?: string;
  readonly bindPort?: number;
  /** connect_timeout: bounds the connect and every wait for the server after it. */
  readonly connectTimeoutMs: Ms;
}

/** The head of a connecting checker's plan: its id and decision params, and where it connects. */
export interface ConnectTarget extends ConnectAddress {
  readonly id: string;
  readonly params: CheckerParams;
}

/** `o`'s address, with `rsIp` and `port` where it names none. */
export function connectAddress(o: ConnectOptions, rsIp: IpAddr, port: number, timeout: Ms): ConnectAddress {
  const host = o.connectIp ?? rsIp;
  return {
    host: host.text,
    family: host.family === 'inet6' ? 6 : 4,
    port: o.connectPort ?? port,
    ...(o.bindto !== undefined ? { bindto: o.bindto.text } : {}),
    ...(o.bindPort !== undefined ? { bindPort: o.bindPort } : {}),
    connectTimeoutMs: timeout,
  };
}
