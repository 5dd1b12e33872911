// keepalived 2.2.7's sentences for rejected values, keyword by keyword, observed with
// `keepalived -t` (test/acceptance/host-checks.test.ts compares them in the same run). They
// follow the generic line of the number reader, as in keepalived (table.ts
// keepalivedValueMessages).
import { checkerTables } from './checkers.js';
import { globalDefsTable } from './global-defs.js';
import { keepalivedValueMessages } from './table.js';
import { virtualServerTable } from './virtual-server.js';
import { vrrpInstanceTable } from './vrrp-instance.js';
import { vrrpScriptTable } from './vrrp-trackers.js';

keepalivedValueMessages(globalDefsTable, {
  vrrp_garp_master_delay: (v) => `vrrp_garp_master_delay '${v}' invalid - ignoring`,
  vrrp_version: () => 'VRRP Error: Version must be either 2 or 3',
  vrrp_garp_interval: (v) => `vrrp_garp_interval '${v}' is invalid`,
});

keepalivedValueMessages(vrrpScriptTable, {
  fall: (v, name) => `(${name}): vrrp script fall value '${v}' invalid, defaulting to 1`,
  weight: (v, name) => `vrrp_script ${name} weight ${v} must be in [-253, 253]`,
});

keepalivedValueMessages(vrrpInstanceTable, {
  virtual_router_id: (v, name) => `(${name}): VRID '${v}' not valid - must be between 1 & 255`,
  priority: (_v, name) => `(${name}) Priority not valid! must be between 1 & 255. Using default 100`,
  advert_int: (v, name) => `(${name}) Advert interval (${v}) not valid! Must be > 0 - ignoring`,
  preempt_delay: (_v, name) => `(${name}) Preempt_delay not valid! must be between 0-1000`,
  garp_master_delay: (v, name) => `(${name}): garp_master_delay '${v}' invalid - ignoring`,
});

keepalivedValueMessages(virtualServerTable, {
  lb_algo: (v) => `Invalid lvs_scheduler '${v}' - ignoring`,
  lvs_sched: (v) => `Invalid lvs_scheduler '${v}' - ignoring`,
  delay_loop: (v) => `virtual server delay loop '${v}' invalid - ignoring`,
});

for (const table of new Set(Object.values(checkerTables))) {
  keepalivedValueMessages(table, {
    connect_timeout: (v) => `connect_timeout ${v} invalid - ignoring`,
    retry: (v) => `Invalid retry connection value '${v}'`,
    delay_before_retry: (v) => `Invalid delay_before_retry connection value '${v}'`,
  });
}
