// The address --metrics takes: `ADDR:PORT`. Pure, so the command line checks it without loading
// the HTTP server.

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * `127.0.0.1:9650`, `[::1]:9650`, `localhost:9650`, or `:9650` (every address). Returns
 * undefined when the text is not one of these or the port is not 1..65535.
 */
export function parseListenAddress(text: string): ListenAddress | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]*)|([A-Za-z][A-Za-z0-9.-]*)):(\d{1,5})$/.exec(text);
  if (!m) return undefined;
  const port = Number(m[4]);
  if (port < 1 || port > 65535) return undefined;
  if (m[2] !== undefined && m[2] !== '' && !/^\d{1,3}(\.\d{1,3}){3}$/.test(m[2])) return undefined;
  const host = m[1] ?? m[2] ?? m[3] ?? '';
  return { host: host === '' ? '::' : host, port };
}
