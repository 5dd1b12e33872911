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
