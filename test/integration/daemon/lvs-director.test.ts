// The LVS side of the daemon in network namespaces on a kernel without IPVS (this machine has no
// ip_vs module): a director with a VRRP instance and a virtual server whose real servers are TCP
// listeners and a MISC_CHECK script in a peer namespace. keepalived 2.2.7 runs side by side on
// the same config for the one line both print on such a kernel ("IPVS: Can't initialize ipvs:
// ..."); it then stops (its checker child exits with a permanent error), while ours keeps VRRP
// and the checkers running (ADR 0008).
import { describe, expect } from 'vitest';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lab } from '../../../src/lab/lab.js';
import type { PeerProcess } from '../../../src/lab/keepalived-peer.js';
import { netnsIt, type NetnsFixture } from '../../helpers/netns-fixture.js';
import { hasKeepalived } from '../../acceptance/lib/keepalived.js';
import { GLOBAL_DEFS, nodeDir, notifyScript, sleep, waitUntil } from './daemon-lab.js';

const VIP = '192.0.2.100';
const RS = '192.0.2.31';

function config(dir: string): string {
  const up = notifyScript(dir, 'up');
  const down = notifyScript(dir, 'down');
  // The MISC_CHECK script exits with the number in misc.code (0 when absent).
  const misc = join(dir, 'misc.sh');
  writeFileSync(misc, `#!/bin/sh\nc=0; [ -f "${join(dir, 'misc.code')}" ] && c=$(cat "${join(dir, 'misc.code')}"); exit $c\n`);
  chmodSync(misc, 0o755);
  return `${GLOBAL_DEFS}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 150
  advert_int 1
  virtual_ipaddress {
    ${VIP}/24
  }
}
virtual_server ${VIP} 80 {
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server ${RS} 8080 {
    notify_up "${up} web UP"
    notify_down "${down} web DOWN"
    TCP_CHECK {
      connect_timeout 1
      retry 0
      warmup 0
    }
  }
  real_server ${RS} 8081 {
    notify_up "${up} misc UP"
    notify_down "${down} misc DOWN"
    MISC_CHECK {
      misc_path "${misc}"
      warmup 0
    }
  }
}
`;
}

/** A TCP listener on RS:port in host r (a real process in the peer namespace), once it listens. */
async function listen(f: NetnsFixture, port: number): Promise<PeerProcess> {
  const p = f.watch(f.lab.spawn('r', ['node', '-e', `require('net').createServer((s) => s.end()).listen(${port}, '${RS}', () => console.log('listening'))`]));
  await p.waitFor(/listening/, 15_000);
  return p;
}

async function stopListener(p: PeerProcess): Promise<void> {
  p.signal('SIGKILL');
  await p.exited();
}

/** VRRP adverts (IP protocol 112) seen on host r's eth0 within `ms`. */
function advertsSeen(lab: Lab, ms: number): number {
  const out = lab.exec('r', ['sh', '-c', `timeout ${ms / 1000} tcpdump -l -n -i eth0 -c 5 'ip proto 112' 2>/dev/null; true`]);
  return out.split('\n').filter((l) => /VRRP/.test(l)).length;
}

