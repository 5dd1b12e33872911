// IP address text <-> network-order bytes for rtnetlink attributes, on src/lib/ip.ts. Text from
// the kernel side may carry IPv4 leading zeros or an IPv6 `%zone` (dropped); output text is
// canonical (dotted quad, RFC 5952), which is what iproute2 prints.
import { canonicalIp as canonicalText, LENIENT, parseIp as parseIpText, type ParsedIp } from '../lib/ip.js';

export type { Family, ParsedIp } from '../lib/ip.js';
export {
  AF_INET,
  AF_INET6,
  familyFromNumber,
  familyNumber,
  formatIp,
  formatMac,
  ipv4Broadcast,
  isIpv6LinkLocal,
  maxPrefix,
} from '../lib/ip.js';

/** Parses an IPv4 or IPv6 literal; undefined when it is neither. */
export function parseIp(text: string): ParsedIp | undefined {
  return parseIpText(text, LENIENT);
}

/** Canonical form of an address literal, or undefined when it does not parse. */
export function canonicalIp(text: string): string | undefined {
  return canonicalText(text, LENIENT);
}
