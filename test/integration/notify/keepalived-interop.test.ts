// Notify compatibility with the real keepalived 2.2.7: keepalived runs in a namespace this test
// creates, with notify scripts and a notify_fifo; the sequence of state changes it reported on
// the FIFO is then replayed through the daemon's notify path with the same config: our parser and
// model adapter, the FSM's notify actions and the daemon's dispatcher (ScriptNotifySink). The
// scripts must receive the same argv and the FIFO must carry the same bytes.
import { describe, expect } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { NodeProcessRunner, type PreparedScript } from '../../../src/notify/process-runner.js';
import { ScriptNotifySink } from '../../../src/core/notify-sink.js';
import { stateNotifyActions } from '../../../src/vrrp/fsm/step.js';
import type { NotifyState } from '../../../src/vrrp/fsm/types.js';
import { instanceConfigFromModel, scriptKey, syncGroupConfigFromModel } from '../../../src/vrrp/model-adapter.js';
import { configuredScripts } from '../../../src/notify/script-security.js';
import { memoryLogger } from '../../../src/lib/log.js';
import { build } from '../../unit/config/model-helpers.js';
import { FifoWriter } from '../../../src/notify/fifo.js';
import { RealTimers } from '../../../src/lib/timers.js';
import { systemClock } from '../../../src/lib/clock.js';
import { hasKeepalived, itWhen, isRoot } from '../../helpers/require.js';
import { withVethNs } from '../../helpers/netns-fixture.js';
import { scriptDir, pollFor } from '../../helpers/script-dir.js';


const tmp = scriptDir('kt-interop-');

const waitFor = (cond: () => boolean, ms: number) => pollFor(cond, ms, 20);

/** A `cat FIFO > OUT` reader; `done` settles when it exits (listen from the start). */
function reader(fifo: string, out: string): { proc: ChildProcess; done: Promise<void> } {
  const proc = spawn('/bin/sh', ['-c', `exec cat "${fifo}" > "${out}"`], { stdio: 'ignore' });
  return { proc, done: new Promise((r) => proc.once('exit', () => r())) };
}

