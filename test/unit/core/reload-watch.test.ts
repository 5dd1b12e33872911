// --watch-config's watcher on real files: an edit in place, an editor's save (a new file renamed
// over the old one) and a change to an included file each start one reload after the debounce;
// several quick edits start one; a file in the same directory that the config does not read
// starts none; after close() nothing starts.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigWatcher } from '../../../src/core/reload-watch.js';
import { memoryLogger } from '../../../src/lib/log.js';

const dirs: string[] = [];
const watchers: ConfigWatcher[] = [];
afterEach(() => {
  for (const w of watchers.splice(0)) w.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('ConfigWatcher', () => {
  it('fires once per burst of changes to the watched files, never for others', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kt-watch-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'conf.d'));
    const main = join(dir, 'keepalived.conf');
    const inc = join(dir, 'conf.d', 'vi.conf');
    writeFileSync(main, 'include conf.d/vi.conf\n');
    writeFileSync(inc, '');
    const fired: (readonly string[])[] = [];
    const w = new ConfigWatcher((files) => fired.push(files), memoryLogger('info').log, 150);
    watchers.push(w);
    w.setFiles([main, inc]);
    await sleep(100);

    writeFileSync(main, 'include conf.d/vi.conf\n# edited\n');
    writeFileSync(main, 'include conf.d/vi.conf\n# edited twice\n');
    await sleep(600);
    expect(fired).toEqual([[main]]);

    // An editor's save: a new file renamed over the old one.
    writeFileSync(join(dir, '.keepalived.conf.swp'), 'x');
    renameSync(join(dir, '.keepalived.conf.swp'), main);
    await sleep(600);
    expect(fired.length).toBe(2);
    expect(fired[1]).toContain(main);

    writeFileSync(inc, 'vrrp_instance VI_1 {\n}\n');
    await sleep(600);
    expect(fired[2]).toEqual([inc]);

    // Not read by the config: no reload.
    writeFileSync(join(dir, 'notes.txt'), 'x');
    writeFileSync(join(dir, 'conf.d', 'other.conf'), 'x');
    await sleep(600);
    expect(fired.length).toBe(3);

    // The include dropped from the config: its edits no longer count.
    w.setFiles([main]);
    writeFileSync(inc, '');
    await sleep(600);
    expect(fired.length).toBe(3);

    w.close();
    writeFileSync(main, '# after close\n');
    await sleep(600);
    expect(fired.length).toBe(3);
  });
});
