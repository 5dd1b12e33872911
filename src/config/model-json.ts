// The model as JSON, for --dump-config and the daemon's dump of its loaded configuration: both
// write the same text.
import { IpAddress } from '../lib/ip.js';

/**
 * Durations in the model, by field name, and the unit each is kept in (src/config/model.ts:
 * VRRP intervals in centiseconds, most delays in milliseconds, a few keepalived settings in
 * seconds). Every other number in the model is not a duration.
 */
const DURATION_FIELDS: Readonly<Record<string, 'cs' | 'ms' | 's'>> = {
  advertInt: 'cs',
  smtpConnectTimeout: 's',
  startupScriptTimeout: 's',
  shutdownScriptTimeout: 's',
  persistenceTimeout: 's',
  tcp: 's',
  tcpfin: 's',
  udp: 's',
  vrrpGarpMasterDelay: 'ms',
  vrrpGarpMasterRefresh: 'ms',
  vrrpGarpLowerPrioDelay: 'ms',
  vrrpGarpInterval: 'ms',
  vrrpGnaInterval: 'ms',
  vrrpStartupDelay: 'ms',
  interval: 'ms',
  timeout: 'ms',
  delay: 'ms',
  forkDelay: 'ms',
  terminateDelay: 'ms',
  preemptDelay: 'ms',
  garpMasterDelay: 'ms',
  garpMasterRefresh: 'ms',
  garpLowerPrioDelay: 'ms',
  garpInterval: 'ms',
  gnaInterval: 'ms',
  delayLoop: 'ms',
  connectTimeout: 'ms',
  delayBeforeRetry: 'ms',
  warmup: 'ms',
  miscTimeout: 'ms',
};
const TO_MS = { cs: 10, ms: 1, s: 1000 } as const;

export interface DumpOptions {
  /** vrrp_script names the check disabled, with why: marked on the script and on every tracker of it. */
  readonly disabledScripts?: ReadonlyMap<string, string>;
}

/**
 * JSON for --dump-config: Maps become objects, Sets arrays, bigints strings. Every duration is
 * written in milliseconds under its name with an `Ms` suffix (`advertIntMs`, `intervalMs`), so
 * no bare centiseconds or seconds stand next to milliseconds. Disabled vrrp_scripts, and the
 * track_script entries that name them, carry `"disabled": "why"`.
 */
export function modelToJson(model: unknown, o: DumpOptions = {}): string {
  const disabled = o.disabledScripts ?? new Map<string, string>();
  // `key` is the name the value is stored under; array elements get their array's name.
  const plain = (value: unknown, key: string): unknown => {
    // An address is written as before the model held values: `{ family, address }`, or its
    // text where it is the `address` of a prefix (virtual_ipaddress entries).
    if (value instanceof IpAddress) return key === 'address' ? value.text : { family: value.family, address: value.text };
    if (value instanceof Map) return plain(Object.fromEntries(value), key);
    if (value instanceof Set) return plain([...value], key);
    if (typeof value === 'bigint') return value.toString();
    if (Array.isArray(value)) return value.map((v) => plain(v, key));
    if (typeof value !== 'object' || value === null) return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const unit = DURATION_FIELDS[k];
      if (unit !== undefined && typeof v === 'number') out[`${k}Ms`] = v * TO_MS[unit];
      else if (v !== undefined) out[k] = plain(v, k);
    }
    const name = (value as { name?: unknown }).name;
    if (typeof name === 'string' && (key === 'vrrpScripts' || key === 'trackScript') && disabled.has(name)) out.disabled = disabled.get(name);
    return out;
  };
  return JSON.stringify(plain(model, ''), null, 2);
}
