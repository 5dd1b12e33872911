// The notify FIFOs the daemon shares between its sides: which writer each side gets, one writer
// per path, and nothing for a side that does not run. Real FIFOs in a temp dir, read back.
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, openSync, readSync, closeSync, rmSync, constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeepalivedConfig } from '../../../src/config/model.js';
import { SharedFifos } from '../../../src/core/shared-fifos.js';
import { memoryLogger } from '../../../src/lib/log.js';
import { RealTimers } from '../../../src/lib/timers.js';
import { systemClock } from '../../../src/lib/clock.js';
import { NodeProcessRunner } from '../../../src/notify/process-runner.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function model(g: { notifyFifo?: string; vrrpNotifyFifo?: string; lvsNotifyFifo?: string }): KeepalivedConfig {
  const spec = (p: string | undefined) => (p === undefined ? undefined : { path: p });
  return { globalDefs: { notifyFifo: spec(g.notifyFifo), vrrpNotifyFifo: spec(g.vrrpNotifyFifo), lvsNotifyFifo: spec(g.lvsNotifyFifo) } } as unknown as KeepalivedConfig;
}

function make(g: Parameters<typeof model>[0], sides = { vrrp: true, lvs: true }): SharedFifos {
  return new SharedFifos(model(g), memoryLogger().log, new NodeProcessRunner(), new RealTimers(systemClock), sides);
}

/** Opens `path` for reading, runs `write`, and reads until `needle` arrived (3 s at most). */
async function readUntil(path: string, needle: string, write: () => void): Promise<string> {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    write();
    const buf = Buffer.alloc(4096);
    let text = '';
    for (let i = 0; i < 300 && !text.includes(needle); i++) {
      await new Promise((r) => setTimeout(r, 10));
      try {
        const n = readSync(fd, buf, 0, buf.length, null);
        text += buf.subarray(0, n).toString();
      } catch {
        // EAGAIN: nothing yet
      }
    }
    return text;
  } finally {
    closeSync(fd);
  }
}

describe('SharedFifos', () => {
  it('notify_fifo goes to both sides, vrrp_notify_fifo to VRRP, lvs_notify_fifo to LVS; one writer per path', () => {
    const f = make({ notifyFifo: '/x/all', vrrpNotifyFifo: '/x/vrrp', lvsNotifyFifo: '/x/lvs' });
    expect(f.vrrp.map((w) => w.path)).toEqual(['/x/all', '/x/vrrp']);
    expect(f.lvs.map((w) => w.path)).toEqual(['/x/all', '/x/lvs']);
    expect(f.vrrp[0]).toBe(f.lvs[0]);
    const same = make({ notifyFifo: '/x/all', lvsNotifyFifo: '/x/all', vrrpNotifyFifo: '/x/all' });
    expect(same.vrrp).toHaveLength(1);
    expect(same.lvs).toHaveLength(1);
    expect(same.vrrp[0]).toBe(same.lvs[0]);
  });

  it('a side that does not run gets no writer, and its own FIFO is not made', () => {
    const p = make({ notifyFifo: '/x/all', lvsNotifyFifo: '/x/lvs' }, { vrrp: true, lvs: false });
    expect(p.vrrp.map((w) => w.path)).toEqual(['/x/all']);
    expect(p.lvs).toEqual([]);
    const none = make({ notifyFifo: '/x/all' }, { vrrp: false, lvs: false });
    expect([none.vrrp, none.lvs]).toEqual([[], []]);
  });

  it('lines from both sides reach the one shared FIFO in the order written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kt-shared-fifo-'));
    dirs.push(dir);
    const path = join(dir, 'notify.fifo');
    const f = make({ notifyFifo: path, lvsNotifyFifo: path });
    await f.open();
    try {
      const text = await readUntil(path, 'VS ', () => {
        // The writer reopens once a reader is there (its retry); writes queue until then.
        f.vrrp[0]!.write('INSTANCE "VI_1" MASTER 150\n');
        f.lvs[0]!.write('VS [192.0.2.1]:tcp:80 UP\n');
      });
      expect(text).toBe('INSTANCE "VI_1" MASTER 150\nVS [192.0.2.1]:tcp:80 UP\n');
    } finally {
      await f.close();
    }
  });

  it('reload: a changed path closes the old writer and opens the new one in the arrays the sides hold; a kept path keeps its writer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kt-shared-fifo-'));
    dirs.push(dir);
    const [all, oldVrrp, newVrrp] = ['all.fifo', 'vrrp-old.fifo', 'vrrp-new.fifo'].map((n) => join(dir, n)) as [string, string, string];
    const f = make({ notifyFifo: all, vrrpNotifyFifo: oldVrrp }, { vrrp: true, lvs: false });
    await f.open();
    const held = f.vrrp;
    const common = held[0];
    try {
      expect(await f.reload(model({ notifyFifo: all, vrrpNotifyFifo: oldVrrp }))).toEqual([]);
      expect(await f.reload(model({ notifyFifo: all, vrrpNotifyFifo: newVrrp, lvsNotifyFifo: join(dir, 'lvs.fifo') }))).toEqual([`notify FIFO ${oldVrrp} closed`, `notify FIFO ${newVrrp} opened`]);
      expect(held.map((w) => w.path)).toEqual([all, newVrrp]);
      expect(held[0]).toBe(common);
      // The LVS side does not run: its FIFO is neither made nor handed out.
      expect(f.lvs).toEqual([]);
      expect(existsSync(join(dir, 'lvs.fifo'))).toBe(false);
      const text = await readUntil(newVrrp, 'BACKUP', () => held[1]!.write('INSTANCE "VI_1" BACKUP 100\n'));
      expect(text).toBe('INSTANCE "VI_1" BACKUP 100\n');
      // notify_fifo removed: its writer is closed too.
      expect(await f.reload(model({ vrrpNotifyFifo: newVrrp }))).toEqual([`notify FIFO ${all} closed`]);
      expect(held.map((w) => w.path)).toEqual([newVrrp]);
    } finally {
      await f.close();
    }
  });
});
