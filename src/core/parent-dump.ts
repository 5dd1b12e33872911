// The parent process's part of the SIGUSR1 data dump. keepalived 2.2.7's parent writes its own
// file, /tmp/keepalived_parent.data (its global definitions), beside the VRRP child's
// /tmp/keepalived.data and the checker child's /tmp/keepalived_check.data (observed: one USR1
// writes the parent's and each running child's). Here the parent is the daemon itself; the
// layout is ours: who runs, from which configuration, and where to ask it for more. Pure.

export const PARENT_DATA_FILE = '/tmp/keepalived_parent.data';

export interface ParentFacts {
  readonly pid: number;
  readonly now: number;
  readonly configFile: string;
  readonly configId: string;
  readonly version: string;
  readonly compatVersion: string;
  /** Which sides run (keepalived's children). */
  readonly vrrp: boolean;
  readonly checkers: boolean;
  readonly controlSocket?: string;
  readonly umask?: number;
}

export function formatParentData(f: ParentFacts): string {
  return (
    [
      `------< keepalived-ts parent, pid ${f.pid}, ${new Date(f.now).toISOString()} >------`,
      ` Version = keepalived-ts ${f.version} (keepalived ${f.compatVersion} compatible)`,
      ` Configuration file = ${f.configFile}`,
      ` Config id = ${f.configId}`,
      ` VRRP = ${f.vrrp ? 'running (this process)' : 'not running'}`,
      ` Checkers = ${f.checkers ? 'running (this process and its checker child)' : 'not running'}`,
      ` Control socket = ${f.controlSocket ?? 'none'}`,
      ` umask = 0${(f.umask ?? 0o177).toString(8).padStart(3, '0')}`,
    ].join('\n') + '\n'
  );
}
