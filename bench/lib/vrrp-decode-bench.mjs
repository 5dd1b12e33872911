// VRRP packet codec benchmark, importable: `runVrrpDecodeBench(codec, opts)` measures adverts
// decoded (and encoded) per second on one thread, median of several timed runs. `codec` is the
// module src/vrrp/packet/index.ts (compiled from dist/ or loaded through tsx), passed in so the
// VRRP core bench can reuse this section without caring how the module was loaded.
import { performance } from 'node:perf_hooks';
import { median, minMax } from './stats.mjs';

/** A fixed, varied workload: 64 adverts per case (1-4 addresses, mixed VRIDs/priorities). */
function workload(codec) {
  const cases = [];
  // build(i) returns [advert value, encode function]; values are prepared once, so the encode
  // timing covers the codec only.
  const mk = (name, build, decode) => cases.push({ name, inputs: [], values: [], build, decode });
  const src4 = new Uint8Array([192, 0, 2, 1]);
  const dst4 = new Uint8Array([224, 0, 0, 18]);
  const src6 = codec.ipOf('fe80::1').bytes;
  const dst6 = codec.ipOf('ff02::12').bytes;
  // Address lists are values (IpAddress), as the runtime holds them.
  const v4 = (i, n) => Array.from({ length: n }, (_, k) => codec.ipOf(`192.0.${2 + (i % 3)}.${(10 * k + i) % 250 + 1}`));
  const v6 = (i, n) => Array.from({ length: n }, (_, k) => codec.ipOf(`2001:db8:${i.toString(16)}::${(k + 1).toString(16)}`));
  const pass = new TextEncoder().encode('secret12');
  mk('v2 IPv4 (PASS auth)', (i) => [{
    version: 2, family: 'inet', vrid: (i % 255) + 1, priority: (i * 7) % 256, advertInt: 100, authType: 1,
    authData: pass, addresses: v4(i, 1 + (i % 4)),
  }, (a) => codec.encodeAdvert(a)], (b) => codec.decodeAdvert(b, { family: 'inet' }));
  mk('v3 IPv4', (i) => [{
    version: 3, family: 'inet', vrid: (i % 255) + 1, priority: (i * 7) % 256, advertInt: 100, authType: 0, addresses: v4(i, 1 + (i % 4)),
  }, (a) => codec.encodeAdvert(a, { src: src4, dst: dst4 })], (b) => codec.decodeAdvert(b, { family: 'inet', src: src4, dst: dst4 }));
  mk('v3 IPv6', (i) => [{
    version: 3, family: 'inet6', vrid: (i % 255) + 1, priority: (i * 7) % 256, advertInt: 100, authType: 0, addresses: v6(i, 1 + (i % 4)),
  }, (a) => codec.encodeAdvert(a, { src: src6, dst: dst6 })], (b) => codec.decodeAdvert(b, { family: 'inet6', src: src6, dst: dst6 }));
  mk('v2 whole IPv4 packet (header + VRRP)', (i) => [{
    version: 2, family: 'inet', vrid: (i % 255) + 1, priority: (i * 7) % 256, advertInt: 100, authType: 0, addresses: v4(i, 1 + (i % 4)),
  }, (a) => codec.encodeIpv4Packet({ src: src4, dst: dst4, id: i + 1 }, codec.encodeAdvert(a))], (b) => codec.decodeVrrpIpv4Packet(b));
  for (const c of cases) {
    for (let i = 0; i < 64; i++) {
      const [value, encode] = c.build(i);
      c.values.push({ value, encode });
      c.inputs.push(encode(value));
    }
  }
  return cases;
}

function timeLoop(fn, inputs, ms) {
  // Calibrate a batch, then run batches until `ms` elapsed.
  let ops = 0;
  let sink = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    for (let k = 0; k < 16; k++) {
      for (let i = 0; i < inputs.length; i++) {
        const r = fn(inputs[i]);
        if (r.ok) sink++;
      }
    }
    ops += 16 * inputs.length;
    t = performance.now();
  }
  if (sink !== ops) throw new Error('benchmark input failed to decode');
  return (ops / (t - t0)) * 1000;
}

/**
 * @param {object} codec the packet module
 * @param {{runs?: number, ms?: number, log?: (s: string) => void}} [opts]
 * @returns {{ rows: Array<{name: string, decodeMedian: number, decodeMin: number, decodeMax: number, encodeMedian: number}>, runs: number, ms: number }}
 */
export function runVrrpDecodeBench(codec, opts = {}) {
  const runs = opts.runs ?? 7;
  const ms = opts.ms ?? 1000;
  const log = opts.log ?? (() => {});
  const rows = [];
  for (const c of workload(codec)) {
    // Warm-up so the JIT has settled before timing.
    timeLoop(c.decode, c.inputs, 300);
    const dec = [];
    for (let r = 0; r < runs; r++) dec.push(timeLoop(c.decode, c.inputs, ms));
    const enc = [];
    for (let r = 0; r < Math.max(3, runs >> 1); r++) {
      enc.push(timeLoop((v) => ({ ok: v.encode(v.value).length > 0 }), c.values, ms / 2));
    }
    const { min, max } = minMax(dec);
    const row = { name: c.name, decodeMedian: median(dec), decodeMin: min, decodeMax: max, encodeMedian: median(enc) };
    log(`${c.name}: decode ${fmt(row.decodeMedian)}/s (min ${fmt(min)}, max ${fmt(max)}), encode ${fmt(row.encodeMedian)}/s`);
    rows.push(row);
  }
  return { rows, runs, ms };
}

export const fmt = (n) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : `${(n / 1e3).toFixed(0)} k`);

/** Markdown body for docs/BENCHMARKS.md. */
export function vrrpDecodeMarkdown(result, env) {
  const lines = [
    '## VRRP packet codec',
    '',
    `\`taskset -c 1 node bench/vrrp-decode.mjs\` (${env}). Adverts per second on one pinned core, each case a fixed set of`,
    `64 different adverts (1-4 addresses) decoded in a loop for ${result.ms} ms; median of ${result.runs} runs`,
    '(min-max in brackets). Decode includes checksum verification (v3: pseudo-header with byte',
    'addresses, as the socket layer passes them) and the address-to-text conversion. Encode builds',
    'the advert from values, checksum included.',
    '',
    '| case | decode / s | encode / s |',
    '|---|---|---|',
  ];
  for (const r of result.rows) {
    lines.push(`| ${r.name} | ${fmt(r.decodeMedian)} (${fmt(r.decodeMin)}-${fmt(r.decodeMax)}) | ${fmt(r.encodeMedian)} |`);
  }
  lines.push('', 'For scale: one instance at advert_int 1 s sends 1 advert/s; a LAN saturated with all 255 VRIDs');
  lines.push('at the v3 minimum interval (1 cs) carries 25,500 adverts/s per family.');
  return lines.join('\n');
}
