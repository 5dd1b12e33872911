// The config reader of a reload (ADR 0020), run in a worker thread so that reading,
// preprocessing, parsing and checking a large config never holds the daemon's event loop (the
// VRRP timers run there). It answers one request and exits. The model crosses back as
// structured-clone data: IP addresses are sent as their text (reload-read.ts makes them
// IpAddress values again); the statement tree stays here (a reload does not need it).
import { parentPort, workerData } from 'node:worker_threads';
import { readConfigPlain, type ConfigRequest } from './reload-read.js';

if (parentPort) {
  const port = parentPort;
  try {
    port.postMessage(readConfigPlain(workerData as ConfigRequest));
  } catch (e) {
    port.postMessage({ kind: 'failed', error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  }
}
