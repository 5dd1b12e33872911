// The reload's config reader thread: its answers equal the in-process pipeline's model (with
// IpAddress values), and after the first answer only what changed crosses from the thread: an
// unchanged instance is the very object of the previous answer, a changed one a new object.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigReader } from '../../../src/core/reload-read.js';
import { IpAddress } from '../../../src/lib/ip.js';

const dirs: string[] = [];
const readers: ConfigReader[] = [];
afterEach(async () => {
  for (const r of readers.splice(0)) await r.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const inst = (name: string, vrid: number, prio: number) =>
  `vrrp_instance ${name} {\n  interface eth0\n  virtual_router_id ${vrid}\n  priority ${prio}\n  virtual_ipaddress {\n    192.0.2.${vrid}/24\n  }\n}\n`;

describe('ConfigReader (worker thread)', () => {
  it('answers the same model as the in-process read, and shares what did not change', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kt-reader-'));
    dirs.push(dir);
    const file = join(dir, 'keepalived.conf');
    const req = { configFile: file, configId: 'x' };
    const worker = new ConfigReader();
    const inline = new ConfigReader({ inProcess: true });
    readers.push(worker);

    writeFileSync(file, inst('VI_1', 1, 100) + inst('VI_2', 2, 100));
    const a = await worker.read(req);
    const a0 = await inline.read(req);
    if (a.kind !== 'read' || a0.kind !== 'read') throw new Error('not read');
    expect(a.model).toEqual(a0.model);
    expect(a.model.vrrpInstances[0].virtualIpaddress[0].ip.address).toBeInstanceOf(IpAddress);

    // A comment line added on top (every location moves) and VI_2's priority changed.
    writeFileSync(file, '# moved down one line\n' + inst('VI_1', 1, 100) + inst('VI_2', 2, 120));
    const b = await worker.read(req);
    const b0 = await inline.read(req);
    if (b.kind !== 'read' || b0.kind !== 'read') throw new Error('not read');
    expect(b.model.vrrpInstances[0]).toBe(a.model.vrrpInstances[0]);
    expect(b.model.vrrpInstances[1]).not.toBe(a.model.vrrpInstances[1]);
    expect(b.model.vrrpInstances[1]).toEqual(b0.model.vrrpInstances[1]);
    expect(b.model.vrrpInstances.map((v) => v.priority)).toEqual([100, 120]);
    // The shared one keeps the locations of the read it came from.
    expect(b.model.vrrpInstances[0].loc.line).toBe(1);
    expect(b0.model.vrrpInstances[0].loc.line).toBe(2);
    const strip = (m: unknown) => JSON.parse(JSON.stringify(m, (k, v: unknown) => (k === 'loc' ? undefined : v))) as unknown;
    expect(strip(b.model)).toEqual(strip(b0.model));
  }, 60_000);
});
