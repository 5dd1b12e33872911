// packaging/keepalived-ts.service under a real systemd, in one VM boot: this machine's PID 1 is
// not systemd, so the guest runs Debian's /lib/systemd/systemd as PID 1 of a new PID namespace
// (`unshare --pid --fork --mount-proc`, as a container manager would) over the host's root.
// The unit is the shipped one with only ExecStart (the built bundle and the test's config) and
// its config condition pointed at the test's files. A oneshot unit ordered after it records
// what systemd says, then:
//   Type=notify   the unit turns active only once the daemon sent READY=1 (after "Startup
//                 complete"), with our STATUS= text; WATCHDOG=1 pings reach systemd
//   journal       the lines arrive through /dev/log with keepalived's SYSLOG_IDENTIFIERs, facility
//                 daemon, priority info, the unit and the daemon's pid
//   reload        `systemctl reload` (ExecReload: SIGHUP) succeeds and the same process runs on
//   stop          `systemctl stop`: a clean exit 0, "Stopped Keepalived" in the journal
// The hardening options (CapabilityBoundingSet, RestrictAddressFamilies, ProtectSystem, ...)
// are all in force: the daemon becomes master on a dummy interface under them.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect } from 'vitest';
import { itWhen } from '../helpers/require.js';
import { runInVm, vmMissing, type VmResult } from './vm.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '../..');
const bundle = join(repo, 'dist/bin/keepalived-ts.mjs');
const prereqs = [vmMissing, () => (existsSync('/lib/systemd/systemd') ? undefined : 'systemd not installed'), () => (existsSync(bundle) ? undefined : 'no bundle: npm run build:ts && npm run build:bundle')];
const itVm = itWhen(...prereqs);

const CHECK = `
exec > /tmp/vmshare/check.log 2>&1
u=keepalived-ts
for i in $(seq 1 240); do [ "$(systemctl show -p ActiveState --value $u)" = active ] && break; sleep 1; done
systemctl show $u -p ActiveState -p SubState -p StatusText -p MainPID -p Type -p NotifyAccess -p WatchdogUSec -p ActiveEnterTimestampMonotonic -p WatchdogTimestampMonotonic > /tmp/vmshare/show-active.txt
MP=$(systemctl show -p MainPID --value $u)
for i in $(seq 1 120); do journalctl -t Keepalived_vrrp --no-pager | grep -q 'Entering MASTER STATE' && break; sleep 1; done
# WatchdogSec=30s: a ping every 15 s moves the watchdog timestamp.
sleep 20
systemctl show $u -p WatchdogTimestampMonotonic > /tmp/vmshare/show-watchdog.txt
systemctl reload $u; echo "reload=$?" > /tmp/vmshare/reload.txt
sleep 3
systemctl show $u -p ActiveState -p MainPID > /tmp/vmshare/show-reloaded.txt
systemctl stop $u; echo "stop=$?" > /tmp/vmshare/stop.txt
systemctl show $u -p ActiveState -p Result -p ExecMainStatus > /tmp/vmshare/show-stopped.txt
journalctl --no-pager -o json -t Keepalived -t Keepalived_vrrp > /tmp/vmshare/journal.json
echo CHECK-DONE
systemctl poweroff -f -f
`;

const CONF = `global_defs {\n  script_user root\n}\nvrrp_instance VI_1 {\n  state BACKUP\n  interface eth0\n  virtual_router_id 51\n  priority 150\n  advert_int 1\n  virtual_ipaddress { 192.0.2.100/24 }\n}\n`;

