// The config reader of a reload (ADR 0020), run in a worker thread so that reading,
// preprocessing, parsing and checking a large config never holds the daemon's event loop (the
// VRRP timers run there). It is started once, with the daemon, and then answers one request per
// reload: starting a thread per reload cost the event loop 4-17 ms each time (its isolate set-up
// and module loading compete for the same cores). The model crosses back as structured-clone
// data: IP addresses are sent as their text (reload-read.ts makes them IpAddress values again);
// the statement tree stays here (a reload does not need it).
//
// Receiving a large model is itself work for the event loop (the structured clone is
// deserialised there: ~0.7 s for the 58,000-line bench config on the test machine), so the
// worker sends only what changed: every element of the model's top-level lists (instances,
// virtual servers, scripts ...) that is identical to the same-text element of the previous
// answer goes as `{ __same: index }`, and the main thread takes its own copy of it
// (ReloadSharing in reload-read.ts). The first read after start ('warm') sends no model: the
// main thread pairs it with the model the daemon started with, unless a config file changed
// since that start read (then nothing is shared on the next read).
import { readlinkSync, statSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { readConfigPlain, shareWithPrevious, type ConfigRequest, type SharedLists } from './reload-read.js';

/**
 * This thread at nice 10 (Linux: a thread has its own nice value): on a host with few cores a
 * parse competes with the VRRP thread for CPU time, and the adverts must win.
 */
function lowerThisThread(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, 10);
  } catch {
    // Not Linux, or not allowed: the thread runs at the daemon's priority.
  }
}

if (parentPort) {
  lowerThisThread();
  const port = parentPort;
  let previous: SharedLists | undefined;
  port.on('message', (m: { id: number; req: ConfigRequest; warmSince?: number }) => {
    try {
      const answer = readConfigPlain(m.req);
      if (answer.kind !== 'read') {
        port.postMessage({ id: m.id, answer });
        return;
      }
      if (m.warmSince !== undefined) {
        const changed = answer.files.some((f) => (statSync(f, { throwIfNoEntry: false })?.mtimeMs ?? Infinity) >= m.warmSince!);
        previous = changed ? undefined : shareWithPrevious(answer.model, undefined).lists;
        port.postMessage({ id: m.id, warm: !changed });
        return;
      }
      const shared = shareWithPrevious(answer.model, previous);
      previous = shared.lists;
      port.postMessage({ id: m.id, answer: { ...answer, model: shared.model } });
    } catch (e) {
      previous = undefined;
      port.postMessage({ id: m.id, answer: { kind: 'failed', error: e instanceof Error ? (e.stack ?? e.message) : String(e) }, reset: true });
    }
  });
  port.postMessage({ id: 0, ready: true });
}
