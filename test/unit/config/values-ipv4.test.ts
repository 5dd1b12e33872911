// parseIpv4/parseIp are hand-written for speed; this checks them against a plain reference
// reading of the rule (four dot-separated parts of 1-3 ASCII digits, each at most 255) on
// random and boundary inputs, and that the canonical address drops leading zeros.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIp } from '../../../src/config/values.js';
import { LENIENT_V4, parseIpv4 as parseIpv4Bytes } from '../../../src/lib/ip.js';

/** A parsed config address as plain data: its family and canonical text. */
const asText = (ip: { family: string; text: string } | undefined) => ip && { family: ip.family, address: ip.text };

/** The config's IPv4 rule (leading zeros accepted) as octets. */
const parseIpv4 = (t: string): number[] | undefined => {
  const b = parseIpv4Bytes(t, LENIENT_V4);
  return b === undefined ? undefined : Array.from(b);
};

function reference(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  if (!parts.every((p) => /^[0-9]{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.map(Number);
}

const part = fc.oneof(
  fc.integer({ min: 0, max: 1100 }).map(String),
  fc.constantFrom('', '0', '00', '000', '0000', '01', '001', '255', '256', 'a', '1a', ' 1', '+1', '-1', '٣'),
);
const dotted = fc.array(part, { minLength: 1, maxLength: 6 }).map((ps) => ps.join('.'));

describe('IPv4 parsing', () => {
  it('agrees with the reference rule on dotted inputs and arbitrary strings', () => {
    fc.assert(
      fc.property(fc.oneof(dotted, fc.string({ maxLength: 20 })), (t) => {
        expect(parseIpv4(t)).toEqual(reference(t));
        const ip = parseIp(t);
        const r = reference(t);
        if (r !== undefined) expect(asText(ip)).toEqual({ family: 'inet', address: r.join('.') });
        else expect(ip?.family).not.toBe('inet');
      }),
      { numRuns: 20_000 },
    );
  });
  it('boundary cases', () => {
    expect(parseIpv4('255.255.255.255')).toEqual([255, 255, 255, 255]);
    expect(parseIpv4('0.0.0.0')).toEqual([0, 0, 0, 0]);
    expect(parseIpv4('256.1.1.1')).toBeUndefined();
    expect(parseIpv4('1.2.3.4.')).toBeUndefined();
    expect(parseIpv4('1..3.4')).toBeUndefined();
    expect(parseIpv4('1.2.3')).toBeUndefined();
    expect(parseIpv4('0001.2.3.4')).toBeUndefined();
    expect(asText(parseIp('010.001.0.00'))).toEqual({ family: 'inet', address: '10.1.0.0' });
    expect(asText(parseIp('10.1.0.0'))).toEqual({ family: 'inet', address: '10.1.0.0' });
    expect(asText(parseIp('::ffff:1.2.3.4'))).toEqual({ family: 'inet6', address: '::ffff:102:304' });
  });
});
