// `-t` checks the config against the host it runs on, like keepalived -t: interfaces an
// instance names (its own, track_interface, a VIP's or a route's `dev`), vrrp_script users,
// script files. Both programs run `-t` in the same kind of fresh network namespace holding
// exactly the interfaces the case lists, in the same test run; each keepalived line must appear
// in our report with keepalived's exact words, at the same line, with our file:line:col around
// it, and both must exit with the same code. Our lines come in file order.
//
// The daemon's start-up makes the same check against the kernel's links: a missing interface
// stops it with the same lines (file:line:col) and keepalived's exit code 2.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect } from 'vitest';
import { isRoot, itWhen } from '../helpers/require.js';
import { mainTs, repoRoot } from './lib/cli.js';
import { hasKeepalived, hasUnshare, keepalivedConfigTest, runInNetns } from './lib/keepalived.js';

const dir = mkdtempSync(join(tmpdir(), 'kt-hostcheck-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const OUR_LINE = /^(.+):(\d+):(\d+): (error|warning|info)\[([a-z0-9-]+)\]: (.+)$/;
const KA_PREFIX = /^\((?:(.+?): )?Line (\d+)\) (.*)$/;

interface Case {
  readonly name: string;
  readonly interfaces: readonly string[];
  /** The config; a function gets the test's temp dir (for script files made by `setup`). */
  readonly text: string | ((dir: string) => string);
  readonly setup?: (dir: string) => void;
  /** The exit code keepalived 2.2.7 gives (checked against the real one in the run too). */
  readonly exit: number;
  /** Fragments keepalived must print (so the case tests what it says it tests). */
  readonly expect: readonly string[];
  /** Fragments neither program may print. */
  readonly absent?: readonly string[];
  /**
   * keepalived messages it puts at a block's closing line, where we report the block's header
   * (the line the fix goes on): compared without the line number.
   */
  readonly atBlockEnd?: readonly string[];
}

const instance = (iface: string, extra = ''): string => `vrrp_instance VI_1 {
  state BACKUP
  interface ${iface}
  virtual_router_id 51
  priority 100
${extra}  virtual_ipaddress {
    192.0.2.10/24
  }
}
`;

const CASES: readonly Case[] = [
  {
    name: "an instance's interface that does not exist",
    interfaces: [],
    text: instance('ens33'),
    exit: 5,
    expect: ["WARNING - interface ens33 for vrrp_instance VI_1 doesn't exist", 'Non-existent interface specified in configuration'],
  },
  {
    name: 'track_interface, a VIP dev and a route dev that do not exist',
    interfaces: ['eth0'],
    text: `vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  track_interface {
    eth9 weight 10
  }
  virtual_ipaddress {
    192.0.2.10/24 dev eth7
  }
  virtual_routes {
    192.0.2.0/24 via 192.0.2.1 dev eth8
  }
}
`,
    exit: 5,
    expect: ['(VI_1) tracked interface eth9 doesn', 'interface eth7 for ip address', 'interface eth8 for VROUTE nexthop'],
  },
  {
    name: 'a missing interface stops the check before script security (5, not 6)',
    interfaces: [],
    text: `vrrp_script chk {\n  script "/bin/true"\n}\n` + instance('ens33', '  track_script {\n    chk\n  }\n'),
    exit: 5,
    expect: ['Non-existent interface specified in configuration'],
  },
  {
    name: 'interfaces present: the script security check is reached (6)',
    interfaces: ['ens33'],
    text: `vrrp_script chk {\n  script "/bin/true"\n}\n` + instance('ens33', '  track_script {\n    chk\n  }\n'),
    exit: 6,
    expect: ['SECURITY VIOLATION - scripts are being executed but script_security not enabled.'],
  },
  {
    name: "a vrrp_script user that does not exist removes the script",
    interfaces: ['eth0'],
    text: `vrrp_script chk {\n  script "/nonexistent/chk.sh"\n  user kt_no_such_user\n}\nvrrp_script chk2 {\n  script "/bin/true"\n}\n` +
      instance('eth0', '  track_script {\n    chk\n    chk2\n  }\n'),
    exit: 6,
    expect: ["Unable to set uid/gid for script '/nonexistent/chk.sh'", '(VI_1) track script chk not found, ignoring...'],
  },
  {
    name: "keepalived's words for rules, sync groups and deprecated keywords, in file order",
    interfaces: ['eth0'],
    text: `vrrp_sync_group VG1 {
  group { }
}
static_rules {
  from 192.0.2.0/24 table 1
  to 192.0.2./24 table 1
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  lvs_sync_daemon_interface eth0
  notification_emial x
  virtual_rules {
    from 192.0.2.3 table 12
  }
  virtual_ipaddress {
    192.0.2.10/24
  }
}
`,
    exit: 5,
    expect: [
      'Rule has no preference specified - setting to 16384.',
      'Warning - sync group VG1 has empty group block',
      'VRRP parsed invalid IP 192.0.2./24. skipping IP...',
      '(VI_1) Specifying lvs_sync_daemon_interface against a vrrp is deprecated.',
      "Unknown keyword 'notification_emial'",
    ],
  },
  {
    name: 'deprecated keywords keepalived still reads: the same warnings, in its words',
    interfaces: ['eth0'],
    text: `global_defs {
  vrrp_vmac_garp_intvl 10
}
vrrp_sync_group G {
  group {
    VI_1
  }
  global_tracking
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  vmac_garp_intvl 10
  linkbeat_use_polling
  virtual_ipaddress {
    192.0.2.10/24
  }
}
virtual_server 192.0.2.1 80 {
  lvs_sched rr
  lvs_method DR
  protocol TCP
  real_server 192.0.2.2 80 {
    HTTP_GET {
      url {
        path /
        status_code 200
      }
      nb_get_retry 3
    }
  }
}
`,
    exit: 5,
    expect: [
      '(G) global_tracking is deprecated.',
      "(VI_1) 'linkbeat_use_polling' in vrrp instance deprecated",
      'Keyword "vmac_garp_intvl" is deprecated',
      "nb_get_retry is deprecated - please use 'retry'",
    ],
  },
  {
    name: "rejected values: keepalived's generic line and its keyword's own sentence, both",
    interfaces: ['eth0'],
    text: `global_defs {
  vrrp_garp_master_delay 300000
  vrrp_version 4
}
vrrp_script chk {
  script "/bin/true"
  fall 0
  weight 300
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 300
  priority 0
  advert_int abc
  preempt_delay 5000
  garp_master_delay -1
  unicast_peer {
    192.0.2.1
    192.0.2.400
  }
  virtual_ipaddress {
    192.0.2.10/24
  }
}
virtual_server 192.0.2.1 80 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  delay_loop -1
  real_server 192.0.2.2 80 {
    TCP_CHECK {
      connect_timeout 5000
      retry abc
      delay_before_retry -2
    }
  }
}
`,
    exit: 6,
    expect: [
      "(VI_1): VRID '300' not valid - must be between 1 & 255",
      "number '5000' outside range [0.000000, 1000.000000]",
      'malformed unicast peer address[192.0.2.400]',
      "Invalid delay_before_retry connection value '-2'",
    ],
  },
  {
    name: "tracker weights out of range: keepalived's sentence per tracker kind",
    interfaces: ['eth0', 'eth1'],
    text: `global_defs {
  script_user root
  enable_script_security
}
vrrp_script chk {
  script "/bin/true"
}
vrrp_track_process tp {
  process foo
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 52
  priority 100
  track_script {
    chk weight 999
  }
  track_interface {
    eth1 weight 999
  }
  track_process {
    tp weight 999
  }
  virtual_ipaddress {
    192.0.2.11/24
  }
}
`,
    exit: 5,
    expect: ['(VI_1) track script chk: weight must be between [-253..253] inclusive, ignoring...', '(VI_1) weight for track process tp must be in [-254..254] inclusive.'],
  },
  {
    name: 'enable_script_security: a track script with an unsafe path is disabled; a non-executable one draws no -t line',
    interfaces: ['eth0'],
    setup: unsafeScripts,
    text: (d) => scriptsConf(d, true),
    exit: 5,
    expect: ['Disabling track script chk due to insecure'],
    absent: ['chk2'],
  },
  {
    name: "without it: SECURITY VIOLATION, with keepalived's 'There are insecure scripts.'",
    interfaces: ['eth0'],
    setup: unsafeScripts,
    text: (d) => scriptsConf(d, false),
    exit: 6,
    expect: ['SECURITY VIOLATION - scripts are being executed but script_security not enabled. There are insecure scripts.'],
  },
  {
    name: 'a notify script that exists without x bits still counts for SECURITY VIOLATION (6); a missing one does not',
    interfaces: ['eth0'],
    setup: unsafeScripts,
    text: (d) => instance('eth0', `  notify_master "${join(d, 'noexec.sh')}"\n  notify_backup "/nonexistent/kt-notify.sh"\n`),
    exit: 6,
    expect: ['SECURITY VIOLATION - scripts are being executed but script_security not enabled.'],
  },
  {
    name: 'a global script_user that does not exist removes the vrrp_scripts and notify scripts that would run as it',
    interfaces: ['eth0'],
    text: `global_defs {
  script_user kt_no_such_user
}
vrrp_script chk {
  script "/bin/true"
}
` + instance('eth0', '  track_script {\n    chk\n  }\n  notify_master "/bin/true"\n'),
    exit: 5,
    expect: ['Error setting global script uid/gid', 'Unable to set default user for vrrp script chk - removing', '(VI_1) track script chk not found, ignoring...'],
    absent: ['SECURITY VIOLATION'],
    atBlockEnd: ['Unable to set default user for vrrp script'],
  },
];

/** A script in a world-writable (non-sticky) directory, and a script file without x bits. */
function unsafeScripts(d: string): void {
  mkdirSync(join(d, 'ww'), { recursive: true });
  chmodSync(join(d, 'ww'), 0o777);
  writeFileSync(join(d, 'ww', 'chk.sh'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  writeFileSync(join(d, 'noexec.sh'), '#!/bin/sh\nexit 0\n', { mode: 0o644 });
  chmodSync(d, 0o755);
}

function scriptsConf(d: string, secure: boolean): string {
  return `global_defs {
  script_user root
${secure ? '  enable_script_security\n' : ''}}
vrrp_script chk {
  script "${join(d, 'ww', 'chk.sh')}"
}
vrrp_script chk2 {
  script "${join(d, 'noexec.sh')}"
}
` + instance('eth0', '  track_script {\n    chk\n    chk2\n  }\n');
}

function ours(file: string, interfaces: readonly string[]) {
  return runInNetns([process.execPath, '--import', 'tsx', mainTs, '-t', '-f', file], { interfaces, cwd: repoRoot, env: { ...process.env, NODE_OPTIONS: '' } });
}

describe('-t checks the running host like keepalived -t (same namespace set-up, same run)', { timeout: 120_000 }, () => {
  CASES.forEach((c, i) => {
    itWhen(isRoot, hasUnshare, hasKeepalived)(c.name, async () => {
      const file = join(dir, `case-${i}.conf`);
      c.setup?.(dir);
      writeFileSync(file, typeof c.text === 'string' ? c.text : c.text(dir));
      const [ka, us] = await Promise.all([keepalivedConfigTest(file, 'kt-hostcheck', { interfaces: c.interfaces }), ours(file, c.interfaces)]);
      const kaText = ka.lines.join('\n');
      for (const f of c.expect) expect(kaText, 'keepalived printed what the case is about').toContain(f);
      expect(ka.status, kaText).toBe(c.exit);
      for (const f of c.absent ?? []) {
        expect(kaText).not.toContain(f);
        expect(us.stderr).not.toContain(f);
      }

      const lines = us.stderr.split('\n').filter((l) => l.length > 0);
      const parsed = lines.map((l) => OUR_LINE.exec(l));
      expect(parsed.every((m) => m !== null), `every line is file:line:col: ...\n${us.stderr}`).toBe(true);
      // Every keepalived line, in keepalived's words, at its line: as our message, or (for
      // keepalived's indented continuation lines, "Please use ...") inside our hint.
      const missing: string[] = [];
      for (const raw of ka.lines) {
        const m = KA_PREFIX.exec(raw);
        const message = m ? m[3] : raw;
        const cont = /^\s/.test(message);
        const anyLine = m === null || (c.atBlockEnd ?? []).some((f) => message.startsWith(f));
        const hit = parsed.some(
          (p) => p !== null && (anyLine || p[2] === m[2]) && (cont ? p[6].includes(`(${message.trim()})`) : p[6] === message || p[6].startsWith(`${message} (`)),
        );
        if (!hit) missing.push(raw);
      }
      expect(missing, `keepalived lines not in our report:\n${us.stderr}`).toEqual([]);
      expect(us.status, us.stderr).toBe(ka.status);
      // File order: the line numbers never go back, except keepalived's summary line, last.
      const nums = parsed.filter((p) => p !== null && p[5] !== 'bad-interface').map((p) => Number(p![2]));
      expect(nums).toEqual([...nums].sort((a, b) => a - b));
      if (parsed.some((p) => p?.[5] === 'bad-interface')) expect(parsed.at(-1)?.[5]).toBe('bad-interface');
    });
  });

  itWhen(isRoot, hasUnshare)('the daemon stops at start-up on a missing interface with the same lines, file:line:col, exit 2', async () => {
    const file = join(dir, 'daemon-missing.conf');
    writeFileSync(file, instance('ens33'));
    const run = await runInNetns(
      [process.execPath, '--import', 'tsx', mainTs, '-f', file, '-p', join(dir, 'd.pid'), '-r', join(dir, 'd-vrrp.pid')],
      { interfaces: ['eth0'], cwd: repoRoot, env: { ...process.env, NODE_OPTIONS: '' }, timeoutMs: 30_000 },
    );
    const errLines = run.stderr.split('\n').filter((l) => OUR_LINE.test(l));
    expect(errLines, run.stderr).toEqual([
      `${file}:3:13: warning[no-interface]: WARNING - interface ens33 for vrrp_instance VI_1 doesn't exist (no such interface on this host)`,
      `${file}:3:13: error[bad-interface]: Non-existent interface specified in configuration (1 missing on this host)`,
    ]);
    expect(run.status).toBe(2);
  });

  itWhen(isRoot, hasUnshare, hasKeepalived)('a missing tracked interface or route dev stops both daemons at start-up, exit 2, same words', async () => {
    const file = join(dir, 'daemon-tracked.conf');
    writeFileSync(file, instance('eth0', '  track_interface {\n    eth9\n  }\n  virtual_routes {\n    192.0.2.0/24 dev eth8\n  }\n'));
    const pid = (n: string) => join(dir, `dt-${n}.pid`);
    const [ka, us] = await Promise.all([
      // keepalived's VRRP process only, in its own namespace; it exits at start-up.
      runInNetns(['keepalived', '-n', '-l', '--vrrp', '-f', file, '-p', pid('kp'), '-r', pid('kr'), '-c', pid('kc'), '-b', pid('kb')], { interfaces: ['eth0'], timeoutMs: 30_000 }),
      runInNetns([process.execPath, '--import', 'tsx', mainTs, '-f', file, '-p', pid('p'), '-r', pid('r')], {
        interfaces: ['eth0'],
        cwd: repoRoot,
        env: { ...process.env, NODE_OPTIONS: '' },
        timeoutMs: 30_000,
      }),
    ]);
    const kaMessages = (ka.stdout + ka.stderr)
      .split('\n')
      .map((l) => /^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}: (.*)$/.exec(l)?.[1])
      .filter((m): m is string => m !== undefined);
    const kaFindings = kaMessages.flatMap((m) => {
      const p = KA_PREFIX.exec(m);
      return p ? [[Number(p[2]), p[3]] as const] : m === 'Non-existent interface specified in configuration' ? [[0, m] as const] : [];
    });
    expect(kaFindings.map((f) => f[1])).toEqual(
      expect.arrayContaining(["(VI_1) tracked interface eth9 doesn't exist", "WARNING - interface eth8 for VROUTE nexthop doesn't exist", 'Non-existent interface specified in configuration']),
    );
    expect(ka.status).toBe(2);
    const ourLines = us.stderr.split('\n').map((l) => OUR_LINE.exec(l)).filter((m) => m !== null);
    for (const [line, message] of kaFindings) {
      expect(ourLines.some((m) => (line === 0 || Number(m![2]) === line) && (m![6] === message || m![6].startsWith(`${message} (`))), `${message}\n${us.stderr}`).toBe(true);
    }
    expect(us.status).toBe(2);
  });
});
