// Address helpers for the packet codec, on src/lib/ip.ts: text <-> bytes for IPv4, IPv6 and MAC
// addresses with inet_pton rules (no leading zeros, no zone: the codec only sees canonical text),
// and the throwing forms the encoders use.
import {
  canonicalIp as canonicalText,
  formatIpv4,
  formatIpv6,
  formatMac as formatMacBytes,
  parseIpv4 as parseIpv4Text,
  parseIpv6 as parseIpv6Text,
  parseMac,
} from '../../lib/ip.js';

export { formatIpv4, formatIpv6, parseMac };
export { vmacFor } from '../../lib/protocol.js';

/** Parses a dotted-quad IPv4 address into 4 bytes; undefined if malformed. */
export function parseIpv4(text: string): Uint8Array | undefined {
  return parseIpv4Text(text);
}

/** Parses IPv6 text (with `::` compression and an optional embedded IPv4 tail) into 16 bytes. */
export function parseIpv6(text: string): Uint8Array | undefined {
  return parseIpv6Text(text);
}

/** Canonical text of an address of either family, or undefined if it is neither. */
export function canonicalIp(text: string): string | undefined {
  return canonicalText(text);
}

/** Formats 6 bytes at `off` as a lower-case colon-separated MAC. */
export function formatMac(b: Uint8Array, off = 0): string {
  return formatMacBytes(b, off, 6);
}

/** Thrown by encoders given an address that is not valid for the family (a programming error). */
export class AddressError extends Error {
  readonly code = 'bad-address';
  constructor(readonly text: string, readonly family: 'inet' | 'inet6' | 'mac') {
    super(`invalid ${family} address '${text}'`);
    this.name = 'AddressError';
  }
}

export function ipv4Bytes(text: string): Uint8Array {
  const b = parseIpv4Text(text);
  if (!b) throw new AddressError(text, 'inet');
  return b;
}

export function ipv6Bytes(text: string): Uint8Array {
  const b = parseIpv6Text(text);
  if (!b) throw new AddressError(text, 'inet6');
  return b;
}

export function macBytes(text: string): Uint8Array {
  const b = parseMac(text);
  if (!b) throw new AddressError(text, 'mac');
  return b;
}
