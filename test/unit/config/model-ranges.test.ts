// Out-of-range and invalid values: the lines we flag must be the lines keepalived 2.2.7 flags
// ("outside range", "negative number", "invalid number", "cannot be +/-254", invalid status code,
// invalid real server port). RANGES_CONF exercises one bad value per numeric keyword family;
// EXPECTED_LINES is what the installed binary reported; the live test re-runs it in a netns.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isRoot, itWhen, type Prereq } from '../../helpers/require.js';
import { build } from './model-helpers.js';

const RANGES_CONF = `global_defs {
  vrrp_garp_master_repeat -1
  vrrp_down_timer_adverts 101
  vrrp_version 4
  smtp_connect_timeout 5000
  vrrp_garp_interval 2
  startup_script_timeout 0
}
vrrp_script s {
  script "/bin/true"
  weight 254
  fall 0
  interval 5000
  timeout -1
}
track_file f {
  file /tmp/x
  weight 255
}
vrrp_track_process p {
  process foo
  weight 255
  quorum 0
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 0
  priority 0
  advert_int 0
  unicast_ttl 256
  down_timer_adverts 101
  preempt_delay 1001
  garp_master_repeat -1
  garp_master_delay 5000
  version 4
  virtual_ipaddress {
    10.0.0.1
  }
  track_script {
    s weight 254
  }
  track_interface {
    eth0 weight 300
  }
}
virtual_server 10.0.0.1 80 {
  protocol TCP
  quorum 0
  delay_loop 0
  retry 0
  hysteresis -1
  persistence_timeout 0
  weight 70000
  connect_timeout 0
  real_server 10.0.0.3 70000 {
    weight 1
  }
  real_server 10.0.0.2 80 {
    weight -5
    uthreshold -1
    TCP_CHECK {
      connect_port 70000
      retry 0
      connect_timeout 0
      bind_port 70000
    }
    HTTP_GET {
      url {
        path /
        status_code 700
        regex_stack 0
      }
    }
    UDP_CHECK {
      min_reply_length 70000
    }
  }
}
`;

const EXPECTED_LINES = [
  2, 3, 4, 5, 7, 11, 12, 13, 14, 18, 22, 23, 27, 28, 29, 30, 31, 32, 33, 34, 35, 40, 43, 48, 49, 50, 51, 52, 54, 55, 59, 60, 62,
  64, 65, 70, 75,
];
const CODES = new Set(['value-out-of-range', 'invalid-number', 'invalid-value', 'invalid-address']);

function ourLines(): number[] {
  const b = build(RANGES_CONF);
  return [...new Set(b.diags.filter((d) => CODES.has(d.code)).map((d) => d.loc.line))].sort((x, y) => x - y);
}

describe('value ranges match keepalived 2.2.7', () => {
  it('flags exactly the lines keepalived flagged', () => {
    expect(ourLines()).toEqual(EXPECTED_LINES);
  });
  it('applies keepalived resulting values (default kept, clamp, skip)', () => {
    const m = build(RANGES_CONF).model;
    expect(m.globalDefs).toMatchObject({ vrrpGarpMasterRepeat: 5, vrrpDownTimerAdverts: 3, vrrpVersion: 2, smtpConnectTimeout: 30 });
    expect(m.vrrpScripts[0]).toMatchObject({ weight: 0, fall: 1, interval: 1000 });
    expect(m.vrrpInstances).toEqual([]); // virtual_router_id 0 -> no VRID -> instance dropped
    const vs = m.virtualServers[0];
    expect(vs).toMatchObject({ quorum: 1, hysteresis: 0, persistenceTimeout: 0 });
    expect(vs.realServers.map((r) => r.ip.text)).toEqual(['10.0.0.2']); // port 70000 RS skipped
    expect(vs.realServers[0]).toMatchObject({ weight: 70000, uthreshold: 0 }); // VS weight is the RS default
  });
});

const hasKeepalived: Prereq = () =>
  spawnSync('keepalived', ['--version']).error ? 'keepalived binary not installed' : undefined;

describe('live: keepalived -t on the same text', () => {
  itWhen(isRoot, hasKeepalived)('reports problems on the same lines', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ktrange-'));
    try {
      const file = join(dir, 'r.conf');
      writeFileSync(file, RANGES_CONF);
      // The private namespace gets an eth0 (veth) so interface-dependent checks (track_interface
      // weights) run as on a host that has the interface; it vanishes with the process.
      const script = 'ip link add eth0 type veth peer name eth0p && ip link set eth0 up && exec keepalived -t -f "$0"';
      const r = spawnSync('unshare', ['-n', 'sh', '-c', script, file], { encoding: 'utf8', cwd: dir });
      const lines = `${r.stdout}${r.stderr}`
        .split('\n')
        .filter((l) => /outside range|negative number|invalid number|status code|invalid IP|Invalid real server|cannot be/.test(l))
        .map((l) => Number(/Line (\d+)\)/.exec(l)?.[1]));
      expect(ourLines()).toEqual([...new Set(lines)].sort((x, y) => x - y));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
