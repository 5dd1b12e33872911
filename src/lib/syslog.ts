// Syslog lines as glibc's syslog() hands them to /dev/log, the format keepalived 2.2.7's lines
// reach the system logger in (RFC 3164 style, checked by capturing keepalived on a private
// /dev/log):
//
//   <PRI>Mmm dd hh:mm:ss IDENT[PID]: MESSAGE
//    │    │                │     └ LOG_PID
//    │    └ local time, day of month space-padded to two characters
//    └ facility * 8 + severity
//
// keepalived's idents: "Keepalived" for the parent, "Keepalived_vrrp" for the VRRP process,
// "Keepalived_healthcheckers" for the checker process. keepalived-ts is one process; each line
// carries the ident of the subsystem that logged it (see withIdent in log.ts).
/** The facilities -S accepts (0-7 are local0-local7). */
export type LogFacility = 'local0' | 'local1' | 'local2' | 'local3' | 'local4' | 'local5' | 'local6' | 'local7' | 'user' | 'daemon';

/** RFC 5424 6.2.1 facility codes (the ones -S accepts). */
export const FACILITY_CODES: Readonly<Record<LogFacility, number>> = {
  user: 1, daemon: 3,
  local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
};

/** Severity per pino level number: trace and debug 7, info 6, warn 4, error 3, fatal 2 (crit). */
export function severityOf(level: number): number {
  if (level >= 60) return 2;
  if (level >= 50) return 3;
  if (level >= 40) return 4;
  if (level >= 30) return 6;
  return 7;
}

export type SyslogIdent = 'Keepalived' | 'Keepalived_vrrp' | 'Keepalived_healthcheckers';

/** The process-level names the loggers tag lines with, and the ident keepalived uses for each. */
export const IDENTS: Readonly<Record<'main' | 'vrrp' | 'check', SyslogIdent>> = {
  main: 'Keepalived',
  vrrp: 'Keepalived_vrrp',
  check: 'Keepalived_healthcheckers',
};

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number): string => String(n).padStart(2, '0');

/** glibc's "%h %e %T" in local time: `Dec  6 03:08:26`. */
export function syslogTimestamp(d: Date): string {
  return `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** One datagram's text. A message with newlines is sent as one line per datagram by the caller. */
export function syslogLine(o: { facility: LogFacility; level: number; time: Date; ident: string; pid: number; msg: string }): string {
  const pri = FACILITY_CODES[o.facility] * 8 + severityOf(o.level);
  return `<${pri}>${syslogTimestamp(o.time)} ${o.ident}[${o.pid}]: ${o.msg}`;
}
