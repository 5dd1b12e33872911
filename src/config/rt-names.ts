// iproute2's names for routing tables, scopes, protocols and route types, as keepalived 2.2.7
// looks them up (lib/rttables.c): a number (C strtoul base 0: decimal, 0x hex, 0 octal) up to
// the field's maximum, or one of the built-in names. keepalived also reads extra names from
// /etc/iproute2/rt_*; the config layer reads no host files, so only the built-in names count.
import type { RouteTypeName, RtScope } from './model.js';

/** strtoul(text, 0) when the whole text is a non-negative number, else undefined. */
export function cNumber(text: string): number | undefined {
  if (/^0[xX][0-9a-fA-F]+$/.test(text)) return parseInt(text.slice(2), 16);
  if (/^0[0-7]*$/.test(text)) return parseInt(text, 8);
  if (/^[1-9][0-9]*$/.test(text)) return Number(text);
  return undefined;
}

function lookup<T>(text: string, names: Readonly<Record<string, T>>, max: number): number | T | undefined {
  const n = cNumber(text);
  if (n !== undefined) return n <= max ? n : undefined;
  return Object.prototype.hasOwnProperty.call(names, text) ? names[text] : undefined;
}

const TABLES: Readonly<Record<string, number>> = { default: 253, main: 254, local: 255 };
/** Routing table id (RT_TABLE_MAX = 0xffffffff). */
export function rtTable(text: string): number | undefined {
  return lookup(text, TABLES, 0xffffffff);
}

const SCOPES: Readonly<Record<string, RtScope>> = { global: 'global', nowhere: 'nowhere', host: 'host', link: 'link', site: 'site' };
export function rtScope(text: string): RtScope | undefined {
  return lookup(text, SCOPES, 255);
}

const PROTOCOLS: Readonly<Record<string, number>> = {
  none: 0, redirect: 1, kernel: 2, boot: 3, static: 4, gated: 8, ra: 9, mrt: 10, zebra: 11, bird: 12,
  dnrouted: 13, xorp: 14, ntk: 15, dhcp: 16, keepalived: 18, babel: 42,
};
export function rtProtocol(text: string): number | undefined {
  return lookup(text, PROTOCOLS, 255);
}

/** TOS / dsfield: a number only (no names without /etc/iproute2/rt_dsfield). */
export function rtDsfield(text: string): number | undefined {
  const n = cNumber(text);
  return n !== undefined && n <= 255 ? n : undefined;
}

const ROUTE_TYPES: Readonly<Record<string, RouteTypeName>> = {
  local: 'local', nat: 'nat', broadcast: 'broadcast', brd: 'broadcast', anycast: 'anycast', multicast: 'multicast',
  prohibit: 'prohibit', unreachable: 'unreachable', blackhole: 'blackhole', xresolve: 'xresolve', unicast: 'unicast', throw: 'throw',
};
const TYPE_BY_NUMBER: readonly (RouteTypeName | undefined)[] = [
  undefined, 'unicast', 'local', 'broadcast', 'anycast', 'multicast', 'blackhole', 'unreachable', 'prohibit', 'throw', 'nat', 'xresolve',
];
/** A route type name, or its RTN_* number (keepalived accepts both). */
export function rtType(text: string): RouteTypeName | number | undefined {
  if (Object.prototype.hasOwnProperty.call(ROUTE_TYPES, text)) return ROUTE_TYPES[text];
  const n = cNumber(text);
  if (n === undefined || n > 255) return undefined;
  return TYPE_BY_NUMBER[n] ?? n;
}
