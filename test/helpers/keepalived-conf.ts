// keepalived.conf text for tests that hand a config to the real keepalived (or to our parser):
// one vrrp_instance block from a few fields, in the order keepalived's own samples write them.

export interface VrrpInstanceText {
  readonly name: string;
  readonly iface: string;
  readonly vrid: number;
  readonly priority: number;
  /** advert_int in seconds (default 1). */
  readonly advertInt?: number;
  /** `version 3` is written when 3; keepalived's default is 2. */
  readonly version?: 2 | 3;
  readonly state?: 'MASTER' | 'BACKUP';
  readonly auth?: { readonly type: 'PASS' | 'AH'; readonly pass: string };
  readonly unicast?: { readonly src: string; readonly peers: readonly string[] };
  /** More lines of the block (indented as written), before virtual_ipaddress. */
  readonly extra?: readonly string[];
  /** Addresses with their prefix length, as virtual_ipaddress lines. */
  readonly vips: readonly string[];
}

export function vrrpInstanceText(i: VrrpInstanceText): string {
  const lines = [`vrrp_instance ${i.name} {`];
  if (i.version === 3) lines.push('  version 3');
  if (i.state) lines.push(`  state ${i.state}`);
  lines.push(`  interface ${i.iface}`, `  virtual_router_id ${i.vrid}`, `  priority ${i.priority}`, `  advert_int ${i.advertInt ?? 1}`);
  if (i.auth) lines.push('  authentication {', `    auth_type ${i.auth.type}`, `    auth_pass ${i.auth.pass}`, '  }');
  if (i.unicast) lines.push(`  unicast_src_ip ${i.unicast.src}`, '  unicast_peer {', ...i.unicast.peers.map((p) => `    ${p}`), '  }');
  lines.push(...(i.extra ?? []), '  virtual_ipaddress {', ...i.vips.map((v) => `    ${v}`), '  }', '}');
  return lines.join('\n') + '\n';
}
