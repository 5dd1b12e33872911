// How every probe ends (src/check/probe-end.ts), on Node's real timers and microtasks: once, with
// its socket released once, never answering after a cancel, a result known up front answered
// only after the caller has its handle, and a timer that can be moved while the probe waits.
import { describe, expect, it } from 'vitest';
import { PendingProbes, probeEnd, tcpConnectOptions } from '../../../src/check/probe-end.js';
import type { ProbeResult } from '../../../src/check/checker-state.js';
import { ms } from '../../../src/lib/units.js';

const sleep = (n: number) => new Promise((r) => setTimeout(r, n));

describe('probeEnd', () => {
  it('answers and releases once however often it is finished', () => {
    const answers: ProbeResult[] = [];
    let released = 0;
    const end = probeEnd((r) => answers.push(r), () => released++);
    end.finish({ kind: 'connected' });
    end.finish({ kind: 'timeout' });
    void end.handle.cancel();
    expect(answers).toEqual([{ kind: 'connected' }]);
    expect(released).toBe(1);
  });

  it('a cancel releases without answering, and a pending later() or timer then says nothing', async () => {
    const answers: ProbeResult[] = [];
    let released = 0;
    const end = probeEnd((r) => answers.push(r), () => released++);
    end.arm(20, () => ({ kind: 'timeout' }));
    end.later({ kind: 'connectFailed', detail: 'EINVAL' });
    await end.handle.cancel();
    await sleep(60);
    expect(answers).toEqual([]);
    expect(released).toBe(1);
  });

  it('later() answers after the caller has returned, not during the call', async () => {
    const answers: ProbeResult[] = [];
    const end = probeEnd((r) => answers.push(r));
    end.later({ kind: 'connectFailed', detail: 'EINVAL' });
    expect(answers).toEqual([]);
    await Promise.resolve();
    expect(answers).toEqual([{ kind: 'connectFailed', detail: 'EINVAL' }]);
  });

  it('arm() moves the timer, and the timeout result is read when it fires', async () => {
    const answers: ProbeResult[] = [];
    const end = probeEnd((r) => answers.push(r));
    let stage = 'connect';
    end.arm(20, () => ({ kind: 'failed', detail: `${stage} timeout` }));
    end.arm(150, () => ({ kind: 'failed', detail: `${stage} timeout` }));
    await sleep(60);
    expect(answers).toEqual([]);
    stage = 'read';
    await sleep(200);
    expect(answers).toEqual([{ kind: 'failed', detail: 'read timeout' }]);
  });
});

describe('PendingProbes', () => {
  it('each key answers once; idle is reported when the last one ends', () => {
    const answers: string[] = [];
    let idle = 0;
    const p = new PendingProbes<number, { readonly host: string }>(() => idle++);
    p.add(1, { host: '192.0.2.1' }, (r) => answers.push(`1 ${r.kind}`), 10_000);
    const h2 = p.add(2, { host: '192.0.2.2' }, (r) => answers.push(`2 ${r.kind}`), 10_000);
    expect(p.get(2)?.host).toBe('192.0.2.2');
    p.settle(1, { kind: 'connected' });
    p.settle(1, { kind: 'timeout' });
    expect(idle).toBe(0);
    void h2.cancel();
    expect(p.get(2)).toBeUndefined();
    expect(answers).toEqual(['1 connected']);
    expect(idle).toBe(1);
  });

  it('a timeout runs the abort first and answers timeout; a cancel runs it and answers nothing', async () => {
    const events: string[] = [];
    const p = new PendingProbes<number>();
    p.add(1, {}, (r) => events.push(`answer 1 ${r.kind}`), 20, () => events.push('abort 1'));
    const h2 = p.add(2, {}, (r) => events.push(`answer 2 ${r.kind}`), 10_000, () => events.push('abort 2'));
    await sleep(80);
    await h2.cancel();
    expect(events).toEqual(['abort 1', 'answer 1 timeout', 'abort 2']);
  });

  it('clear() ends every probe without an answer; later() answers from a microtask', async () => {
    const answers: string[] = [];
    const p = new PendingProbes<string>();
    p.add('a', {}, (r) => answers.push(`a ${r.kind}`), 10_000);
    p.add('b', {}, (r) => answers.push(`b ${r.kind}`), 10_000);
    p.later('a', { kind: 'connected' });
    expect(answers).toEqual([]);
    await Promise.resolve();
    p.clear();
    expect(answers).toEqual(['a connected']);
    expect(p.get('b')).toBeUndefined();
  });
});

describe('tcpConnectOptions', () => {
  it('the target, and the local end only when bindto / bind_port are set', () => {
    expect(tcpConnectOptions({ host: '2001:db8::1', family: 6, port: 80, connectTimeoutMs: ms(1000) })).toEqual({ host: '2001:db8::1', port: 80, family: 6 });
    expect(tcpConnectOptions({ host: '192.0.2.1', family: 4, port: 25, bindto: '192.0.2.9', bindPort: 4000, connectTimeoutMs: ms(1000) })).toEqual({
      host: '192.0.2.1',
      port: 25,
      family: 4,
      localAddress: '192.0.2.9',
      localPort: 4000,
    });
  });
});
