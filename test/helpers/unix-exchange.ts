// Raw bytes to a unix stream socket (the control socket's tests): what came back, and whether
// the other end closed the connection, within a deadline.
import { createConnection } from 'node:net';

/**
 * Sends `payload` on a fresh connection to `path`; resolves with the answer lines (empty ones
 * dropped) and whether the server closed the connection, as soon as it closes it, `lines` answer
 * lines have arrived, or `waitMs` passes, whichever comes first.
 */
export function rawExchange(path: string, payload: string | Buffer, waitMs: number, lines = Infinity): Promise<{ lines: string[]; closed: boolean }> {
  return new Promise((resolve) => {
    const c = createConnection({ path });
    let buf = '';
    let closed = false;
    const answer = () => buf.split('\n').filter(Boolean);
    const done = () => {
      clearTimeout(t);
      c.destroy();
      resolve({ lines: answer(), closed });
    };
    const t = setTimeout(done, waitMs);
    c.on('connect', () => c.write(payload));
    c.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.endsWith('\n') && answer().length >= lines) done();
    });
    c.on('error', () => {});
    c.on('close', () => {
      closed = true;
      done();
    });
  });
}
