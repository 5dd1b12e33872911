// lvs_sync_daemon and lvs_timeouts against keepalived 2.2.7 in the VM (the kernel's IPVS is
// needed): each daemon runs in turn, whole (VRRP and checkers), on the same configs, and
// `ipvsadm -L --daemon` / `ipvsadm -L --timeout` are captured at the same moments:
//   * following a VRRP instance (alone on a dummy link, so it goes BACKUP, then MASTER after its
//     Master_Down_Interval): the backup sync daemon first, then the master one, with every option
//     of the keyword; nothing left after SIGTERM;
//   * without an instance: both daemons for the daemon's lifetime (keepalived's checker side).
// One boot for both configs and both daemons.
import { beforeAll, describe, expect } from 'vitest';
import { itWhen } from '../helpers/require.js';
import { assertFinished, lvsGuestSetup, OURS_ENV, vmText } from './lvs-vm.js';
import { runInVm, vmMissing, type VmResult } from './vm.js';

const FOLLOW = `global_defs {
  lvs_sync_daemon dummy0 inst VI_1 maxlen 1300 port 8849 ttl 3 group 239.1.1.9
  lvs_timeouts tcp 7200 tcpfin 60 udp 30
}
vrrp_instance VI_1 {
  state BACKUP
  interface dummy0
  virtual_router_id 42
  priority 100
  advert_int 1
  virtual_ipaddress {
    198.51.100.100/24
  }
}
virtual_server 198.51.100.10 80 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 198.51.100.20 80 {
    TCP_CHECK {
      connect_timeout 1
    }
  }
}
`;

const BOTH = `global_defs {
  lvs_sync_daemon dummy0 id 4
}
virtual_server 198.51.100.11 80 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 198.51.100.21 80 {
    TCP_CHECK {
      connect_timeout 1
    }
  }
}
`;

// Inside the VM: for each side, the instance config (daemons once it logged BACKUP, once it
// logged MASTER, after SIGTERM), then the config without an instance (running, after SIGTERM).
const guest = `
${lvsGuestSetup(['198.51.100.1/24'], { multicast: true })}
run() { # SIDE CONF PID_PREFIX
  if [ "$1" = keepalived ]; then
    keepalived -n -l -D -f "$2" -p /run/$3.pid -r /run/$3-vrrp.pid -c /run/$3-check.pid > "$3.$1.log" 2>&1 &
  else
    $OURS_CMD -n -l -D -f "$2" -p /run/$3.pid -r /run/$3-vrrp.pid -c /run/$3-check.pid > "$3.$1.log" 2>&1 &
  fi
  echo $! > "$3.$1.pid"
}
stop() { # SIDE PID_PREFIX
  pid=$(cat "$2.$1.pid")
  kill -TERM "$pid"
  i=0
  while kill -0 "$pid" 2>/dev/null && [ $i -lt 60 ]; do sleep 0.25; i=$((i + 1)); done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid"
  echo "exit $?" > "$2.$1.exit"
}
waitlog() { # FILE PATTERN: up to 60 s
  i=0
  while ! grep -q "$2" "$1" 2>/dev/null && [ $i -lt 240 ]; do sleep 0.25; i=$((i + 1)); done
}
waitdaemons() { # COUNT: up to 60 s
  i=0
  while [ "$(ipvsadm -L --daemon 2>/dev/null | grep -c 'sync daemon')" -lt "$1" ] && [ $i -lt 240 ]; do sleep 0.25; i=$((i + 1)); done
}
for side in keepalived ours; do
  ipvsadm -C
  ipvsadm --set 900 120 300
  run $side follow.conf follow
  waitlog follow.$side.log 'Entering BACKUP STATE'
  sleep 0.5
  ipvsadm -L --daemon > follow.$side.backup 2>&1
  waitlog follow.$side.log 'Entering MASTER STATE'
  sleep 1
  ipvsadm -L --daemon > follow.$side.master 2>&1
  ipvsadm -L --timeout > follow.$side.timeout 2>&1
  stop $side follow
  ipvsadm -L --daemon > follow.$side.after 2>&1
  ipvsadm -L --timeout > follow.$side.timeout-after 2>&1
  run $side both.conf both
  waitdaemons 2
  sleep 1
  ipvsadm -L --daemon > both.$side.running 2>&1
  stop $side both
  ipvsadm -L --daemon > both.$side.after 2>&1
done
echo done > finished
`;

let vm: VmResult | undefined;
const file = (name: string): string => vmText(vm, name);
/** Daemon lines, sorted (the kernel lists master before backup; sorting keeps the comparison about content). */
const daemons = (name: string): string[] =>
  file(name)
    .split('\n')
    .filter((l) => /sync daemon/.test(l))
    .sort();

const itVm = itWhen(vmMissing);

describe('lvs_sync_daemon and lvs_timeouts against keepalived 2.2.7 (qemu VM)', () => {
  beforeAll(async () => {
    if (vmMissing() !== undefined) return;
    vm = await runInVm(guest, { timeoutMs: 300_000, files: { 'follow.conf': FOLLOW, 'both.conf': BOTH }, env: OURS_ENV });
    assertFinished(vm);
  }, 360_000);

  itVm('keepalived: backup daemon, then master with every option, then nothing; both daemons without an instance', () => {
    expect(daemons('follow.keepalived.backup')).toEqual(['backup sync daemon (mcast=dummy0, syncid=42, maxlen=1300, group=239.1.1.9, port=8849, ttl=3)']);
    expect(daemons('follow.keepalived.master')).toEqual(['master sync daemon (mcast=dummy0, syncid=42, maxlen=1300, group=239.1.1.9, port=8849, ttl=3)']);
    expect(daemons('follow.keepalived.after')).toEqual([]);
    expect(daemons('both.keepalived.running')).toHaveLength(2);
    expect(daemons('both.keepalived.after')).toEqual([]);
  });

  itVm('ours: the same daemons as keepalived at every moment, the same timeouts, and the same after SIGTERM', () => {
    const log = `\nour log:\n${file('follow.ours.log')}\n${file('both.ours.log')}`;
    for (const moment of ['follow.%.backup', 'follow.%.master', 'follow.%.after', 'both.%.running', 'both.%.after']) {
      expect(daemons(moment.replace('%', 'ours')), `${moment}${log}`).toEqual(daemons(moment.replace('%', 'keepalived')));
    }
    expect(file('follow.ours.timeout')).toBe(file('follow.keepalived.timeout'));
    expect(file('follow.ours.timeout')).toContain('Timeout (tcp tcpfin udp): 7200 60 30');
    expect(file('follow.ours.timeout-after')).toBe(file('follow.keepalived.timeout-after'));
    expect(file('follow.ours.exit')).toBe('exit 0\n');
    expect(file('both.ours.exit')).toBe('exit 0\n');
  });
});
