// Pure helpers of the notify layer: FIFO line formats, exec argv construction, environment
// filter, fake timers.
import { describe, expect, it } from 'vitest';
import { endpointText, rsLine, vsLine } from '../../../src/notify/fifo-format.js';
import { execArgv, scriptEnvironment, shellQuote } from '../../../src/notify/process-runner.js';
import { VirtualTime } from '../../../src/lib/virtual-time.js';

describe('FIFO line formats', () => {
  it('LVS lines end at the newline as keepalived 2.2.7 writes them; the pre-2.0.17 NUL on request', () => {
    const vs = { kind: 'addr', ip: '10.0.0.1', protocol: 'tcp', port: 80 } as const;
    const rs = { kind: 'addr', ip: '192.168.1.2', protocol: 'tcp', port: 80 } as const;
    expect(vsLine(vs, true)).toBe('VS [10.0.0.1]:tcp:80 UP\n');
    expect(rsLine(rs, vs, false)).toBe('RS [192.168.1.2]:tcp:80 [10.0.0.1]:tcp:80 DOWN\n');
    expect(vsLine(vs, false, { lvsTrailingNul: true })).toBe('VS [10.0.0.1]:tcp:80 DOWN\n\0');
    expect(Buffer.from(rsLine(rs, vs, true, { lvsTrailingNul: true })).at(-1)).toBe(0);
  });

  it('names fwmark, group and IPv6 endpoints', () => {
    expect(endpointText({ kind: 'fwmark', mark: 7 })).toBe('FWM 7');
    expect(endpointText({ kind: 'group', name: 'VSG', port: 443 })).toBe('[VSG]:443');
    expect(endpointText({ kind: 'addr', ip: '2001:db8::1', protocol: 'udp', port: 53 })).toBe('[2001:db8::1]:udp:53');
  });
});

describe('exec argv', () => {
  it('quotes for the shell so that every argument survives', () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(execArgv({ argv: ['/a b/x', "o'k", ''], mode: 'shellQuoted' }, undefined)).toEqual({
      file: '/bin/sh',
      args: ['-c', `'/a b/x' 'o'\\''k' ''`],
    });
    expect(execArgv({ argv: ['</etc/passwd'], mode: 'shellRaw' }, undefined)).toEqual({ file: '/bin/sh', args: ['-c', '</etc/passwd'] });
    expect(execArgv({ argv: ['/x', 'y'] }, '/usr/bin/setpriv')).toEqual({ file: '/x', args: ['y'] });
  });

  it('uses setpriv only when supplementary groups are requested', () => {
    expect(execArgv({ argv: ['/x'], uid: 5, gid: 6, groups: [7, 8] }, '/usr/bin/setpriv')).toEqual({
      file: '/usr/bin/setpriv',
      args: ['--regid=6', '--reuid=5', '--groups=7,8', '--', '/x'],
    });
    expect(execArgv({ argv: ['/x'], uid: 5, gid: 6, groups: [] }, '/usr/bin/setpriv').args).toContain('--clear-groups');
  });

  it('drops IFS, LD_PRELOAD and LD_LIBRARY_PATH only', () => {
    expect(scriptEnvironment({ A: '1', IFS: ' ', LD_PRELOAD: 'x', LD_LIBRARY_PATH: 'y', LD_BIND_NOW: '1', U: undefined })).toEqual({
      A: '1',
      LD_BIND_NOW: '1',
    });
  });
});

describe('VirtualTime as Timers', () => {
  it('fires due timers in deadline order with the clock at each deadline', () => {
    const t = new VirtualTime();
    const seen: [string, number][] = [];
    t.setTimeout(() => seen.push(['b', t.clock.now()]), 20);
    t.setTimeout(() => seen.push(['a', t.clock.now()]), 10);
    const c = t.setTimeout(() => seen.push(['c', t.clock.now()]), 15);
    t.clearTimeout(c);
    t.setTimeout(() => t.setTimeout(() => seen.push(['nested', t.clock.now()]), 5), 12);
    t.advance(19);
    expect(seen).toEqual([
      ['a', 10],
      ['nested', 17],
    ]);
    t.advance(1);
    expect(seen.at(-1)).toEqual(['b', 20]);
    expect(t.pending).toBe(0);
  });
});
