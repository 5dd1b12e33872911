// toKernelError against the error shapes the real `netlink` 0.3.0 package produces.
import netlink from 'netlink';
import { describe, expect, it } from 'vitest';
import { codeFromErrno, isKernelError, KernelError, toKernelError } from '../../../src/kernel/errors.js';

/** An NLMSG_ERROR message as netlink's parser hands it over: {type, flags, seq, port, data}. */
function errorMessage(errno: number) {
  const data = Buffer.alloc(20);
  data.writeInt32LE(-errno, 0);
  data.writeUInt32LE(16, 4);
  return { type: 2, flags: 0, seq: 1, port: 0, data };
}

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('did not throw');
}

describe('KernelError mapping', () => {
  it.each([
    [17, 'EEXIST'],
    [99, 'EADDRNOTAVAIL'],
    [19, 'ENODEV'],
    [1, 'EPERM'],
    [3, 'ESRCH'],
    [22, 'EINVAL'],
    [101, 'ENETUNREACH'],
  ])('maps what netlink.checkError throws for errno %i to %s', (errno, code) => {
    const raw = thrownBy(() => netlink.checkError(errorMessage(errno) as never));
    expect(raw).toBeInstanceOf(Error);
    const k = toKernelError(raw, 'addAddress');
    expect(k).toBeInstanceOf(KernelError);
    expect(k.code).toBe(code);
    expect(k.errno).toBe(errno);
    expect(k.op).toBe('addAddress');
    expect(k.cause).toBe(raw);
    expect(codeFromErrno(-errno)).toBe(code);
  });

  it('netlink.checkError treats errno 0 as an ACK (no error to map)', () => {
    expect(netlink.checkError(errorMessage(0) as never)).toBe(true);
  });

  it('maps numeric rejections, errno exceptions, timeouts and anything else', () => {
    expect(toKernelError(new Error('Request rejected: 99'), 'x')).toMatchObject({ code: 'EADDRNOTAVAIL', errno: 99 });
    expect(toKernelError(new Error('Request rejected: 4095'), 'x')).toMatchObject({ code: 'EUNKNOWN', errno: 4095 });
    expect(toKernelError(new Error('Request rejected: EWEIRD'), 'x').code).toBe('EUNKNOWN');
    const errnoEx = Object.assign(new Error('send EPERM'), { name: 'ErrnoException', code: 'EPERM', errno: -1, syscall: 'send' });
    expect(toKernelError(errnoEx, 'x')).toMatchObject({ code: 'EPERM', errno: 1 });
    expect(toKernelError(new Error('Timeout has been reached'), 'x')).toMatchObject({ code: 'ETIMEDOUT' });
    expect(toKernelError('boom', 'x').code).toBe('EUNKNOWN');
    const k = new KernelError('ENODEV', 'getLink', 'no eth9', { errno: 19 });
    expect(toKernelError(k, 'other')).toBe(k);
    expect(isKernelError(k, 'ENODEV')).toBe(true);
    expect(isKernelError(k, 'EEXIST')).toBe(false);
    expect(JSON.parse(JSON.stringify(k))).toEqual({ kind: 'kernelError', code: 'ENODEV', op: 'getLink', errno: 19, message: 'getLink: ENODEV: no eth9' });
  });
});
