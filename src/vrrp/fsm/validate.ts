// Receive validation in keepalived's order (vrrp.c vrrp_in_chk / vrrp_check_packet; fact sheet
// 3.3). The first failing check decides the counter; a v3 interval mismatch is only a warning.
import type { AdvertMeta, VrrpAdvert } from '../packet/types.js';
import type { InstanceConfig } from './config.js';
import { isUnicast } from './config.js';
import { sameAddresses } from '../../lib/ip.js';
import type { DropReason, RawCheck } from './types.js';

export type Validation =
  | { readonly ok: true; readonly warning?: DropReason }
  | { readonly ok: false; readonly reason: DropReason };

const OK: Validation = { ok: true };

/** keepalived zero-pads auth_pass to 8 bytes and compares all 8. */
export function authPassBytes(pass: string | undefined): Uint8Array {
  const out = new Uint8Array(8);
  if (pass) out.set(new TextEncoder().encode(pass).subarray(0, 8));
  return out;
}

export interface ValidateInput {
  readonly advert?: VrrpAdvert;
  readonly meta: AdvertMeta;
  readonly rawCheck?: RawCheck;
}

/**
 * `checkAddrList` is false only for a BACKUP with skip_check_adv_addr receiving from the master
 * it already follows (vrrp_state_backup).
 */
export function validateAdvert(cfg: InstanceConfig, input: ValidateInput, checkAddrList: boolean, pass?: Uint8Array): Validation {
  const { advert, meta } = input;
  const raw = input.rawCheck ?? {};
  // Undecodable: count it under the check keepalived would have failed it on, else 'decode'.
  if (!advert) return { ok: false, reason: raw.lengthError ? 'length' : raw.versionError ? 'version' : raw.typeError ? 'type' : raw.checksumError ? 'checksum' : 'decode' };
  const unicast = isUnicast(cfg);
  // 1. IPv4: an AH header must be present iff auth_type AH.
  if (cfg.family === 'inet' && (raw.ahPresent ?? false) !== (cfg.authType === 2)) return { ok: false, reason: 'auth-type-mismatch' };
  // 2. Length must match the header's naddr (codec-detected).
  if (raw.lengthError) return { ok: false, reason: 'length' };
  // 3. RFC 3768 7.1 / RFC 5798 7.1: TTL / hop limit must be 255 (not checked for unicast).
  if (!unicast && meta.ttl !== 255) return { ok: false, reason: 'ttl' };
  // 4. Version must be ours.
  if (advert.version !== cfg.version) return { ok: false, reason: 'version' };
  // The socket demultiplexes by VRID; a stray one is still refused here.
  if (advert.vrid !== cfg.vrid) return { ok: false, reason: 'vrid' };
  if (advert.version === 2) {
    // 6. v2 auth type must be ours; PASS compares all 8 bytes.
    if (advert.authType !== cfg.authType) return { ok: false, reason: 'auth-type-mismatch' };
    if (cfg.authType === 1) {
      const want = pass ?? authPassBytes(cfg.authPass);
      const got = advert.authData ?? new Uint8Array(8);
      let diff = got.length === 8 ? 0 : 1;
      for (let i = 0; i < 8; i++) diff |= (got[i] ?? 0) ^ want[i];
      if (diff !== 0) return { ok: false, reason: 'auth-pass-mismatch' };
    }
    // RFC 3768 7.1: adverts with a different interval MUST be discarded (keepalived: silently).
    if (advert.advertInt !== cfg.advertInt) return { ok: false, reason: 'advert-interval' };
  }
  // 7. Type must be ADVERTISEMENT.
  if (raw.typeError) return { ok: false, reason: 'type' };
  // 8. v3: a differing interval is only logged (RFC 5798 lets backups adopt it).
  const warning: DropReason | undefined = advert.version === 3 && advert.advertInt !== cfg.advertInt ? 'advert-interval-v3' : undefined;
  // 9. Checksum.
  if (raw.checksumError) return { ok: false, reason: 'checksum' };
  // 10. Multicast destination iff multicast mode.
  if (meta.dst.isMulticast() === unicast) return { ok: false, reason: 'multicast-dst' };
  // 11. owner_ignore_adverts.
  if (cfg.ownerIgnoreAdverts && cfg.priority === 255) return { ok: false, reason: 'owner-ignore' };
  // 12. keepalived 2.2.7 discards adverts whose address list differs from ours (2.3+ only logs).
  if (checkAddrList && !sameAddresses(advert.addresses, cfg.vips)) return { ok: false, reason: 'address-list' };
  // 13. Unicast source check (check_unicast_src, or a peer with min_ttl/max_ttl).
  if (unicast && (cfg.checkUnicastSrc || cfg.unicastPeers.some((p) => p.minTtl !== undefined || p.maxTtl !== undefined))) {
    const peer = cfg.unicastPeers.find((p) => p.address.equals(meta.src));
    if (!peer) return { ok: false, reason: 'unicast-src' };
    if (meta.ttl < (peer.minTtl ?? 0) || meta.ttl > (peer.maxTtl ?? 255)) return { ok: false, reason: 'unicast-src' };
  }
  return warning ? { ok: true, warning } : OK;
}
