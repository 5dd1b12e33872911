// track_file with our daemon as a real process: the file's integer times the weight changes the
// priority; with weight 0 a non-zero value is a FAULT. Writing the file moves the VIP to the
// backup and back, as keepalived's inotify watch does.
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lab } from '../../../src/lab/lab.js';
import { parseTrackFileValue, TrackFileWatcher } from '../../../src/core/track-file-watch.js';
import { memoryLogger } from '../../../src/lib/log.js';
import { itWhen, isRoot } from '../../helpers/require.js';
import { GLOBAL_DEFS, instanceConf, nodeDir, sleep, waitSoleHolder, waitStates, waitUntil, type DaemonNode } from './daemon-lab.js';
import { withNetns, V4_PAIR } from '../../helpers/netns-fixture.js';

const VIP = '192.0.2.100';

async function pair(fileConf: (path: string) => string, track: string, body: (a: DaemonNode, lab: Lab, path: string) => Promise<void>, preset?: string): Promise<void> {
  await withNetns('dtf', async (f) => {
    f.hosts(V4_PAIR);
    const dirA = nodeDir('a');
    const path = join(dirA, 'prio');
    if (preset !== undefined) writeFileSync(path, preset);
    const a = f.daemon('a', GLOBAL_DEFS + fileConf(path) + instanceConf({ priority: 150, vips: [`${VIP}/24`], extra: ['track_file {', `  ${track}`, '}'] }), { dir: dirA });
    await a.waitFor(/Entering (BACKUP|FAULT) STATE/, 15_000);
    await f.backup('b', GLOBAL_DEFS + instanceConf({ priority: 100, vips: [`${VIP}/24`] }));
    await body(a, f.lab, path);
  });
}

describe('track_file value and watch (no privileges)', () => {
  it('reads values as keepalived 2.2.7 did (observed: first integer, blanks before it, else 0)', () => {
    expect(parseTrackFileValue('3\n')).toBe(3);
    expect(parseTrackFileValue('  7 x\n')).toBe(7);
    expect(parseTrackFileValue('abc\n')).toBe(0);
    expect(parseTrackFileValue('')).toBe(0);
    expect(parseTrackFileValue('99999\n')).toBe(99999);
    expect(parseTrackFileValue('-30\n2\n')).toBe(-30);
    expect(parseTrackFileValue('+4')).toBe(4);
  });

  it('init_file, write, rename into place and delete each report the new value once', async () => {
    const dir = nodeDir('tfw');
    const path = join(dir, 'v');
    const seen: [string, number][] = [];
    const w = new TrackFileWatcher([{ name: 'tf', path, initFile: { value: 5, overwrite: false } }], memoryLogger().log, (n, v) => seen.push([n, v]));
    try {
      w.start();
      expect(readFileSync(path, 'utf8')).toBe('5\n');
      writeFileSync(path, '7\n');
      await waitUntil('7', () => seen.length === 2, 2000);
      writeFileSync(path + '.tmp', '-2\n');
      renameSync(path + '.tmp', path);
      await waitUntil('-2', () => seen.length === 3, 2000);
      rmSync(path);
      await waitUntil('0', () => seen.length === 4, 2000);
      writeFileSync(path, '0\n'); // same value: not reported again
      await sleep(200);
      expect(seen).toEqual([['tf', 5], ['tf', 7], ['tf', -2], ['tf', 0]]);
    } finally {
      w.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('track_file (real processes)', () => {
  itWhen(isRoot)('weight 0: init_file creates 0; writing 1 faults the master (VIP moves), writing 0 brings it back', { timeout: 90_000 }, async () => {
    await pair(
      (p) => `track_file tf {\n  file ${p}\n  weight 0\n  init_file\n}\n`,
      'tf',
      async (a, lab, path) => {
        expect(readFileSync(path, 'utf8').trim()).toBe('0');
        await waitSoleHolder(lab, ['a', 'b'], 'a', VIP, 20_000);
        const t0 = performance.now();
        writeFileSync(path, '1\n');
        const t1 = await waitSoleHolder(lab, ['a', 'b'], 'b', VIP, 10_000, 10);
        console.log(`[measure] track_file weight 0: value 1 -> VIP on backup after ${(t1 - t0).toFixed(0)} ms`);
        expect(t1 - t0).toBeLessThan(2000); // FAULT from MASTER resigns with priority 0
        // Replaced by rename (how most tools write files) counts as a change too.
        writeFileSync(path + '.new', '0\n');
        renameSync(path + '.new', path);
        await waitSoleHolder(lab, ['a', 'b'], 'a', VIP, 10_000, 10);
        await waitStates(a, 'VI_1', ['BACKUP', 'MASTER', 'FAULT', 'BACKUP', 'MASTER']);
      },
    );
  });

  itWhen(isRoot)('weighted: value x weight lowers the priority below the backup, then restores it', { timeout: 90_000 }, async () => {
    await pair(
      (p) => `track_file tf {\n  file ${p}\n  weight -10\n}\n`,
      'tf',
      async (a, lab, path) => {
        await waitSoleHolder(lab, ['a', 'b'], 'a', VIP, 20_000);
        writeFileSync(path, '6\n'); // 150 - 60 = 90 < 100
        await waitSoleHolder(lab, ['a', 'b'], 'b', VIP, 10_000, 10);
        await a.waitFor(/\(VI_1\) Entering BACKUP STATE.*priority=90/, 3000);
        writeFileSync(path, '0\n');
        await waitSoleHolder(lab, ['a', 'b'], 'a', VIP, 10_000, 10);
        await waitStates(a, 'VI_1', ['BACKUP', 'MASTER', 'BACKUP', 'MASTER']);
        expect(existsSync(path)).toBe(true);
      },
      '0\n',
    );
  });
});
