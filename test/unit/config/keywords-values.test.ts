// Value parsers (numbers, timers, booleans, IP addresses) and the did-you-mean suggester.
import { isIP } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DiagnosticSink } from '../../../src/lib/diagnostics.js';
import { editDistance, suggest } from '../../../src/config/suggest.js';
import { camel, parseBool, parseInteger, parseIp, parseIpPrefix, parseTimer } from '../../../src/config/values.js';

/** A parsed config address as plain data: its family and canonical text. */
const asText = (ip: { family: string; text: string } | undefined) => ip && { family: ip.family, address: ip.text };

const loc = { file: 'f', line: 1, column: 1 };
const ctx = () => ({ sink: new DiagnosticSink(), loc });

describe('numbers, timers, booleans', () => {
  it('integers: decimal only, range reported like keepalived', () => {
    const c = ctx();
    expect(parseInteger('42', 1, 255, c)).toBe(42);
    expect(parseInteger('0x10', 1, 255, c)).toBeUndefined();
    expect(parseInteger('300', 1, 255, c)).toBeUndefined();
    expect(c.sink.items.map((d) => [d.code, d.message])).toEqual([
      ['invalid-number', "invalid number '0x10'"],
      ['value-out-of-range', "number '300' outside range [1, 255]"],
    ]);
  });
  it('timers are decimal seconds with microsecond resolution, returned in ms', () => {
    const c = ctx();
    expect(parseTimer('1.5', c)).toBe(1500);
    expect(parseTimer('0.000001', c)).toBe(0.001);
    expect(parseTimer('.25', c)).toBe(250);
    expect(parseTimer('abc', c)).toBeUndefined();
  });
  it('BOOL: on/true/yes, off/false/no, bare = true', () => {
    const c = ctx();
    expect(['on', 'true', 'yes', 'YES', 'off', 'false', 'no', undefined].map((w) => parseBool(w, c))).toEqual([
      true, true, true, true, false, false, false, true,
    ]);
    expect(parseBool('maybe', c)).toBeUndefined();
    expect(c.sink.items).toHaveLength(1);
  });
  it('camelCase model names from keywords', () => {
    expect(['advert_int', 'virtual_router_id', 'flag-1', 'lb_algo'].map(camel)).toEqual(['advertInt', 'virtualRouterId', 'flag1', 'lbAlgo']);
  });
});

describe('IP addresses', () => {
  it('IPv4 is exactly four decimal octets (inet_pton)', () => {
    for (const bad of ['10.0.0.300', '10.0.0', '10.0.0.1.2', '192.168.100.', '1.2.3.a']) expect(parseIp(bad), bad).toBeUndefined();
    expect(asText(parseIp('10.0.0.1'))).toEqual({ family: 'inet', address: '10.0.0.1' });
  });
  it('prefixes: /len kept, too long replaced by the host length with a warning', () => {
    const c = ctx();
    expect(parseIpPrefix('10.0.0.0/8', c)).toMatchObject({ prefixLen: 8, prefixWritten: true });
    expect(parseIpPrefix('fe80::1', c)).toMatchObject({ family: 'inet6', prefixLen: 128 });
    expect(parseIpPrefix('10.0.0.1/33', c)).toMatchObject({ prefixLen: 32 });
    expect(c.sink.items.map((d) => d.code)).toEqual(['value-out-of-range']);
  });
  it('IPv6 parse + canonical text agrees with Node (WHATWG URL, RFC 5952) on random addresses', () => {
    const group = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff }));
    fc.assert(
      fc.property(fc.array(group, { minLength: 8, maxLength: 8 }), fc.boolean(), (g, v4tail) => {
        let text = g.map((x) => x.toString(16)).join(':');
        if (v4tail) text = `${g.slice(0, 6).map((x) => x.toString(16)).join(':')}:${g[6] >> 8}.${g[6] & 255}.${g[7] >> 8}.${g[7] & 255}`;
        const expected = new URL(`http://[${text}]/`).hostname.slice(1, -1);
        const ours = parseIp(text);
        // Node prints an IPv4-mapped tail in dotted form; compare numerically through URL again.
        return ours !== undefined && new URL(`http://[${ours.text}]/`).hostname.slice(1, -1) === expected;
      }),
    );
  });
  it('rejects what Node rejects', () => {
    for (const t of ['1::2::3', ':::', '12345::', 'g::1', '1:2:3:4:5:6:7:8:9', '::1.2.3']) {
      expect(parseIp(t), t).toBeUndefined();
      expect(isIP(t), t).toBe(0);
    }
  });
});

describe('did-you-mean', () => {
  it('edit distance counts transpositions as one edit', () => {
    expect(editDistance('rize', 'rise')).toBe(1);
    expect(editDistance('priorty', 'priority')).toBe(1);
    expect(editDistance('virtaul', 'virtual')).toBe(1);
  });
  it('suggests the closest keyword of the block, ignoring case, and nothing when far', () => {
    const kw = ['rise', 'fall', 'interval', 'weight', 'script', 'TCP_CHECK', 'lb_algo'];
    expect(suggest('rize', kw)).toBe('rise');
    expect(suggest('tcp_check', kw)).toBe('TCP_CHECK');
    expect(suggest('lb_algorithm', kw)).toBe('lb_algo');
    expect(suggest('completely_different', kw)).toBeUndefined();
  });
});
