import { describe, expect, it } from 'vitest';
import { FACILITY_CODES, severityOf, syslogLine, syslogTimestamp } from '../../../src/lib/syslog.js';
import { syslogText } from '../../../src/lib/log.js';

describe('syslog line format (glibc syslog() as keepalived 2.2.7 sends it)', () => {
  it('pads a one-digit day with a space and uses local time', () => {
    expect(syslogTimestamp(new Date(2026, 11, 6, 3, 8, 26))).toBe('Dec  6 03:08:26');
    expect(syslogTimestamp(new Date(2026, 0, 31, 23, 59, 5))).toBe('Jan 31 23:59:05');
  });

  it('PRI is facility * 8 + severity; -S 3 info is 158 as captured from keepalived -S 3', () => {
    const time = new Date(2026, 11, 6, 3, 8, 26);
    expect(syslogLine({ facility: 'local3', level: 30, time, ident: 'Keepalived_vrrp', pid: 25219, msg: '(VI_1) Entering MASTER STATE' })).toBe(
      '<158>Dec  6 03:08:26 Keepalived_vrrp[25219]: (VI_1) Entering MASTER STATE',
    );
    expect(FACILITY_CODES.daemon * 8 + severityOf(30)).toBe(30);
    expect([10, 20, 30, 40, 50, 60].map(severityOf)).toEqual([7, 7, 6, 4, 3, 2]);
  });

  it("syslog gets keepalived's line alone; an error's message is added when missing; fields only without a message", () => {
    expect(syslogText({ level: 30, time: 0, instance: 'VI_1', msg: '(VI_1) Entering MASTER STATE' })).toBe('(VI_1) Entering MASTER STATE');
    expect(syslogText({ level: 50, time: 0, err: { message: 'EPERM' }, msg: 'cannot add VIP' })).toBe('cannot add VIP: EPERM');
    expect(syslogText({ level: 50, time: 0, err: { message: 'EPERM' }, msg: 'cannot add VIP: EPERM' })).toBe('cannot add VIP: EPERM');
    expect(syslogText({ level: 30, time: 0, a: 1, b: 'x' })).toBe('a=1 b=x');
  });
});
