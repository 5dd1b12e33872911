import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { createLogger, memoryLogger, prettyLine } from '../../../src/lib/log.js';

/** A stream that keeps what was written, synchronously. */
function capture(): { out: Writable; text: () => string } {
  let buf = '';
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) {
      buf += chunk.toString('utf8');
      cb();
    },
  });
  return { out, text: () => buf };
}

describe('logger', () => {
  it('writes pino-style JSON lines: level number, time, pid, fields, msg last', () => {
    const { out, text } = capture();
    const log = createLogger({ destination: out, pretty: false, level: 'info' });
    const before = Date.now();
    log.info({ instance: 'VI_1', prio: 100 }, 'Entering MASTER STATE');
    const lines = text().split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    const rec = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(Object.keys(rec)).toEqual(['level', 'time', 'pid', 'instance', 'prio', 'msg']);
    expect(rec).toMatchObject({ level: 30, pid: process.pid, instance: 'VI_1', prio: 100, msg: 'Entering MASTER STATE' });
    expect(rec.time as number).toBeGreaterThanOrEqual(before);
    expect(rec.time as number).toBeLessThanOrEqual(Date.now());
  });

  it('drops lines below the level and honours a level change', () => {
    const { log, records } = memoryLogger('warn');
    log.info('no');
    log.debug({ a: 1 }, 'no');
    log.warn('yes');
    log.error({ code: 'x' }, 'yes too');
    expect(records.map((r) => `${String(r.level)} ${String(r.msg)}`)).toEqual(['40 yes', '50 yes too']);
    expect(log.isLevelEnabled('info')).toBe(false);
    log.level = 'debug';
    expect(log.level).toBe('debug');
    log.debug('now');
    expect(records.at(-1)).toMatchObject({ level: 20, msg: 'now' });
    log.level = 'silent';
    log.fatal('never');
    expect(records).toHaveLength(3);
  });

  it('accepts a message alone, fields alone, printf arguments, an Error, and detached methods', () => {
    const { log, records } = memoryLogger();
    log.info('plain');
    log.warn({ only: true });
    log.info('%s has %d VIPs', 'VI_1', 3);
    log.error(new Error('boom'));
    const warn = log.warn.bind(log);
    warn({ script: 's' }, 'bound');
    const info = log.info;
    info('detached');
    expect(records[0]).toMatchObject({ level: 30, msg: 'plain' });
    expect(records[1]).toEqual({ level: 40, time: records[1]!.time, only: true });
    expect(records[2]).toMatchObject({ msg: 'VI_1 has 3 VIPs' });
    expect(records[3]).toMatchObject({ level: 50, msg: 'boom', err: { type: 'Error', message: 'boom' } });
    expect(String((records[3]!.err as { stack: string }).stack)).toContain('boom');
    expect(records[4]).toMatchObject({ level: 40, script: 's', msg: 'bound' });
    expect(records[5]).toMatchObject({ level: 30, msg: 'detached' });
  });

  it('makes Error values in any field plain, leaving the caller\'s object alone', () => {
    const { out, text } = capture();
    const log = createLogger({ destination: out, pretty: false, level: 'trace' });
    const obj = { script: 'chk', cause: new Error('spawn failed') };
    log.trace(obj, 'm');
    const rec = JSON.parse(text()) as Record<string, unknown>;
    expect(rec.cause).toMatchObject({ type: 'Error', message: 'spawn failed' });
    expect(obj.cause).toBeInstanceOf(Error);
    // pino's own formatting of printf arguments and its level numbers.
    log.info('%s=%d %j', 'a', 1, { b: 2 });
    expect(JSON.parse(text().split('\n')[1]!)).toMatchObject({ level: 30, msg: 'a=1 {"b":2}' });
  });

  it('pretty mode prints one readable line per call, without pid', () => {
    const { out, text } = capture();
    const log = createLogger({ destination: out, pretty: true });
    log.warn({ instance: 'VI_1', vips: ['192.0.2.1'], skipped: undefined }, 'hello');
    log.debug('hidden at info');
    expect(text()).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN hello instance=VI_1 vips=\["192\.0\.2\.1"\]\n$/);
    expect(prettyLine({ level: 30, time: Date.UTC(2020, 0, 1, 12, 34, 56, 789), msg: 'm', pid: 1, n: 2 })).toBe('12:34:56.789 INFO m n=2\n');
  });
});
