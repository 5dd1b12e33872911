// A MASTER that hears a lower-priority master (a split brain healing) logs keepalived 2.2.7's
// line and answers with an advert:
//   (VI_1) Received advert from 192.0.2.12 with lower priority 100, ours 150, forcing new election
// Two pairs in one lab, in the same run: keepalived on ka/kb (VRID 51) and our daemon on aa/ab
// (VRID 52). Each high-priority master is stopped (SIGSTOP; keepalived's VRRP child) until its
// backup has taken over, then resumed: the backup's adverts queued in its socket meanwhile are
// lower-priority adverts received as MASTER. The lines are compared with the peer's address
// taken out. With lower_prio_no_advert (a second run of both) keepalived drops the ", forcing
// new election" tail, and so do we.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import type { PeerProcess } from '../../../src/lab/keepalived-peer.js';
import { hasKeepalived } from '../../helpers/require.js';
import { netnsIt, sleep, waitUntil } from '../../helpers/netns-fixture.js';
import { GLOBAL_DEFS, instanceConf } from '../daemon/daemon-lab.js';

const LINE = /\(VI_1\) Received advert from \S+ with lower priority \d+, ours \d+.*$/;

describe('MASTER receiving a lower-priority advert: the line keepalived 2.2.7 logs', () => {
  for (const noAdvert of [false, true]) {
    netnsIt('mlpl', hasKeepalived)(`${noAdvert ? 'lower_prio_no_advert: ' : ''}the same words as keepalived's, in the same run`, 120_000, async (f) => {
      f.hosts({ ka: '192.0.2.21/24', kb: '192.0.2.22/24', aa: '192.0.2.11/24', ab: '192.0.2.12/24' });
      const conf = (vrid: number, priority: number, vip: string) =>
        GLOBAL_DEFS + instanceConf({ vrid, priority, vips: [`${vip}/24`], extra: noAdvert ? ['lower_prio_no_advert'] : [] });
      const ka = f.keepalived('ka', conf(51, 150, '192.0.2.100'));
      const aa = f.daemon('aa', conf(52, 150, '192.0.2.101'));
      await Promise.all([ka.waitFor(/Entering MASTER STATE/, 20_000), aa.waitFor(/Entering MASTER STATE/, 20_000)]);
      const kb = f.keepalived('kb', conf(51, 100, '192.0.2.100'));
      const ab = f.daemon('ab', conf(52, 100, '192.0.2.101'));
      await Promise.all([kb.waitFor(/Entering BACKUP STATE/, 20_000), ab.waitFor(/Entering BACKUP STATE/, 20_000)]);
      // keepalived's VRRP work runs in its child process (its pid file); ours in the daemon.
      const kVrrp = Number(readFileSync(join(ka.dir, 'vrrp.pid'), 'utf8').trim());
      const stopped = [kVrrp, aa.child.pid!];
      for (const pid of stopped) process.kill(pid, 'SIGSTOP');
      try {
        await Promise.all([kb.waitFor(/Entering MASTER STATE/, 15_000), ab.waitFor(/Entering MASTER STATE/, 15_000)]);
        await sleep(1500); // a few more lower-priority adverts queue up
      } finally {
        for (const pid of stopped) process.kill(pid, 'SIGCONT');
      }
      // The backups step down again (their second BACKUP line), the masters never left MASTER.
      const backups = (n: PeerProcess) => n.lines.filter((l) => /Entering BACKUP STATE/.test(l)).length;
      await waitUntil('both backups stepped down', () => backups(kb) >= 2 && backups(ab) >= 2, 15_000);
      await sleep(1000);
      for (const n of [ka, aa]) expect(n.lines.filter((l) => /Entering MASTER STATE/.test(l))).toHaveLength(1);
      const words = (n: PeerProcess) => [...new Set(n.lines.map((l) => LINE.exec(l)?.[0].replace(/192\.0\.2\.\d+/, 'ADDR')).filter((l) => l !== undefined))];
      const theirs = words(ka);
      const ours = words(aa);
      console.log(`[measure] lower-priority lines: keepalived ${ka.lines.filter((l) => LINE.test(l)).length}, ours ${aa.lines.filter((l) => LINE.test(l)).length}`);
      expect(theirs).toEqual([`(VI_1) Received advert from ADDR with lower priority 100, ours 150${noAdvert ? '' : ', forcing new election'}`]);
      expect(ours).toEqual(theirs);
    });
  }
});
