// The allocation-free IPv4 parser the receive path uses agrees with the general (bigint) one, on
// random addresses and on malformed text, and so do compareIp and isMulticast built on it.
import { describe, expect, it } from 'vitest';
import { compareIp, ipToBigInt, ipv4ToNumber, isMulticast } from '../../../src/lib/ip.js';

describe('ipv4ToNumber', () => {
  it('agrees with ipToBigInt on random dotted quads', () => {
    let seed = 12345;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 256;
    for (let i = 0; i < 2000; i++) {
      const a = `${rnd()}.${rnd()}.${rnd()}.${rnd()}`;
      expect(ipv4ToNumber(a)).toBe(Number(ipToBigInt(a)));
    }
  });
  it('refuses malformed text', () => {
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1..2.3', '1.2.3.', '.1.2.3', 'a.b.c.d', '1.2.3.4 ', '0001.2.3.4', '::1']) {
      expect(ipv4ToNumber(bad)).toBe(-1);
    }
  });
  it('compareIp and isMulticast follow the numeric value', () => {
    expect(compareIp('192.0.2.13', '192.0.2.100')).toBe(-1);
    expect(compareIp('192.0.2.100', '192.0.2.13')).toBe(1);
    expect(compareIp('255.255.255.255', '0.0.0.0')).toBe(1);
    expect(isMulticast('224.0.0.18')).toBe(true);
    expect(isMulticast('239.255.255.255')).toBe(true);
    expect(isMulticast('223.255.255.255')).toBe(false);
    expect(isMulticast('240.0.0.0')).toBe(false);
    expect(isMulticast('ff02::12')).toBe(true);
  });
});
