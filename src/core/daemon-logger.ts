// The daemon's log destinations, as keepalived's: syslog by default (the local socket, facility
// from -S, keepalived's idents), the console (stderr) with -l, a -g file; -G turns syslog off.
// Text lines everywhere unless --log-format json (ours) asks for JSON lines on the console and in
// the file (syslog always gets text: its receivers parse RFC 3164). No syslog socket: one line on
// stderr and the console takes over (with -l it has every line already), so lines are never
// silently lost. See docs/adr/0022.
import { openSync, writeSync } from 'node:fs';
import { createLogger, prettyLine, syslogText, type LogRecord, type Logger } from '../lib/log.js';
import { IDENTS, type LogFacility } from '../lib/syslog.js';
import type { DaemonOptions } from './daemon-options.js';
import { EXIT, StartError } from './start-error.js';
import { DEFAULT_SYSLOG_SOCKET, SyslogSink } from './syslog-sink.js';

export interface LogDestinations {
  /** Syslog socket and facility; undefined = no syslog (-G). */
  readonly syslog?: { readonly path: string; readonly facility: LogFacility };
  readonly console: boolean;
  readonly file?: string;
  readonly format: 'text' | 'json';
}

/** What the options ask for. */
export function logDestinations(o: DaemonOptions): LogDestinations {
  return {
    ...(o.noSyslog ? {} : { syslog: { path: o.syslogSocket ?? DEFAULT_SYSLOG_SOCKET, facility: o.logFacility ?? 'daemon' } }),
    console: o.logConsole ?? false,
    ...(o.logFile !== undefined ? { file: o.logFile } : {}),
    format: o.logFormat ?? 'text',
  };
}

export function daemonLogger(o: DaemonOptions, stderr: (s: string) => void = (s) => void process.stderr.write(s)): Logger {
  const level = o.logLevel ?? 'info';
  const d = logDestinations(o);
  let fd: number | undefined;
  if (d.file !== undefined) {
    try {
      fd = openSync(d.file, 'a', 0o644);
    } catch (e) {
      throw new StartError(`keepalived-ts: cannot open log file ${d.file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, EXIT.FATAL);
    }
  }
  let syslog: SyslogSink | undefined;
  let toConsole = d.console;
  if (d.syslog) {
    const s = SyslogSink.open({ ...d.syslog, report: stderr });
    if (s instanceof SyslogSink) syslog = s;
    else if (!toConsole) {
      // With -l every line is on the console already: nothing is lost, nothing to say.
      toConsole = true;
      stderr(`keepalived-ts: cannot log to syslog socket ${d.syslog.path} (${s.error}): logging to the console (stderr) instead\n`);
    }
  }
  const json = d.format === 'json';
  const sink = {
    write(line: string): void {
      const rec = JSON.parse(line) as LogRecord;
      if (syslog) syslog.write(rec.level, typeof rec.ident === 'string' ? rec.ident : IDENTS.main, syslogText(rec), new Date(rec.time));
      if (!toConsole && fd === undefined) return;
      const out = json ? (line.endsWith('\n') ? line : `${line}\n`) : prettyLine(rec);
      if (toConsole) stderr(out);
      if (fd !== undefined) {
        try {
          writeSync(fd, out); // synchronous: --flush-log-file holds for every line
        } catch {
          /* a full disk must not stop the daemon */
        }
      }
    },
  };
  return createLogger({ pretty: false, level, destination: sink as unknown as NodeJS.WritableStream });
}
