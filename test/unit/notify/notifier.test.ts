// Notifier sequencing with the FakeProcessRunner: which scripts, which argv, which order,
// which FIFO lines, timeouts, tracking and kill.
import { describe, expect, it } from 'vitest';
import { FakeProcessRunner } from '../../../src/notify/process-runner.js';
import { Notifier, type NotifyScripts } from '../../../src/notify/notifier.js';
import { memoryLogger } from '../../../src/lib/log.js';
import type { Ms } from '../../../src/lib/units.js';

function setup(runner = new FakeProcessRunner()) {
  const lines: string[] = [];
  const lines2: string[] = [];
  const { log, records } = memoryLogger();
  const n = new Notifier({
    runner,
    log,
    fifos: [{ write: (l) => lines.push(l) }, { write: (l) => lines2.push(l) }],
  });
  return { n, runner, lines, lines2, records };
}

const scripts: NotifyScripts = {
  notifyMaster: { argv: ['/etc/k/nm.sh', 'arg1', 'two words'] },
  notifyBackup: { argv: ['/etc/k/nb.sh'] },
  notifyFault: { argv: ['/etc/k/nf.sh', 'x'] },
  notifyStop: { argv: ['/etc/k/ns.sh'] },
  notify: { argv: ['/etc/k/notify.sh', 'pre'], uid: 7, gid: 8 },
};

describe('Notifier', () => {
  it('runs the state script with exactly its args, then notify + 4 args, then the FIFO line', () => {
    const { n, runner, lines, lines2 } = setup();
    n.instanceState('VI_1', 'MASTER', 150, scripts);
    expect(runner.argvs).toEqual([
      ['/etc/k/nm.sh', 'arg1', 'two words'],
      ['/etc/k/notify.sh', 'pre', 'INSTANCE', 'VI_1', 'MASTER', '150'],
    ]);
    expect(runner.calls[1]!.spec.uid).toBe(7);
    expect(runner.calls[1]!.spec.gid).toBe(8);
    expect(lines).toEqual(['INSTANCE "VI_1" MASTER 150\n']);
    expect(lines2).toEqual(lines);
  });

  it('maps each state to its script', () => {
    const { n, runner } = setup();
    n.instanceState('VI_1', 'BACKUP', 100, scripts);
    n.instanceState('VI_1', 'FAULT', 100, scripts);
    n.instanceState('VI_1', 'STOP', 100, scripts);
    expect(runner.argvs.map((a) => a[0])).toEqual([
      '/etc/k/nb.sh',
      '/etc/k/notify.sh',
      '/etc/k/nf.sh',
      '/etc/k/notify.sh',
      '/etc/k/ns.sh',
      '/etc/k/notify.sh',
    ]);
    expect(runner.argvs[3]!.slice(2)).toEqual(['INSTANCE', 'VI_1', 'FAULT', '100']);
  });

  it('groups report GROUP and priority 0', () => {
    const { n, runner, lines } = setup();
    n.groupState('SG1', 'BACKUP', { notify: { argv: ['/n'] }, notifyBackup: { argv: ['/b', 'g'] } });
    expect(runner.argvs).toEqual([['/b', 'g'], ['/n', 'GROUP', 'SG1', 'BACKUP', '0']]);
    expect(lines).toEqual(['GROUP "SG1" BACKUP 0\n']);
  });

  it('without any scripts only the FIFO line is written', () => {
    const { n, runner, lines } = setup();
    n.instanceState('VI_2', 'FAULT', 90, {});
    expect(runner.calls).toHaveLength(0);
    expect(lines).toEqual(['INSTANCE "VI_2" FAULT 90\n']);
  });

  it('deletion reports DELETED only with notify_deleted, FAULT otherwise', () => {
    const { n, runner, lines } = setup();
    n.instanceDeleted('VI_1', 100, { notify: { argv: ['/n'] }, notifyFault: { argv: ['/f'] } });
    n.instanceDeleted('VI_1', 100, { notify: { argv: ['/n'] }, notifyDeleted: true, notifyFault: { argv: ['/f'] } });
    n.instanceDeleted('VI_1', 100, { notifyDeleted: { argv: ['/d', '1'] } });
    expect(runner.argvs).toEqual([
      ['/f'],
      ['/n', 'INSTANCE', 'VI_1', 'FAULT', '100'],
      ['/n', 'INSTANCE', 'VI_1', 'DELETED', '100'],
      ['/d', '1'],
    ]);
    expect(lines).toEqual(['INSTANCE "VI_1" FAULT 100\n', 'INSTANCE "VI_1" DELETED 100\n', 'INSTANCE "VI_1" DELETED 100\n']);
  });

  it('master_rx_lower_pri runs its script (no generic notify) and writes its FIFO line', () => {
    const { n, runner, lines } = setup();
    n.masterRxLowerPri('VI_1', 150, { ...scripts, notifyMasterRxLowerPri: { argv: ['/rx', 'a'] } });
    n.priorityChanged('VI_1', 'BACKUP', 90);
    expect(runner.argvs).toEqual([['/rx', 'a']]);
    expect(lines).toEqual(['INSTANCE "VI_1" MASTER_RX_LOWER_PRI 150\n', 'INSTANCE "VI_1" BACKUP_PRIORITY 90\n']);
  });

  it('applies the ordinary timeout, and 1 s with immediate SIGKILL for STOP', () => {
    const { n, runner } = setup();
    n.instanceState('VI_1', 'MASTER', 1, scripts);
    n.instanceState('VI_1', 'STOP', 1, scripts);
    expect(runner.calls.map((c) => [c.spec.timeoutMs, c.spec.killGraceMs])).toEqual([
      [120_000, 1000],
      [120_000, 1000],
      [1000, 0],
      [1000, 0],
    ]);
  });

  it('never waits for scripts, tracks them, logs failures and kills them on killAll', async () => {
    const runner = new FakeProcessRunner({ defaultResult: 'pending' });
    const { n, records } = setup(runner);
    n.instanceState('VI_1', 'MASTER', 100, scripts);
    n.instanceState('VI_9', 'BACKUP', 100, scripts);
    expect(n.runningCount).toBe(4);
    expect(n.runningFor('VI_1')).toBe(2);
    runner.calls[0]!.finish({ kind: 'exited', code: 2 });
    runner.timeout(runner.calls[1]!);
    runner.calls[2]!.finish({ kind: 'spawnError', code: 'ENOENT' });
    await Promise.resolve();
    await Promise.resolve();
    expect(n.runningCount).toBe(1);
    expect(n.stats).toMatchObject({ started: 4, failed: 1, timedOut: 1, spawnErrors: 1 });
    await n.killAll(10 as Ms);
    expect(runner.calls[3]!.terminated).toBe(true);
    expect(n.runningCount).toBe(0);
    const msgs = records.map((r) => `${String(r.level)} ${String(r.msg)}`);
    expect(msgs).toContain('30 notify script notify_master for VI_1 exited with status 2');
    expect(msgs).toContain('40 notify script notify for VI_1 timed out and was killed');
    expect(msgs).toContain('50 notify script notify_backup for VI_9 could not be started: ENOENT');
  });
});
