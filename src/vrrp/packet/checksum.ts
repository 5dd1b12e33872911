// The Internet checksum (RFC 1071) and the pseudo-headers VRRPv3 and ICMPv6 put under it.
//
// Sums are kept as plain (unfolded) JS numbers: a 16-bit word sum over anything up to several
// gigabytes stays below 2^53, so folding once at the end is exact.

/** Adds the big-endian 16-bit words of b[off, off+len) to `acc`; an odd tail byte is padded. */
export function sum16(b: Uint8Array, off: number, len: number, acc = 0): number {
  let s = acc;
  const end = off + len;
  let i = off;
  for (; i + 1 < end; i += 2) s += (b[i] << 8) | b[i + 1];
  if (i < end) s += b[i] << 8;
  return s;
}

/** Folds carries back into 16 bits (one's complement addition). */
export function fold16(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

/** One's complement of the folded sum: the value to put in a checksum field. */
export function finishChecksum(sum: number): number {
  return ~fold16(sum) & 0xffff;
}

/** RFC 1071 checksum of b[off, off+len) with an optional pre-computed (pseudo-header) sum. */
export function internetChecksum(b: Uint8Array, off = 0, len = b.length - off, initial = 0): number {
  return finishChecksum(sum16(b, off, len, initial));
}

/**
 * True when the region, checksum field included, sums to 0xffff (i.e. verifies). Note the
 * one's complement quirk: a stored 0x0000 and 0xffff are equivalent for verification.
 */
export function checksumVerifies(b: Uint8Array, off: number, len: number, initial = 0): boolean {
  return fold16(sum16(b, off, len, initial)) === 0xffff;
}

/**
 * Sum of the IPv4 pseudo-header (RFC 5798 5.2.8 uses the one of RFC 768/793):
 *
 *   +--------+--------+--------+--------+
 *   |           Source Address          |
 *   +--------+--------+--------+--------+
 *   |         Destination Address       |
 *   +--------+--------+--------+--------+
 *   |  zero  |protocol|  upper length   |
 *   +--------+--------+--------+--------+
 */
export function pseudoHeaderSum4(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): number {
  return sum16(src, 0, 4) + sum16(dst, 0, 4) + protocol + length;
}

/**
 * Sum of the IPv6 pseudo-header (RFC 8200 8.1): source (16), destination (16), 32-bit upper
 * layer length, 3 zero bytes, next header.
 */
export function pseudoHeaderSum6(src: Uint8Array, dst: Uint8Array, nextHeader: number, length: number): number {
  return sum16(src, 0, 16) + sum16(dst, 0, 16) + Math.floor(length / 0x10000) + (length & 0xffff) + nextHeader;
}

/**
 * RFC 1624 eqn. 3: the new checksum after one 16-bit word of the covered data changes from
 * `oldWord` to `newWord`, without re-summing the packet: HC' = ~(~HC + ~m + m').
 */
export function incrementalUpdate16(oldChecksum: number, oldWord: number, newWord: number): number {
  const s = (~oldChecksum & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff);
  return ~fold16(s) & 0xffff;
}