describe('the LVS director on a host without IPVS', () => {
  netnsIt('dlvs', hasKeepalived)('VRRP becomes MASTER and stays; one no-IPVS line (keepalived\'s words); TCP_CHECK and MISC_CHECK results drive notify_up/notify_down', 120_000, async (f) => {
    const { lab } = f;
    f.hosts({ k: '192.0.2.21/24', a: '192.0.2.11/24', r: `${RS}/24` });
    const web = await listen(f, 8080);

    // keepalived -C (the peer helper starts it with --vrrp, which together with -C runs nothing).
    const kdir = nodeDir('k');
    writeFileSync(join(kdir, 'keepalived.conf'), config(kdir));
    const kChild = lab.spawn('k', ['keepalived', '-n', '-l', '-C', '-f', join(kdir, 'keepalived.conf'), '-p', join(kdir, 'k.pid'), '-r', join(kdir, 'v.pid'), '-c', join(kdir, 'c.pid'), '-b', join(kdir, 'b.pid')]);
    const k = f.watch(kChild);
    const kLine = await k.waitFor(/IPVS: Can't initialize ipvs/, 15_000);
    // keepalived then stops altogether (its checker child's permanent error): exit 1.
    const kExit = await new Promise<number | null>((r) => (kChild.exitCode !== null ? r(kChild.exitCode) : kChild.once('exit', (c) => r(c))));
    expect(kExit).toBe(1);

    const dir = nodeDir('a');
    const a = f.daemon('a', config(dir), { dir, extraArgs: ['-c', join(dir, 'checkers.pid')] });
    await a.waitFor(/Entering MASTER STATE/, 15_000);
    await a.waitFor(new RegExp(`TCP connection to \\[${RS.replaceAll('.', '\\.')}\\]:tcp:8080 success`), 15_000);
    // keepalived's line, word for word up to its strerror; ours adds the detail after it.
    const ours = a.lines.filter((l) => l.includes("IPVS: Can't initialize ipvs"));
    expect(ours).toHaveLength(1);
    const theirs = /IPVS: Can't initialize ipvs: [^(]*/.exec(kLine)![0].trim();
    expect(ours[0]).toContain(theirs);
    expect(existsSync(join(dir, 'checkers.pid'))).toBe(true);

    // The web listener stops: notify_down with the configured arguments; back: notify_up.
    await stopListener(web);
    await waitUntil('notify_down web', () => a.notifications().includes('down [web] [DOWN]'), 15_000);
    await a.waitFor(new RegExp(`TCP_CHECK on service \\[${RS.replaceAll('.', '\\.')}\\]:tcp:8080 failed`), 5000);
    await listen(f, 8080);
    await waitUntil('notify_up web', () => a.notifications().includes('up [web] [UP]'), 15_000);

    // MISC_CHECK: exit 1 fails it (notify_down), exit 0 brings it back (notify_up).
    writeFileSync(join(dir, 'misc.code'), '1');
    await waitUntil('notify_down misc', () => a.notifications().includes('down [misc] [DOWN]'), 15_000);
    await a.waitFor(/Misc check for \[\[192\.0\.2\.31\]:tcp:8081 VS \[192\.0\.2\.100\]:tcp:80\] by \[.*misc\.sh\] failed/, 5000);
    writeFileSync(join(dir, 'misc.code'), '0');
    await waitUntil('notify_up misc', () => a.notifications().includes('up [misc] [UP]'), 15_000);

    // VRRP stayed MASTER throughout, once.
    expect(a.lines.filter((l) => /Entering MASTER STATE/.test(l))).toHaveLength(1);
    expect(a.child.exitCode).toBeNull();
    a.signal('SIGTERM');
    expect(await a.exitCode()).toBe(0);
    expect(existsSync(join(dir, 'checkers.pid'))).toBe(false);
  });

  netnsIt('dlvc')('-C runs no VRRP (no adverts on the wire, no VIP) and the checkers; -P runs VRRP and no checkers', 120_000, async (f) => {
    const { lab } = f;
    f.hosts({ a: '192.0.2.11/24', r: `${RS}/24` });
    await listen(f, 8080);

    const cdir = nodeDir('c');
    const c = f.daemon('a', config(cdir), { dir: cdir, extraArgs: ['-C', '-c', join(cdir, 'checkers.pid')] });
    await c.waitFor(/TCP connection to \[192\.0\.2\.31\]:tcp:8080 success/, 20_000);
    await sleep(1000);
    expect(advertsSeen(lab, 4000)).toBe(0);
    expect(lab.addresses('a').some((x) => x.startsWith(`${VIP}/`))).toBe(false);
    expect(c.lines.some((l) => /Starting VRRP child process|Entering (BACKUP|MASTER) STATE/.test(l))).toBe(false);
    expect(existsSync(join(cdir, 'checkers.pid'))).toBe(true);
    expect(existsSync(c.vrrpPidFile)).toBe(false);
    c.signal('SIGTERM');
    expect(await c.exitCode()).toBe(0);

    const pdir = nodeDir('p');
    const p = f.daemon('a', config(pdir), { dir: pdir, extraArgs: ['-P', '-c', join(pdir, 'checkers.pid')] });
    await p.waitFor(/Entering MASTER STATE/, 15_000);
    expect(advertsSeen(lab, 3000)).toBeGreaterThan(0);
    await sleep(2000);
    expect(p.lines.some((l) => /TCP connection|TCP_CHECK|Misc check|IPVS/.test(l))).toBe(false);
    expect(existsSync(join(pdir, 'checkers.pid'))).toBe(false);
    expect(p.notifications()).toEqual([]);
    p.signal('SIGTERM');
    expect(await p.exitCode()).toBe(0);
  });
});
