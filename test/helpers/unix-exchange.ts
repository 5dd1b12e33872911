// Raw bytes to a unix stream socket (the control socket's tests): what came back, and whether
// the other end closed the connection, within a fixed wait.
import { createConnection } from 'node:net';

/**
 * Sends `payload` on a fresh connection to `path`; after `waitMs` resolves with the answer lines
 * (empty ones dropped) and whether the server closed the connection by then.
 */
export function rawExchange(path: string, payload: string | Buffer, waitMs: number): Promise<{ lines: string[]; closed: boolean }> {
  return new Promise((resolve) => {
    const c = createConnection({ path });
    let buf = '';
    let closed = false;
    c.on('connect', () => c.write(payload));
    c.on('data', (d: Buffer) => (buf += d.toString()));
    c.on('error', () => {});
    c.on('close', () => (closed = true));
    setTimeout(() => {
      c.destroy();
      resolve({ lines: buf.split('\n').filter(Boolean), closed });
    }, waitMs);
  });
}
