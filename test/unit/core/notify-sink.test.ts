// The daemon's notify dispatcher (ScriptNotifySink) fed with the FSM's notify actions, on the
// FakeProcessRunner: which scripts, which argv and user, which order, which FIFO lines.
import { describe, expect, it } from 'vitest';
import { FakeProcessRunner, type PreparedScript } from '../../../src/notify/process-runner.js';
import { ScriptNotifySink } from '../../../src/core/notify-sink.js';
import { memoryLogger } from '../../../src/lib/log.js';
import { stateNotifyActions } from '../../../src/vrrp/fsm/step.js';
import type { VrrpAction } from '../../../src/vrrp/fsm/types.js';
import { instanceConfigFromModel, scriptKey } from '../../../src/vrrp/model-adapter.js';
import { configuredScripts } from '../../../src/notify/script-security.js';
import { build, vi } from '../config/model-helpers.js';

function dispatch(sink: ScriptNotifySink, owner: string, actions: readonly VrrpAction[]): void {
  for (const a of actions) {
    if (a.kind !== 'notify') continue;
    if (a.channel === 'script') sink.script(owner, a.command);
    else if (a.channel === 'generic') sink.generic(owner, a.command, a.args);
    else sink.fifo(a.line);
  }
}

describe('ScriptNotifySink', () => {
  it('runs the state script with exactly its args, then notify + 4 args, then the FIFO line', async () => {
    const runner = new FakeProcessRunner();
    const lines: string[] = [];
    const { log } = memoryLogger();
    const prepared = new Map<string, PreparedScript>([
      ['/k/nm.sh arg1', { argv: ['/k/nm.sh', 'arg1'] }],
      ['/k/notify.sh', { argv: ['/k/notify.sh'], uid: 7, gid: 8 }],
    ]);
    const sink = new ScriptNotifySink(runner, prepared, [{ write: (l) => lines.push(l) }], log);
    const n = { master: '/k/nm.sh arg1', generic: '/k/notify.sh', fifo: true };
    dispatch(sink, 'VI_1', stateNotifyActions(n, 'INSTANCE', 'VI_1', 'MASTER', 150));
    dispatch(sink, 'SG1', stateNotifyActions(n, 'GROUP', 'SG1', 'BACKUP', 0));
    await sink.idle();
    expect(runner.argvs).toEqual([
      ['/k/nm.sh', 'arg1'],
      ['/k/notify.sh', 'INSTANCE', 'VI_1', 'MASTER', '150'],
      ['/k/notify.sh', 'GROUP', 'SG1', 'BACKUP', '0'],
    ]);
    expect(runner.calls[1]!.spec).toMatchObject({ uid: 7, gid: 8 });
    expect(lines).toEqual(['INSTANCE "VI_1" MASTER 150\n', 'GROUP "SG1" BACKUP 0\n']);
    expect(sink.stats).toMatchObject({ started: 3, failed: 0, missing: 0 });
  });

  it('one command configured under two users stays two scripts, each run as its own user', async () => {
    const cfg =
      vi(' notify_master "/k/same.sh x" root', 'VI_1', 51) +
      vi(' notify_master "/k/same.sh x" nobody nogroup', 'VI_2', 52) +
      vi(' notify_master "/k/same.sh x"', 'VI_3', 53);
    const { model } = build(cfg);
    const scripts = configuredScripts(model).filter((s) => s.keyword === 'notify_master');
    expect(scripts).toHaveLength(3);
    // Stand-ins for the security check's verdict: a distinct uid per configured user.
    const uidOf = (u: string | undefined) => (u === 'root' ? 0 : u === 'nobody' ? 65534 : 4242);
    const prepared = new Map<string, PreparedScript>();
    for (const s of scripts) prepared.set(scriptKey(s.spec), { argv: [...s.spec.argv], uid: uidOf(s.spec.user), gid: uidOf(s.spec.user) });
    expect(prepared.size).toBe(3);

    const runner = new FakeProcessRunner();
    const { log } = memoryLogger();
    const sink = new ScriptNotifySink(runner, prepared, [], log);
    for (const v of model.vrrpInstances) {
      const ic = instanceConfigFromModel(model, v);
      dispatch(sink, v.name, stateNotifyActions(ic.notify, 'INSTANCE', v.name, 'MASTER', 100));
    }
    await sink.idle();
    expect(runner.calls.map((c) => [c.spec.argv.join(' '), c.spec.uid])).toEqual([
      ['/k/same.sh x', 0],
      ['/k/same.sh x', 65534],
      ['/k/same.sh x', 4242],
    ]);
    expect(sink.stats).toMatchObject({ started: 3, missing: 0 });
  });

  it('a script disabled at start-up is counted as missing, not run', () => {
    const runner = new FakeProcessRunner();
    const { log } = memoryLogger();
    const sink = new ScriptNotifySink(runner, new Map(), [], log);
    sink.script('VI_1', '/k/gone.sh');
    expect(runner.calls).toHaveLength(0);
    expect(sink.stats.missing).toBe(1);
  });
});
