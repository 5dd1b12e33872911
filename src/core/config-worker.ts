// The config reader of a reload (ADR 0020), run in a worker thread so that reading,
// preprocessing, parsing and checking a large config never holds the daemon's event loop (the
// VRRP timers run there). It is started once, with the daemon, and then answers one request per
// reload: starting a thread per reload cost the event loop 4-17 ms each time (its isolate set-up
// and module loading compete for the same cores). The model crosses back as structured-clone
// data: IP addresses are sent as their text (reload-read.ts makes them IpAddress values again);
// the statement tree stays here (a reload does not need it).
import { parentPort } from 'node:worker_threads';
import { readConfigPlain, type ConfigRequest } from './reload-read.js';

if (parentPort) {
  const port = parentPort;
  port.on('message', (m: { id: number; req: ConfigRequest }) => {
    try {
      port.postMessage({ id: m.id, answer: readConfigPlain(m.req) });
    } catch (e) {
      port.postMessage({ id: m.id, answer: { kind: 'failed', error: e instanceof Error ? (e.stack ?? e.message) : String(e) } });
    }
  });
  port.postMessage({ id: 0, ready: true });
}
