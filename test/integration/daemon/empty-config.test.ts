// A config with nothing to run (no vrrp_instance): keepalived 2.2.7 logs "no configuration to
// run", keeps running (writing its main pid file, not the VRRP one: no VRRP child starts) and
// waits for a reload or a stop. Exiting instead would make systemd restart it in a loop. Both
// daemons side by side in the same run.
import { describe, expect } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasKeepalived } from '../../acceptance/lib/keepalived.js';
import { GLOBAL_DEFS, sleep, waitUntil } from './daemon-lab.js';
import { netnsIt, BESIDE_KEEPALIVED } from '../../helpers/netns-fixture.js';

describe('an empty configuration (ours and keepalived 2.2.7)', () => {
  for (const [label, config] of [
    ['an empty file', ''],
    ['global_defs only', GLOBAL_DEFS],
  ] as const) {
    netnsIt('demp', hasKeepalived)(`${label}: keeps running, logs it, main pid file only; INT/TERM stop it with exit 0`, 60_000, async (f) => {
      f.hosts(BESIDE_KEEPALIVED);
      const k = f.keepalived('k', config);
      const a = f.daemon('a', config);
      await k.waitFor(/no configuration to run/, 10_000);
      await a.waitFor(/no vrrp_instance or virtual_server in .*nothing to run; staying up, idle, until stopped/, 15_000);
      await sleep(2000);
      expect(k.child.exitCode).toBeNull();
      expect(a.child.exitCode).toBeNull();
      // keepalived: the parent's pid file, no VRRP child and so no vrrp.pid. Ours the same.
      expect(existsSync(join(k.dir, 'keepalived.pid'))).toBe(true);
      expect(existsSync(join(k.dir, 'vrrp.pid'))).toBe(false);
      expect(readFileSync(a.pidFile, 'utf8').trim()).toBe(String(a.child.pid));
      expect(existsSync(a.vrrpPidFile)).toBe(false);
      // HUP (a reload of the same empty config) does not stop it either. (The dump signals are
      // exercised in signals.test.ts, the one file that writes /tmp/keepalived.*.)
      a.signal('SIGHUP');
      await sleep(500);
      expect(a.child.exitCode).toBeNull();

      k.signal('SIGTERM');
      await k.exited();
      expect(k.child.exitCode).toBe(0);
      expect(existsSync(join(k.dir, 'keepalived.pid'))).toBe(false);
      a.signal('SIGINT');
      expect(await a.exitCode()).toBe(0);
      expect(existsSync(a.pidFile)).toBe(false);
      expect(a.lines.some((l) => /Stopped Keepalived v2\.2\.7/.test(l))).toBe(true);
    });
  }

  netnsIt('dema', hasKeepalived)('--all: the VRRP pid file is written too, as keepalived --all starts its VRRP child', 60_000, async (f) => {
    f.hosts(BESIDE_KEEPALIVED);
    const k = f.keepalived('k', GLOBAL_DEFS, ['--all']);
    const a = f.daemon('a', GLOBAL_DEFS, { extraArgs: ['--all'] });
    await a.waitFor(/nothing to run/, 15_000);
    await waitUntil('keepalived vrrp.pid', () => existsSync(join(k.dir, 'vrrp.pid')), 10_000);
    await waitUntil('our VRRP pid file', () => existsSync(a.vrrpPidFile), 5000);
    expect(k.child.exitCode).toBeNull();
    expect(readFileSync(a.vrrpPidFile, 'utf8').trim()).toBe(String(a.child.pid));
    a.signal('SIGTERM');
    expect(await a.exitCode()).toBe(0);
    expect(existsSync(a.vrrpPidFile)).toBe(false);
    expect(existsSync(a.pidFile)).toBe(false);
    k.signal('SIGTERM');
    await k.exited();
    expect(k.child.exitCode).toBe(0);
  });
});
