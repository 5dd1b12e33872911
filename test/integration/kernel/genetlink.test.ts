// Generic netlink family resolution (CTRL_CMD_GETFAMILY) against the running kernel, compared
// with what iproute2's `genl ctrl get` reports for the same family in the same run. A family
// lookup is a read-only request to the kernel's controller: no packet leaves the process.
import { execFileSync } from 'node:child_process';
import { describe, expect } from 'vitest';
import { GenericNetlink, GENL_ID_CTRL } from '../../../src/kernel/genetlink.js';
import { nativeUnavailable } from '../../../src/net/native.js';
import { itWhen, pathsExist } from '../../helpers/require.js';

const hasAddon = () => nativeUnavailable();
const genlBin = ['/usr/sbin/genl', '/sbin/genl', '/usr/bin/genl'].find((p) => pathsExist(p)() === undefined);
const hasGenl = () => (genlBin ? undefined : 'iproute2 genl binary');

/** Family id and version as `genl ctrl get name NAME` prints them; undefined when it fails. */
function genlSays(name: string): { id: number; version: number; groups: Map<string, number> } | undefined {
  let out: string;
  try {
    out = execFileSync(genlBin!, ['ctrl', 'get', 'name', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch {
    return undefined;
  }
  const m = /ID:\s*(0x[0-9a-f]+)\s+Version:\s*(0x[0-9a-f]+)/i.exec(out);
  if (!m) return undefined;
  const groups = new Map<string, number>();
  for (const g of out.matchAll(/ID-(0x[0-9a-f]+)\s+name:\s*(\S+)/gi)) groups.set(g[2], Number(g[1]));
  return { id: Number(m[1]), version: Number(m[2]), groups };
}

describe('generic netlink family resolution', () => {
  itWhen(hasAddon, hasGenl)('resolves nlctrl and the families genl lists to the same ids, versions and groups', async () => {
    const g = GenericNetlink.open({ timeoutMs: 3000 });
    try {
      const ctrl = await g.resolveFamily('nlctrl');
      expect(ctrl).toBeDefined();
      expect(ctrl!.id).toBe(GENL_ID_CTRL);
      expect(ctrl!.name).toBe('nlctrl');
      const ref = genlSays('nlctrl')!;
      expect(ctrl!.version).toBe(ref.version);
      expect(ctrl!.mcastGroups.get('notify')).toBe(ref.groups.get('notify'));
      let compared = 0;
      for (const name of ['ethtool', 'devlink', 'netdev', 'thermal', 'IPVS']) {
        const want = genlSays(name);
        const got = await g.resolveFamily(name);
        if (!want) {
          expect(got).toBeUndefined();
          continue;
        }
        compared++;
        expect(got).toMatchObject({ id: want.id, name, version: want.version });
        expect(Object.fromEntries(got!.mcastGroups)).toEqual(Object.fromEntries(want.groups));
      }
      expect(compared).toBeGreaterThan(0);
    } finally {
      g.close();
    }
  });

  itWhen(hasAddon)('an unknown family is undefined (the kernel answers ENOENT), and the socket keeps working', async () => {
    const g = GenericNetlink.open({ timeoutMs: 3000 });
    try {
      expect(await g.resolveFamily('no_such_family')).toBeUndefined();
      expect(await g.resolveFamily('')).toBeUndefined();
      expect((await g.resolveFamily('nlctrl'))?.id).toBe(GENL_ID_CTRL);
    } finally {
      g.close();
    }
  });
});
