// Receive checks the real runtime's sockets make unreachable: an advert for a VRID we do not run
// is demultiplexed away and an AH datagram never reaches a protocol-112 socket (cases 052 and
// 048 show that). The state machine still refuses such an advert should one be handed to it,
// as keepalived's vrrp_check_packet would (fact sheet 3.3 step 1; RFC 3768 7.1).
import { describe, expect, it } from 'vitest';
import { cs } from '../../src/lib/units.js';
import { initialState, makeInstanceConfig, step, validateAdvert } from '../../src/vrrp/fsm/index.js';
import type { VrrpAdvert } from '../../src/vrrp/packet/types.js';
import { us } from '../../src/lib/units.js';
import { ipOf } from '../../src/lib/ip.js';

const cfg = makeInstanceConfig({ name: 'VI_1', vrid: 51, vips: ['10.0.0.100'] });
const advert: VrrpAdvert = { version: 2, family: 'inet', vrid: 51, priority: 150, advertInt: cs(100), authType: 0, addresses: [ipOf('10.0.0.100')] };
const meta = { src: ipOf('10.0.0.2'), dst: ipOf('224.0.0.18'), ttl: 255, ifindex: 2 };

describe('receive checks behind the socket', () => {
  it('an advert for another VRID is refused as vrid', () => {
    expect(validateAdvert(cfg, { advert: { ...advert, vrid: 52 }, meta }, true)).toEqual({ ok: false, reason: 'vrid' });
    expect(validateAdvert(cfg, { advert, meta }, true)).toEqual({ ok: true });
  });
  it('an AH datagram for an instance without AH is an auth type mismatch, and a backup keeps its timer', () => {
    expect(validateAdvert(cfg, { advert, meta, rawCheck: { ahPresent: true } }, true)).toEqual({ ok: false, reason: 'auth-type-mismatch' });
    const started = step(cfg, initialState(cfg), { kind: 'startup' }, us(0));
    const r = step(cfg, started.state, { kind: 'advertReceived', advert, meta, rawCheck: { ahPresent: true } }, us(1_000_000));
    expect(r.actions).toEqual([{ kind: 'countError', reason: 'auth-type-mismatch', dropped: true }]);
    expect(r.state.deadline).toBe(started.state.deadline);
  });
  it('an undecodable packet with no other flag is counted as decode', () => {
    expect(validateAdvert(cfg, { meta, rawCheck: { decodeError: 'short' } }, true)).toEqual({ ok: false, reason: 'decode' });
  });
});
