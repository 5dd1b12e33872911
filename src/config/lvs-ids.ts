// Stable text identities for virtual and real servers, shared by the checkers (src/check/), the
// IPVS desired state (src/ipvs/) and reload: a server keeps its identity across a reload as long
// as what keepalived matches it by (address, port, protocol or fwmark or group) is unchanged.

import type { RealServer, VirtualServer } from './model.js';

/** `tcp|192.0.2.1|80`, `fwmark|inet|5`, `group|NAME|tcp`. */
export function virtualServerId(vs: VirtualServer): string {
  const p = vs.protocol.toLowerCase();
  switch (vs.target.kind) {
    case 'address':
      return `${p}|${vs.target.ip.text}|${vs.target.port}`;
    case 'fwmark':
      return `fwmark|${vs.target.family ?? vs.ipFamily ?? 'inet'}|${vs.target.fwmark}`;
    case 'group':
      return `group|${vs.target.group}|${p}`;
  }
}

/** `192.0.2.10|3306`; a real server without a port takes the virtual server's (0 for fwmark). */
export function realServerId(rs: RealServer, vs: VirtualServer): string {
  const port = rs.port ?? (vs.target.kind === 'address' ? vs.target.port : 0);
  return `${rs.ip.text}|${port}`;
}

/** One key for a real server within its virtual server: `tcp|192.0.2.1|80#192.0.2.10|3306`. */
export function realServerKey(rs: RealServer, vs: VirtualServer): string {
  return `${virtualServerId(vs)}#${realServerId(rs, vs)}`;
}

/**
 * The port keepalived names a real server by (FMT_RS in logs, FIFO lines, notifications) after
 * check_data.c validate_check_config corrects it: a real server that is not NAT has the virtual
 * server's port (0 for a fwmark virtual server: "has port specified - clearing"); a NAT one
 * without a port takes the virtual server's. A group's real servers keep what they were given.
 * The checker still connects to the port written in the config (seen against keepalived 2.2.7
 * in test/vm/lvs-notify.test.ts).
 */
export function keepalivedRsPort(rs: RealServer, vs: VirtualServer): number {
  const nat = (rs.lvsMethod ?? vs.lbKind) === 'NAT';
  if (!nat && vs.target.kind === 'fwmark') return 0;
  if (!nat && vs.target.kind === 'address') return vs.target.port;
  return rs.port ?? (vs.target.kind === 'address' ? vs.target.port : 0);
}
