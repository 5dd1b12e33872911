import { describe, expect, it } from 'vitest';
import { cs } from '../../../src/lib/units.js';
import { masterDownUs, skewUs } from '../../../src/vrrp/fsm/timing.js';
import { ipOf, isMulticast } from '../../../src/lib/ip.js';

const compareIp = (a: string, b: string): number => ipOf(a).compare(ipOf(b));

describe('VRRP timing (keepalived VRRP_TIMER_SKEW / VRRP_MS_DOWN_TIMER)', () => {
  it('v2 skew is (256-prio)/256 s whatever the interval, truncated to us', () => {
    expect(skewUs(2, 100, cs(100))).toBe(609375);
    expect(skewUs(2, 100, cs(500))).toBe(609375);
    expect(skewUs(2, 150, cs(100))).toBe(414062); // 414062.5 truncated
    expect(skewUs(2, 254, cs(100))).toBe(7812);
    expect(skewUs(2, 1, cs(100))).toBe(996093);
  });
  it('v3 skew scales with Master_Adver_Interval (RFC 5798 6.1)', () => {
    expect(skewUs(3, 100, cs(100))).toBe(609375);
    expect(skewUs(3, 100, cs(200))).toBe(1218750);
    expect(skewUs(3, 100, cs(50))).toBe(304687);
    expect(skewUs(3, 254, cs(1))).toBe(78); // 2*1*625/16 = 78.125
  });
  it('master down interval = adverts x interval + skew', () => {
    expect(masterDownUs(2, 100, cs(100), 3)).toBe(3_609_375);
    expect(masterDownUs(2, 150, cs(100), 3)).toBe(3_414_062);
    expect(masterDownUs(3, 100, cs(200), 3)).toBe(7_218_750);
    expect(masterDownUs(2, 100, cs(100), 5)).toBe(5_609_375);
  });
});

describe('address helpers', () => {
  it('compares numerically, not textually', () => {
    expect(compareIp('10.0.0.10', '10.0.0.9')).toBe(1);
    expect(compareIp('10.0.0.1', '10.0.0.1')).toBe(0);
    expect(compareIp('9.255.255.255', '10.0.0.0')).toBe(-1);
    expect(compareIp('fe80::10', 'fe80::9')).toBe(1);
    expect(compareIp('fe80::1:0', 'fe80::ffff')).toBe(1);
    expect(compareIp('::ffff:10.0.0.2', '::ffff:10.0.0.1')).toBe(1);
  });
  it('detects multicast', () => {
    expect(isMulticast('224.0.0.18')).toBe(true);
    expect(isMulticast('10.0.0.1')).toBe(false);
    expect(isMulticast('ff02::12')).toBe(true);
    expect(isMulticast('fe80::1')).toBe(false);
  });
});