let vm: VmResult | undefined;
const file = (name: string): string => {
  const b = vm?.files.get(name);
  if (!b) throw new Error(`the VM left no ${name} (exit ${vm?.exitCode}, timed out ${vm?.timedOut})\n${vm?.output ?? ''}\n${vm?.files.get('check.log')?.toString() ?? ''}\n${vm?.console.slice(-3000) ?? ''}`);
  return b.toString('utf8');
};
const props = (name: string): Record<string, string> => Object.fromEntries(file(name).trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

describe('the systemd unit under a real systemd (qemu VM)', () => {
  beforeAll(async () => {
    if (prereqs.some((p) => p() !== undefined)) return;
    const unit = readFileSync(join(repo, 'packaging/keepalived-ts.service'), 'utf8');
    const local = unit
      .replace(/^ExecStart=\/usr\/bin\/keepalived-ts /m, `ExecStart=${process.execPath} ${bundle} -f /tmp/vmshare/keepalived.conf `)
      .replace(/^ConditionFileNotEmpty=.*$/m, 'ConditionFileNotEmpty=/tmp/vmshare/keepalived.conf');
    if (local === unit) throw new Error('the unit has no ExecStart to point at the bundle');
    vm = await runInVm(
      `
mount -t cgroup2 cgroup2 /sys/fs/cgroup
ip link add eth0 type dummy && ip link set eth0 up && ip addr add 192.0.2.11/24 dev eth0
mkdir -p /run/systemd/system
cp keepalived-ts.service kts-check.service kts-test.target /run/systemd/system/
unshare --pid --fork --mount-proc /lib/systemd/systemd --unit=kts-test.target --show-status=no > systemd.log 2>&1 &
P=$!
for i in $(seq 1 400); do grep -q CHECK-DONE check.log 2>/dev/null && break; sleep 1; done
sleep 2
kill -9 $P 2>/dev/null
true
`,
      {
        timeoutMs: 600_000,
        files: {
          'keepalived-ts.service': local,
          'kts-test.target': '[Unit]\nDescription=keepalived-ts unit check\nWants=keepalived-ts.service kts-check.service\n',
          'kts-check.service': '[Unit]\nDescription=records what systemd says about keepalived-ts\nAfter=keepalived-ts.service\n[Service]\nType=oneshot\nExecStart=/bin/sh /tmp/vmshare/check.sh\n',
          'check.sh': CHECK,
          'keepalived.conf': CONF,
        },
      },
    );
  }, 660_000);

  itVm('Type=notify: active only after READY=1, with our STATUS=; watchdog pings; journal lines with keepalived idents; reload and stop', () => {
    const active = props('show-active.txt');
    expect(active).toMatchObject({ Type: 'notify', NotifyAccess: 'main', WatchdogUSec: '30s', ActiveState: 'active', SubState: 'running', StatusText: 'Running 1 VRRP instance(s), no virtual servers' });
    const pid = active.MainPID!;
    const journal = file('journal.json')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, string>);
    const entry = (msg: RegExp) => journal.find((j) => msg.test(j.MESSAGE ?? ''));
    // Ready means started: systemd saw the unit active after the daemon logged "Startup complete".
    const started = entry(/^Startup complete$/);
    expect(started, 'Startup complete in the journal').toBeDefined();
    expect(Number(active.ActiveEnterTimestampMonotonic)).toBeGreaterThanOrEqual(Number(started!.__MONOTONIC_TIMESTAMP));
    // The lines came through /dev/log, as keepalived's do: its idents, facility daemon (3), priority info (6).
    const master = entry(/^\(VI_1\) Entering MASTER STATE$/);
    expect(master).toMatchObject({ SYSLOG_IDENTIFIER: 'Keepalived_vrrp', SYSLOG_FACILITY: '3', PRIORITY: '6', SYSLOG_PID: pid, _PID: pid, _SYSTEMD_UNIT: 'keepalived-ts.service' });
    expect(entry(/^Starting Keepalived v2\.2\.7/)).toMatchObject({ SYSLOG_IDENTIFIER: 'Keepalived', SYSLOG_FACILITY: '3', PRIORITY: '6' });
    // WATCHDOG=1 reached systemd (its timestamp moved after the unit turned active).
    expect(Number(props('show-watchdog.txt').WatchdogTimestampMonotonic)).toBeGreaterThan(Number(active.ActiveEnterTimestampMonotonic));
    // ExecReload (SIGHUP): accepted, the same process runs on.
    expect(file('reload.txt').trim()).toBe('reload=0');
    expect(props('show-reloaded.txt')).toEqual({ ActiveState: 'active', MainPID: pid });
    // Stop: SIGTERM, a clean exit.
    expect(file('stop.txt').trim()).toBe('stop=0');
    expect(props('show-stopped.txt')).toMatchObject({ ActiveState: 'inactive', Result: 'success', ExecMainStatus: '0' });
    expect(entry(/^Stopped Keepalived v2\.2\.7/)).toMatchObject({ SYSLOG_IDENTIFIER: 'Keepalived', _PID: pid });
  });
});
