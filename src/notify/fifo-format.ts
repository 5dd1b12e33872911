// Line formats of notify_fifo / vrrp_notify_fifo / lvs_notify_fifo (keepalived-behaviour.md 4.3).
// The VRRP lines are built with the FSM's notify actions (vrrp/fsm/step.ts stateNotifyActions);
// this file keeps the LVS ones.
//
//   INSTANCE "VI_1" MASTER 100\n          VRRP instance: name quoted, state, effective priority
//   GROUP "SG1" BACKUP 0\n                sync group: priority is always 0
//   INSTANCE "VI_1" MASTER_RX_LOWER_PRI 150\n
//   INSTANCE "VI_1" MASTER_PRIORITY 90\n  (vrrp_notify_priority_changes)
//   VS [10.0.0.1]:tcp:80 UP\n
//   RS [192.168.1.2]:tcp:80 [10.0.0.1]:tcp:80 DOWN\n
//
// LVS lines (keepalived 2.2.7 check/ipwrapper.c notify_fifo_vs / notify_fifo_rs): the length
// written is the text's own (`size = strlen(...) + 6` for "RS %s %s %s\n"), so no NUL follows
// the newline; keepalived before 2.0.17 wrote one more byte, the string's terminator (ADR 0003).
// `lvsTrailingNul: true` reproduces that older stream for readers written against it.

/** `none`: a real server of a fwmark virtual server (keepalived prints protocol 0 as `none`). */
export type LvsProtocol = 'tcp' | 'udp' | 'sctp' | 'none';

/** How a virtual or real server is named in LVS lines. */
export type LvsEndpoint =
  | { readonly kind: 'addr'; readonly ip: string; readonly protocol: LvsProtocol; readonly port: number }
  | { readonly kind: 'fwmark'; readonly mark: number }
  | { readonly kind: 'group'; readonly name: string; readonly port?: number };

export function endpointText(e: LvsEndpoint): string {
  switch (e.kind) {
    case 'addr':
      // IPv4 and IPv6 alike are bracketed.
      return `[${e.ip}]:${e.protocol}:${e.port}`;
    case 'fwmark':
      return `FWM ${e.mark}`;
    case 'group':
      return e.port === undefined ? `[${e.name}]` : `[${e.name}]:${e.port}`;
  }
}

export interface LvsLineOptions {
  /** Append the NUL byte keepalived before 2.0.17 wrote after each LVS line (default false). */
  readonly lvsTrailingNul?: boolean;
}

export function vsLine(vs: LvsEndpoint, up: boolean, opts: LvsLineOptions = {}): string {
  return `VS ${endpointText(vs)} ${up ? 'UP' : 'DOWN'}\n${opts.lvsTrailingNul === true ? '\0' : ''}`;
}

export function rsLine(rs: LvsEndpoint, vs: LvsEndpoint, up: boolean, opts: LvsLineOptions = {}): string {
  return `RS ${endpointText(rs)} ${endpointText(vs)} ${up ? 'UP' : 'DOWN'}\n${opts.lvsTrailingNul === true ? '\0' : ''}`;
}
