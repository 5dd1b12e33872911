// `-t` on use_vmac / vmac_xmit_base / use_ipvlan lines, ours against keepalived 2.2.7's in the same run: the
// same messages (keepalived's "(file: Line N) " prefix and our "file:line:col: error[code]: "
// aside) and the same exit status. Both run in a namespace of their own with an interface v0
// (`keepalived -t` sends nothing; the namespace only gives it an interface to find).
import { describe, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasKeepalived, isRoot, itWhen } from '../../helpers/require.js';
import { withVethNs } from '../../helpers/netns-fixture.js';
import { REPO } from './daemon-lab.js';

const inst = (name: string, vrid: number, lines: string[]) =>
  `vrrp_instance ${name} {\n  interface v0\n  virtual_router_id ${vrid}\n${lines.map((l) => `  ${l}\n`).join('')}  virtual_ipaddress {\n    192.0.2.${vrid}/24\n  }\n}\n`;

const CASES: Record<string, string> = {
  plain: inst('VI_1', 51, ['use_vmac']),
  'name and MAC': inst('VI_1', 51, ['use_vmac vx0 02:11:22:33:44:55', 'vmac_xmit_base']),
  'five octets': inst('VI_1', 51, ['use_vmac 02:11:22:33:44']),
  'RFC 5798 MAC': inst('VI_1', 51, ['use_vmac vx0 00:00:5e:00:01:05']),
  'multicast MAC': inst('VI_1', 51, ['use_vmac 01:11:22:33:44:55']),
  'bad MAC': inst('VI_1', 51, ['use_vmac zz:11']),
  'two names': inst('VI_1', 51, ['use_vmac a b c']),
  'long name': inst('VI_1', 51, ['use_vmac waytoolonginterfacename']),
  'unicast without xmit_base': inst('VI_1', 51, ['use_vmac', 'unicast_peer {', '  192.0.2.9', '}']),
  'promote_secondaries': inst('VI_1', 51, ['use_vmac', 'promote_secondaries']),
  'one name twice': inst('A', 1, ['use_vmac vx']) + inst('B', 2, ['use_vmac vx']),
  'ipvlan, IPv4 without an address': inst('VI_1', 51, ['use_ipvlan']),
  'ipvlan with everything': inst('VI_1', 51, ['use_ipvlan ipv1 192.0.2.5/24 private']),
  'ipvlan, two types': inst('VI_1', 51, ['use_ipvlan ipv1 bridge vepa']),
  'ipvlan, two addresses': inst('VI_1', 51, ['use_ipvlan ipv1 192.0.2.5/24 192.0.2.6/24']),
  'ipvlan, two names': inst('VI_1', 51, ['use_ipvlan ipv1 ipv2 192.0.2.5']),
  'ipvlan twice': inst('VI_1', 51, ['use_ipvlan 192.0.2.5', 'use_ipvlan 192.0.2.6']),
  'ipvlan, IPv6 address after an IPv4 VIP': `vrrp_instance VI_1 {\n  interface v0\n  virtual_router_id 51\n  virtual_ipaddress {\n    192.0.2.51/24\n  }\n  use_ipvlan fd00::5/64\n}\n`,
};

/**
 * The message of each diagnostic line, without either program's location prefix, sorted: our
 * `-t` lists diagnostics by position in the file, keepalived in the order it meets them.
 */
function messages(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/^\([^)]*: Line \d+\) /, '').replace(/^\S+:\d+:\d+: (error|warning)\[[^\]]+\]: /, '').trim())
    .filter((l) => l.length > 0)
    .sort();
}

describe('-t with use_vmac and use_ipvlan: messages and exit status as keepalived 2.2.7', () => {
  itWhen(isRoot, hasKeepalived)('every case', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kt-vmac-t-'));
    try {
      await withVethNs('vmt', async (ns) => {
        for (const [label, conf] of Object.entries(CASES)) {
          const file = join(dir, `${label.replace(/\W+/g, '-')}.conf`);
          writeFileSync(file, conf);
          const k = spawnSync('ip', ['netns', 'exec', ns, 'keepalived', '-t', '-l', '-n', '-f', file], { encoding: 'utf8' });
          const o = spawnSync('ip', ['netns', 'exec', ns, 'node', '--import', 'tsx', join(REPO, 'src/cli/main.ts'), '-t', '-f', file], { encoding: 'utf8', cwd: REPO });
          expect({ label, messages: messages(o.stdout + o.stderr), status: o.status }).toEqual({ label, messages: messages(k.stdout + k.stderr), status: k.status });
        }
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
