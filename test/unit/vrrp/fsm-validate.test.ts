import { describe, expect, it } from 'vitest';
import { cs } from '../../../src/lib/units.js';
import { authPassBytes, makeInstanceConfig, validateAdvert } from '../../../src/vrrp/fsm/index.js';
import type { VrrpAdvert } from '../../../src/vrrp/packet/types.js';
import { ipOf } from '../../../src/lib/ip.js';

const cfg = makeInstanceConfig({ vrid: 51, vips: ['10.0.0.100'], authType: 1, authPass: 'secret12' });
const good: VrrpAdvert = { version: 2, family: 'inet', vrid: 51, priority: 150, advertInt: cs(100), authType: 1, authData: authPassBytes('secret12'), addresses: [ipOf('10.0.0.100')] };
const meta = { src: ipOf('10.0.0.2'), dst: ipOf('224.0.0.18'), ttl: 255, ifindex: 1 };

describe('receive validation order (keepalived vrrp_check_packet)', () => {
  it('accepts a valid advert', () => {
    expect(validateAdvert(cfg, { advert: good, meta }, true)).toEqual({ ok: true });
  });
  it('reports only the first failing check, in keepalived order', () => {
    // Everything wrong at once: the AH check comes first.
    const bad: VrrpAdvert = { ...good, version: 3, authType: 0, advertInt: cs(200), addresses: [] };
    const m = { ...meta, ttl: 1, dst: ipOf('10.0.0.1') };
    const order: [object, string][] = [
      [{ ahPresent: true, lengthError: true }, 'auth-type-mismatch'],
      [{ lengthError: true }, 'length'],
      [{}, 'ttl'],
    ];
    for (const [raw, reason] of order) expect(validateAdvert(cfg, { advert: bad, meta: m, rawCheck: raw }, true)).toEqual({ ok: false, reason });
    expect(validateAdvert(cfg, { advert: bad, meta: { ...m, ttl: 255 } }, true)).toEqual({ ok: false, reason: 'version' });
    const v2 = { ...bad, version: 2 as const };
    expect(validateAdvert(cfg, { advert: v2, meta: { ...m, ttl: 255 } }, true)).toEqual({ ok: false, reason: 'auth-type-mismatch' });
    const pass = { ...v2, authType: 1 as const, authData: authPassBytes('nope') };
    expect(validateAdvert(cfg, { advert: pass, meta: { ...m, ttl: 255 } }, true)).toEqual({ ok: false, reason: 'auth-pass-mismatch' });
    const intv = { ...pass, authData: authPassBytes('secret12') };
    expect(validateAdvert(cfg, { advert: intv, meta: { ...m, ttl: 255 } }, true)).toEqual({ ok: false, reason: 'advert-interval' });
    const typ = { ...intv, advertInt: cs(100) };
    expect(validateAdvert(cfg, { advert: typ, meta: { ...m, ttl: 255 }, rawCheck: { typeError: true, checksumError: true } }, true)).toEqual({ ok: false, reason: 'type' });
    expect(validateAdvert(cfg, { advert: typ, meta: { ...m, ttl: 255 }, rawCheck: { checksumError: true } }, true)).toEqual({ ok: false, reason: 'checksum' });
    expect(validateAdvert(cfg, { advert: typ, meta: { ...m, ttl: 255 } }, true)).toEqual({ ok: false, reason: 'multicast-dst' });
    expect(validateAdvert(cfg, { advert: typ, meta }, true)).toEqual({ ok: false, reason: 'address-list' });
    expect(validateAdvert(cfg, { advert: typ, meta }, false)).toEqual({ ok: true });
  });
  it('v3 interval mismatch is a warning, v2 a drop', () => {
    const v3cfg = makeInstanceConfig({ vrid: 51, vips: ['10.0.0.100'], version: 3 });
    const a: VrrpAdvert = { ...good, version: 3, authType: 0, authData: undefined, advertInt: cs(50) };
    expect(validateAdvert(v3cfg, { advert: a, meta }, true)).toEqual({ ok: true, warning: 'advert-interval-v3' });
  });
  it('unicast: no TTL rule, but peer TTL range and source when checked', () => {
    const u = makeInstanceConfig({ vrid: 51, vips: ['10.0.0.100'], unicastPeers: [{ address: '10.0.0.2' }], checkUnicastSrc: true });
    const a: VrrpAdvert = { ...good, authType: 0, authData: undefined };
    const um = { ...meta, dst: ipOf('10.0.0.1'), ttl: 64 };
    expect(validateAdvert(u, { advert: a, meta: um }, true)).toEqual({ ok: true });
    expect(validateAdvert(u, { advert: a, meta: { ...um, src: ipOf('10.0.0.3') } }, true)).toEqual({ ok: false, reason: 'unicast-src' });
    expect(validateAdvert(u, { advert: a, meta: { ...um, dst: ipOf('224.0.0.18') } }, true)).toEqual({ ok: false, reason: 'multicast-dst' });
  });
  it('owner_ignore_adverts drops everything for an owner', () => {
    const o = makeInstanceConfig({ vrid: 51, vips: ['10.0.0.100'], priority: 255, ownerIgnoreAdverts: true });
    const a: VrrpAdvert = { ...good, authType: 0, authData: undefined };
    expect(validateAdvert(o, { advert: a, meta }, true)).toEqual({ ok: false, reason: 'owner-ignore' });
  });
});
