// Re-runs test/vectors/capture-keepalived.sh: the real keepalived in throw-away network
// namespaces, captured with tcpdump, extracted with scapy. Every fresh packet must decode and
// re-encode byte for byte with our codec, so the committed vectors are not a one-off.
// Needs root, keepalived, tcpdump and Debian's python3-scapy; in CI a missing one fails.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect } from 'vitest';
import { isRoot, itWhen, type Prereq } from '../../helpers/require.js';
import { checkVector } from '../../vectors/check.js';
import type { VectorFile, VrrpVector } from '../../vectors/load.js';

const tool = (cmd: string, args: string[], hint: string): Prereq => () =>
  spawnSync(cmd, args, { stdio: 'ignore' }).status === 0 ? undefined : hint;
const hasKeepalived = tool('keepalived', ['--version'], 'keepalived not installed (apt-get install keepalived)');
const hasTcpdump = tool('tcpdump', ['--version'], 'tcpdump not installed (apt-get install tcpdump)');
const hasScapy = tool('/usr/bin/python3', ['-c', 'import scapy.layers.vrrp'], 'python3-scapy not installed (apt-get install python3-scapy)');

const script = fileURLToPath(new URL('../../vectors/capture-keepalived.sh', import.meta.url));

describe('live capture of keepalived 2.2.7', () => {
  itWhen(isRoot, hasKeepalived, hasTcpdump, hasScapy)(
    'every advert, GARP and NA keepalived sends round-trips through our codec',
    () => {
      const out = mkdtempSync(join(tmpdir(), 'kt-livecap-'));
      try {
        const r = spawnSync(script, [out], { encoding: 'utf8', timeout: 60_000 });
        expect(r.status, r.stderr).toBe(0);
        const file = JSON.parse(readFileSync(join(out, 'keepalived-2.2.7.json'), 'utf8')) as VectorFile;
        for (const v of file.vectors) checkVector(v);
        const vrids = new Set(file.vectors.filter((v): v is VrrpVector => v.kind === 'vrrp').map((v) => v.fields.vrid));
        expect([...vrids].sort((a, b) => a - b)).toEqual([51, 52, 53, 54, 55, 56, 57, 58, 59]);
        expect(file.vectors.some((v) => v.kind === 'vrrp' && v.ah !== undefined)).toBe(true);
        expect(file.vectors.some((v) => v.kind === 'arp')).toBe(true);
        expect(file.vectors.some((v) => v.kind === 'na')).toBe(true);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    },
    90_000,
  );
});
