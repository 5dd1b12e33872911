// The daemon's logger: stderr (JSON, or text with -l), plus a text copy in the -g file.
import { openSync, writeSync } from 'node:fs';
import { createLogger, prettyLine, type LogRecord, type Logger } from '../lib/log.js';
import type { DaemonOptions } from './daemon-options.js';
import { EXIT, StartError } from './start-error.js';

export function daemonLogger(o: DaemonOptions): Logger {
  const level = o.logLevel ?? 'info';
  if (o.logFile === undefined) return createLogger({ pretty: o.logConsole, level });
  let fd: number;
  try {
    fd = openSync(o.logFile, 'a', 0o644);
  } catch (e) {
    throw new StartError(`keepalived-ts: cannot open log file ${o.logFile}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, EXIT.FATAL);
  }
  const pretty = o.logConsole ?? false;
  const tee = {
    write(line: string): void {
      const text = prettyLine(JSON.parse(line) as LogRecord);
      process.stderr.write(pretty ? text : line);
      try {
        writeSync(fd, text); // synchronous: --flush-log-file holds for every line
      } catch {
        /* a full disk must not stop the daemon */
      }
    },
  };
  return createLogger({ pretty: false, level, destination: tee as unknown as NodeJS.WritableStream });
}