describe('notify compatibility with keepalived 2.2.7', () => {
  itWhen(isRoot, hasKeepalived)('same script argv and FIFO bytes for the same state changes', async () => {
    const recLog = (tag: string) => join(tmp.path, `rec-${tag}.log`);
    const rec = join(tmp.path, 'rec.sh');
    // One line per run: every argument bracketed. REC_LOG picks the log file.
    // One write per run (appends of one short line are atomic even when scripts run at once).
    writeFileSync(rec, `#!/bin/sh\nd=$(dirname "$0"); l=; for a in "$@"; do l="$l[$a]"; done; printf '%s\\n' "$l" >> "$d/rec-$(cat "$d/which").log"\n`);
    chmodSync(rec, 0o755);
    const lines = {
      notifyMaster: `${rec} nm arg1 'two words'`,
      notifyBackup: `${rec} nb`,
      notifyStop: `${rec} ns`,
      notify: `${rec} N`,
    };
    const group = { notify: `${rec} G`, notifyMaster: `${rec} gm` };

    // ---- keepalived
    writeFileSync(join(tmp.path, 'which'), 'ka');
    const kaFifo = join(tmp.path, 'ka.fifo');
    const kaOut = join(tmp.path, 'ka.out');
    execFileSync('mkfifo', [kaFifo]);
    const r1 = reader(kaFifo, kaOut);
    const conf = join(tmp.path, 'ka.conf');
    writeFileSync(
      conf,
      `global_defs {\n  script_user root\n  enable_script_security\n  notify_fifo ${kaFifo}\n}\n` +
        `vrrp_sync_group SG1 {\n  group {\n    VI_1\n  }\n  notify "${group.notify}"\n  notify_master "${group.notifyMaster}"\n}\n` +
        `vrrp_instance VI_1 {\n  interface v0\n  state BACKUP\n  virtual_router_id 51\n  priority 150\n  advert_int 1\n` +
        `  virtual_ipaddress {\n    192.0.2.200/24\n  }\n` +
        `  notify_master "${lines.notifyMaster}"\n  notify_backup "${lines.notifyBackup}"\n  notify_stop "${lines.notifyStop}"\n  notify "${lines.notify}"\n}\n`,
    );
    await withVethNs('Hi', async (ns) => {
      const ka = spawn('ip', ['netns', 'exec', ns, 'keepalived', '-n', '-l', '-G', '-P', '-f', conf, '-p', join(tmp.path, 'ka.pid'), '-r', join(tmp.path, 'ka.vrrp.pid'), '-c', join(tmp.path, 'ka.check.pid'), '-b', join(tmp.path, 'ka.bfd.pid')], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let kaLog = '';
      ka.stdout!.on('data', (b: Buffer) => (kaLog += b.toString()));
      ka.stderr!.on('data', (b: Buffer) => (kaLog += b.toString()));
      if (process.env.KT_DEBUG) ka.once('exit', () => console.log(kaLog));
      const exited = new Promise<void>((r) => ka.once('exit', () => r()));
      const becameMaster = await waitFor(() => existsSync(kaOut) && readFileSync(kaOut, 'utf8').includes('GROUP "SG1" MASTER'), 15_000);
      process.kill(ka.pid!, 'SIGTERM');
      await exited;
      expect(becameMaster).toBe(true);
    });
    await r1.done;
    await new Promise((r) => setTimeout(r, 300)); // fire-and-forget scripts finish writing
    const kaFifoText = readFileSync(kaOut, 'utf8');

    // ---- ours: replay the sequence keepalived reported
    writeFileSync(join(tmp.path, 'which'), 'ts');
    // The same config through our parser and model adapter; every notify script prepared under
    // its key as the daemon does (the security check itself is covered elsewhere).
    const { model } = build(readFileSync(conf, 'utf8'));
    const prepared = new Map<string, PreparedScript>();
    for (const sc of configuredScripts(model)) if (!sc.checker && sc.vrrpScript === undefined) prepared.set(scriptKey(sc.spec), { argv: [...sc.spec.argv] });
    expect(prepared.size).toBe(6);
    const inst = instanceConfigFromModel(model, model.vrrpInstances[0]!).notify;
    const grp = syncGroupConfigFromModel(model, model.vrrpSyncGroups[0]!).notify;
    const tsFifo = join(tmp.path, 'ts.fifo');
    const tsOut = join(tmp.path, 'ts.out');
    const runner = new NodeProcessRunner();
    const w = new FifoWriter({ path: tsFifo, retryMs: 20 }, runner, new RealTimers(systemClock));
    await w.start();
    const r2 = reader(tsFifo, tsOut);
    const sink = new ScriptNotifySink(runner, prepared, [w], memoryLogger().log);
    const events = kaFifoText.trim().split('\n');
    expect(events.length).toBeGreaterThanOrEqual(4);
    for (const line of events) {
      const m = /^(INSTANCE|GROUP) "([^"]+)" (\w+) (\d+)$/.exec(line);
      expect(m, line).not.toBeNull();
      const [, kind, name, state, prio] = m!;
      const actions = stateNotifyActions(kind === 'INSTANCE' ? inst : grp, kind as 'INSTANCE' | 'GROUP', name!, state as NotifyState, Number(prio));
      for (const a of actions) {
        if (a.kind !== 'notify') continue;
        if (a.channel === 'script') sink.script(name!, a.command);
        else if (a.channel === 'generic') sink.generic(name!, a.command, a.args);
        else sink.fifo(a.line);
      }
      await sink.idle(); // keeps the log order comparable; completion order is not part of the contract
    }
    await waitFor(() => w.stats.written === events.length, 3000);
    await w.close();
    await r2.done;

    expect(readFileSync(tsOut, 'utf8')).toBe(kaFifoText);
    const sorted = (p: string) => readFileSync(p, 'utf8').trim().split('\n').sort();
    expect(sorted(recLog('ts'))).toEqual(sorted(recLog('ka')));
    expect(sorted(recLog('ka'))).toContain('[nm][arg1][two words]');
    expect(sorted(recLog('ka'))).toContain('[N][INSTANCE][VI_1][MASTER][150]');
    expect(sorted(recLog('ka'))).toContain('[G][GROUP][SG1][MASTER][0]');
  }, 60_000);
});
