// vrrp_strict's rules beside keepalived 2.2.7, each case its own config, both programs in the
// same kind of fresh network namespace (an eth0 veth) in the same test run:
//   * `-t`: every keepalived line appears in our report in keepalived's words (with our
//     file:line:col around it), and neither prints a strict-mode line the other does not;
//     both exit with the same code;
//   * the daemon (keepalived --vrrp, ours) started on the same file: both either refuse it with
//     the same exit code, or are still running after the start-up lines, having logged the same
//     strict-mode lines.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect } from 'vitest';
import { isRoot, itWhen } from '../helpers/require.js';
import { mainTs, repoRoot } from './lib/cli.js';
import { hasKeepalived, hasUnshare, keepalivedConfigTest, runInNetns } from './lib/keepalived.js';

const dir = mkdtempSync(join(tmpdir(), 'kt-strict-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const OUR_LINE = /^(.+):(\d+):(\d+): (error|warning|info)\[([a-z0-9-]+)\]: (.+)$/;

const inst = (name: string, body: string, vips = '    192.0.2.10/24\n'): string =>
  `vrrp_instance ${name} {\n  interface eth0\n  virtual_router_id 51\n${body}${vips ? `  virtual_ipaddress {\n${vips}  }\n` : ''}}\n`;

interface Case {
  readonly name: string;
  readonly text: string;
  /** What keepalived must print (so the case is about what it says). Empty: nothing of strict mode. */
  readonly expect: readonly string[];
}

const STRICT = 'global_defs {\n  vrrp_strict\n}\n';
const CASES: readonly Case[] = [
  { name: 'authentication is dropped', text: STRICT + inst('AUTH', '  priority 100\n  authentication {\n    auth_type PASS\n    auth_pass secret\n  }\n'), expect: ['(AUTH) Strict mode does not support authentication. Ignoring.'] },
  { name: 'unicast peers: 2.2.7 says nothing and runs unicast', text: STRICT + inst('UNI', '  priority 100\n  unicast_peer {\n    192.0.2.99\n  }\n'), expect: [] },
  { name: 'state MASTER without priority 255', text: STRICT + inst('STATE', '  state MASTER\n  priority 100\n'), expect: ['(STATE) State MASTER must match being address owner'] },
  { name: 'priority 255 with state BACKUP', text: STRICT + inst('OWNER', '  state BACKUP\n  priority 255\n'), expect: ['(OWNER) State MASTER must match being address owner'] },
  {
    name: 'timers and advert options strict mode resets',
    text: STRICT + inst('TIMERS', '  priority 100\n  preempt_delay 10\n  down_timer_adverts 5\n  garp_lower_prio_repeat 2\n  garp_lower_prio_delay 3\n  lower_prio_no_advert false\n  higher_prio_send_advert true\n'),
    expect: [
      '(TIMERS) preempt_delay is incompatible with strict mode - resetting',
      '(TIMERS) down_timer_adverts is incompatible with strict mode - resetting',
      '(TIMERS) Strict mode requires no repeat garps. resetting',
      '(TIMERS) Strict mode requires no repeat garp delay. resetting',
      '(TIMERS) Strict mode requires no lower priority advert. resetting',
      '(TIMERS) strict mode requires higher_prio_send_advert to be clear. resetting',
    ],
  },
  { name: 'accept with VRRPv2', text: STRICT + inst('V2ACCEPT', '  priority 100\n  accept\n'), expect: ['(V2ACCEPT) warning - accept mode for VRRP version 2 does not comply with RFC3768 - resetting'] },
  { name: 'accept with VRRPv3 stays', text: STRICT + inst('V3ACCEPT', '  priority 100\n  version 3\n  accept\n'), expect: [] },
  {
    name: 'IPv6 with version 2, first VIP not link-local',
    text: STRICT + inst('V6', '  priority 100\n  version 2\n', '    2001:db8::7/64\n    fe80::7/64\n'),
    expect: ['(V6) cannot use IPv6 with VRRP version 2; setting version 3', '(V6) the first IPv6 VIP address must be link local'],
  },
  { name: 'IPv6, link-local first: nothing to say', text: STRICT + inst('V6LL', '  priority 100\n', '    fe80::7/64\n    2001:db8::7/64\n'), expect: [] },
  { name: 'no VIP', text: STRICT + inst('NOVIP', '  priority 100\n', ''), expect: ['(NOVIP) No VIP specified; at least one is required'] },
  {
    name: 'VIP count: 90 IPv6 VIPs do not fit one advert, the excess becomes eVIPs',
    text: STRICT + inst('MANY6', '  priority 100\n', ['fe80::1/64', ...Array.from({ length: 89 }, (_, i) => `2001:db8::${(i + 1).toString(16)}/64`)].map((a) => `    ${a}\n`).join('')),
    expect: ['(MANY6) Number of VIPs (90) exceeds maximum/space available in packet (max 89 addresses) - excess moved to eVIPs'],
  },
  {
    name: 'VIP count: 256 IPv4 VIPs, the 8-bit count field',
    text: STRICT + inst('MANY4', '  priority 100\n', Array.from({ length: 256 }, (_, i) => `    198.51.${100 + (i >> 8)}.${i & 255}/24\n`).join('')),
    expect: ['(MANY4) Number of VIPs (256) exceeds maximum/space available in packet (max 255 addresses) - excess moved to eVIPs'],
  },
  { name: 'strict_mode on the instance alone', text: inst('LOCAL', '  priority 100\n  strict_mode\n  preempt_delay 5\n'), expect: ['(LOCAL) preempt_delay is incompatible with strict mode - resetting'] },
];

/** The strict-mode-related part of a message (both programs' lines of these cases). */
const STRICT_WORDS = /strict|Number of VIPs|State MASTER must match|VRRP version 2|link local|No VIP specified|RFC3768|authentication/i;

const oursT = (file: string) => runInNetns([process.execPath, '--import', 'tsx', mainTs, '-t', '-f', file], { interfaces: ['eth0'], cwd: repoRoot, env: { ...process.env, NODE_OPTIONS: '' } });

/** keepalived --vrrp or our daemon in a namespace with eth0 up and addressed, stopped after `ms`. */
function daemon(which: 'keepalived' | 'ours', file: string, tag: string, ms: number) {
  const pid = (n: string) => join(dir, `${tag}-${which}-${n}.pid`);
  const cmd =
    which === 'keepalived'
      ? `exec keepalived -n -l --vrrp -f "$0" -p "$1" -r "$2" -c "$3"`
      : `exec "$4" --import tsx "$5" -f "$0" -l -p "$1" -r "$2"`;
  return runInNetns(['sh', '-c', `ip link set eth0 up && ip link set ktp0 up && ip addr add 192.0.2.50/24 dev eth0 && ${cmd}`, file, pid('p'), pid('r'), pid('c'), process.execPath, mainTs], {
    interfaces: ['eth0'],
    cwd: repoRoot,
    env: { ...process.env, NODE_OPTIONS: '' },
    timeoutMs: ms,
  });
}

/**
 * The strict-mode lines of a run, once each, in order: keepalived's text without its timestamp
 * and "(file: Line N)" prefix; ours without file:line:col, the hint and the log fields.
 */
const messages = (text: string): string[] => [
  ...new Set(
    text
      .split('\n')
      .map((l) => {
        const ours = /\b(?:error|warning|info)\[[a-z0-9-]+\]: (.+?)(?: \([^()]*\))?(?: code=\S+.*)?$/.exec(l);
        if (ours) return ours[1];
        return /^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}: (.*)$/.exec(l)?.[1] ?? l;
      })
      .map((m) => m.replace(/^\(.+?: Line \d+\) /, ''))
      .filter((m) => STRICT_WORDS.test(m) && /^\(\w+\) /.test(m)),
  ),
];

describe('vrrp_strict beside keepalived 2.2.7 (same namespace set-up, same run)', { timeout: 120_000 }, () => {
  CASES.forEach((c, i) => {
    itWhen(isRoot, hasUnshare, hasKeepalived)(`-t: ${c.name}`, async () => {
      const file = join(dir, `t-${i}.conf`);
      writeFileSync(file, c.text);
      const [ka, us] = await Promise.all([keepalivedConfigTest(file, 'kt-strict', { interfaces: ['eth0'] }), oursT(file)]);
      const kaStrict = messages(ka.lines.join('\n'));
      expect(kaStrict, ka.lines.join('\n')).toEqual(c.expect);
      const lines = us.stderr.split('\n').filter((l) => l.length > 0);
      expect(lines.every((l) => OUR_LINE.test(l)), us.stderr).toBe(true);
      expect(messages(us.stderr)).toEqual(kaStrict);
      expect(us.status, us.stderr).toBe(ka.status);
    });
  });

  // The daemons: a refused start exits at once with keepalived's code; an accepted one is still
  // running when the namespace run ends (killed after 4 s), having logged the same lines.
  for (const [name, i] of [['no VIP', 9], ['IPv6 with version 2', 7], ['state MASTER without 255', 2], ['unicast peers', 1], ['VIP count', 10]] as const) {
    itWhen(isRoot, hasUnshare, hasKeepalived)(`daemon start: ${name}`, async () => {
      const file = join(dir, `d-${i}.conf`);
      writeFileSync(file, CASES[i].text);
      const [ka, us] = await Promise.all([daemon('keepalived', file, `d${i}`, 4000), daemon('ours', file, `d${i}`, 6000)]);
      const kaText = ka.stdout + ka.stderr;
      const usText = us.stdout + us.stderr;
      expect(ka.signal === null ? ka.status : ka.signal, kaText).toBe(i === 9 ? 2 : 'SIGKILL');
      expect(us.signal === null ? us.status : us.signal, usText).toBe(ka.signal === null ? ka.status : 'SIGKILL');
      expect(messages(usText)).toEqual(messages(kaText));
      expect(messages(kaText)).toEqual(CASES[i].expect);
    });
  }
});
