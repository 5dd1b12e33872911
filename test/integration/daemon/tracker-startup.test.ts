// Start-up sequences with trackers, compared with keepalived 2.2.7 in the same run. For every
// tracker kind (vrrp_script with and without init_fail, weight 0 and non-zero, succeeding and
// failing; track_interface with the link down; track_file missing or non-zero; scripts that
// cannot run) the same configuration is started under keepalived and under our daemon, each
// alone in its own lab namespace, and the two are compared on:
//   - the start-up transcript: state lines, FAULT causes, script result lines, effective priority
//     changes, "Disabling track script" and script-check lines, taken from each log;
//   - the notify calls: the notify_master/backup/fault sequence and the generic `notify` lines.
// Each case also states the transcript keepalived 2.2.7 gave when the case was written, so a
// different keepalived (or a case that stopped exercising what it names) shows up as such.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import type { Lab } from '../../../src/lab/lab.js';
import type { PeerProcess } from '../../../src/lab/keepalived-peer.js';
import { hasKeepalived, itWhen, isRoot } from '../../helpers/require.js';
import { NetnsFixture } from '../../helpers/netns-fixture.js';
import { instanceConf, nodeDir, notifyScript, sleep, waitUntil } from './daemon-lab.js';


/** The lines both daemons must agree on, in order, reduced to their keepalived wording. */
const PATTERNS: { re: RegExp; out: (m: RegExpExecArray) => string }[] = [
  { re: /\((VI_1)\) [Ee]ntering (BACKUP|MASTER|FAULT) (?:STATE|state)( \(init\))?/, out: (m) => `${m[2]}${m[3] ?? ''}` },
  { re: /\((VI_2)\) [Ee]ntering (BACKUP|MASTER|FAULT) (?:STATE|state)( \(init\))?/, out: (m) => `VI_2 ${m[2]}${m[3] ?? ''}` },
  { re: /\(VI_1\): entering FAULT state (\(interface \S+ down\)|\(tracked file \S+ has status -?\d+\)|due to script \S+)/, out: (m) => `FAULT cause ${m[1]}` },
  { re: /VRRP_Script\((\w+)\) (succeeded|timed_out|failed \([^)]*\))/, out: (m) => `script ${m[1]} ${m[2]}` },
  { re: /Script `(\w+)` now returning (\d+)/, out: (m) => `script ${m[1]} returns ${m[2]}` },
  { re: /\(VI_1\) Changing effective priority from (\d+) to (\d+)/, out: (m) => `priority ${m[1]} -> ${m[2]}` },
  { re: /Disabling track script (\w+) (since not found\/accessible|due to insecure)/, out: (m) => `disabling ${m[1]} ${m[2]}` },
  // Our pretty log appends " key=value" fields after the message.
  { re: /Script (\/\S+) cannot be accessed - (.+?)(?: \w+=.*)?$/, out: (m) => `cannot access ${m[1]} - ${m[2]}` },
  { re: /WARNING - script '(\S+)' is not executable for uid:gid (\d+:\d+) - disabling\./, out: (m) => `not executable ${m[1]} ${m[2]}` },
  { re: /Unsafe permissions found for script '(\S+)'( - disabling)?\./, out: (m) => `unsafe ${m[1]}${m[2] ?? ''}` },
];

function transcript(lines: readonly string[]): string[] {
  const out: string[] = [];
  for (const l of lines) {
    if (/\bStopping\b|\bstopping\b/.test(l)) break;
    for (const p of PATTERNS) {
      const m = p.re.exec(l);
      if (m) {
        out.push(p.out(m));
        break;
      }
    }
  }
  return out;
}

interface Observed {
  transcript: string[];
  /** notify_master / notify_backup / notify_fault calls in order (tags nm, nb, nf). */
  scripts: string[];
  /** Generic `notify` calls, STOP left out (the stop is ours, not part of start-up). */
  generic: string[];
}

interface Case {
  name: string;
  /** Config text for a node whose notify scripts live in `dir`; `shared` holds check scripts. */
  conf: (dir: string, shared: string) => string;
  /** Writes check scripts into `shared`, once, before either daemon starts. */
  setup?: (shared: string) => void;
  /** Prepares the lab host before the daemon starts (links, files). */
  pre?: (lab: Lab, dir: string) => void;
  /** Start-up is over once this holds. */
  done: (o: Observed) => boolean;
  /** keepalived 2.2.7's transcript, as captured when the case was written. */
  expected: string[];
  expectedNotify: { scripts: string[]; generic: string[] };
  /**
   * Two members change state in the same instant: their notify processes race (keepalived forks
   * and does not wait, neither do we), so the notify lists are compared as sets.
   */
  unorderedNotify?: boolean;
}

const VIP = '192.0.2.100';

function instance(dir: string, o: { extra?: string[]; priority?: number; state?: 'MASTER' | 'BACKUP' } = {}): string {
  const prio = o.priority ?? 100;
  const globals = ['global_defs {', '  script_user root', ...(o.extra?.includes('@security') ? ['  enable_script_security'] : []), '}', ''].join('\n');
  return (
    globals +
    instanceConf({
      state: o.state ?? (prio === 255 ? 'MASTER' : 'BACKUP'),
      priority: prio,
      vips: [`${VIP}/24`],
      extra: [
        ...(o.extra ?? []).filter((l) => l !== '@security'),
        `notify_master "${notifyScript(dir, 'nm')}"`,
        `notify_backup "${notifyScript(dir, 'nb')}"`,
        `notify_fault "${notifyScript(dir, 'nf')}"`,
        `notify "${notifyScript(dir, 'N')}"`,
      ],
    })
  );
}

const vrrpScript = (cmd: string, opts: string[] = []) => ['vrrp_script chk {', `  script "${cmd}"`, '  interval 1', ...opts.map((o) => `  ${o}`), '}', ''].join('\n');
const TRACK_SCRIPT = ['track_script {', '  chk', '}'];
const SECURE = ['@security', ...TRACK_SCRIPT];
function script(dir: string, name: string, text: string, mode: number): void {
  const p = join(dir, name);
  writeFileSync(p, text);
  chmodSync(p, mode);
}
const hasState = (s: string) => (o: Observed) => o.transcript.includes(s);
const hasNotify = (tag: string) => (o: Observed) => o.scripts.includes(tag);
const N = (state: string, prio = 100) => `N [INSTANCE] [VI_1] [${state}] [${prio}]`;

async function observe(daemon: 'keepalived' | 'ours', c: Case, shared: string): Promise<Observed> {
  const f = new NetnsFixture(daemon === 'ours' ? 'h1o' : 'h1k');
  const dir = nodeDir(daemon);
  let proc: PeerProcess | undefined;
  const read = (): Observed => {
    const log = join(dir, 'notify.log');
    const entries = existsSync(log)
      ? readFileSync(log, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => l.slice(l.indexOf(' ') + 1))
      : [];
    return {
      transcript: transcript(proc?.lines ?? []),
      scripts: entries.filter((e) => /^n[mbf]$/.test(e)),
      generic: entries.filter((e) => e.startsWith('N ') && !e.includes('[STOP]')),
    };
  };
  try {
    f.hosts({ a: '192.0.2.11/24' });
    c.pre?.(f.lab, dir);
    const conf = c.conf(dir, shared);
    proc = daemon === 'keepalived' ? f.keepalived('a', conf) : f.daemon('a', conf, { dir });
    await proc.waitFor(/Startup complete/, 30_000);
    try {
      await waitUntil(`${daemon}: end of start-up for ${c.name}`, () => c.done(read()), 20_000, 50);
    } catch {
      // Compared below: the difference is the useful message.
    }
    // Anything that would still follow (a second transition, a late notify) shows up here.
    await sleep(1500);
    proc.signal('SIGTERM');
    await Promise.race([proc.exited(), sleep(5000)]);
    return read();
  } finally {
    f.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

const CASES: Case[] = [
  {
    name: 'weight-0 script that succeeds: no FAULT, BACKUP on the first success',
    conf: (d) => vrrpScript('/bin/true') + instance(d, { extra: TRACK_SCRIPT }),
    done: hasState('MASTER'),
    expected: ['script chk succeeded', 'BACKUP', 'MASTER'],
    expectedNotify: { scripts: ['nb', 'nm'], generic: [N('BACKUP'), N('MASTER')] },
  },
  {
    name: 'weight-0 script that succeeds, with init_fail (no effect in 2.2.7)',
    conf: (d) => vrrpScript('/bin/true', ['init_fail']) + instance(d, { extra: TRACK_SCRIPT }),
    done: hasState('MASTER'),
    expected: ['script chk succeeded', 'BACKUP', 'MASTER'],
    expectedNotify: { scripts: ['nb', 'nm'], generic: [N('BACKUP'), N('MASTER')] },
  },
  {
    name: 'weight-0 script with rise 2 and init_fail: the first success is still enough',
    conf: (d) => vrrpScript('/bin/true', ['rise 2', 'init_fail']) + instance(d, { extra: TRACK_SCRIPT }),
    done: hasState('MASTER'),
    expected: ['script chk succeeded', 'BACKUP', 'MASTER'],
    expectedNotify: { scripts: ['nb', 'nm'], generic: [N('BACKUP'), N('MASTER')] },
  },
  {
    name: 'weight-0 script that fails: FAULT notify, no state line',
    conf: (d) => vrrpScript('/bin/false') + instance(d, { extra: TRACK_SCRIPT }),
    done: hasNotify('nf'),
    expected: ['script chk returns 1', 'script chk failed (exited with status 1)'],
    expectedNotify: { scripts: ['nf'], generic: [N('FAULT')] },
  },
  {
    name: 'weight-0 script that fails, with init_fail',
    conf: (d) => vrrpScript('/bin/false', ['init_fail']) + instance(d, { extra: TRACK_SCRIPT }),
    done: hasNotify('nf'),
    expected: ['script chk returns 1', 'script chk failed (exited with status 1)'],
    expectedNotify: { scripts: ['nf'], generic: [N('FAULT')] },
  },
  {
    name: 'weight-0 script that fails twice, then succeeds: FAULT, BACKUP, MASTER',
    setup: (shared) => script(shared, 'fail-twice.sh', '#!/bin/sh\nn=$(cat "$1" 2>/dev/null || echo 0)\necho $((n+1)) > "$1"\n[ "$n" -ge 2 ]\n', 0o755),
    conf: (d, shared) => vrrpScript(`${join(shared, 'fail-twice.sh')} ${join(d, 'count')}`) + instance(d, { extra: TRACK_SCRIPT }),
    done: hasState('MASTER'),
    expected: ['script chk returns 1', 'script chk failed (exited with status 1)', 'script chk returns 0', 'script chk succeeded', 'BACKUP', 'MASTER'],
    expectedNotify: { scripts: ['nf', 'nb', 'nm'], generic: [N('FAULT'), N('BACKUP'), N('MASTER')] },
  },
  {
    name: 'address owner (state MASTER) with a weight-0 script: MASTER on the first success',
    conf: (d) => vrrpScript('/bin/true') + instance(d, { extra: TRACK_SCRIPT, priority: 255 }),
    done: hasState('MASTER'),
    expected: ['script chk succeeded', 'MASTER'],
    expectedNotify: { scripts: ['nm'], generic: [N('MASTER', 255)] },
  },
  {
    name: 'address owner whose weight-0 script fails twice: FAULT, then BACKUP, MASTER a down interval later',
    setup: (shared) => script(shared, 'fail-twice.sh', '#!/bin/sh\nn=$(cat "$1" 2>/dev/null || echo 0)\necho $((n+1)) > "$1"\n[ "$n" -ge 2 ]\n', 0o755),
    conf: (d, shared) => vrrpScript(`${join(shared, 'fail-twice.sh')} ${join(d, 'count')}`) + instance(d, { extra: TRACK_SCRIPT, priority: 255 }),
    done: hasState('MASTER'),
    expected: ['script chk returns 1', 'script chk failed (exited with status 1)', 'script chk returns 0', 'script chk succeeded', 'BACKUP', 'MASTER'],
    expectedNotify: { scripts: ['nf', 'nb', 'nm'], generic: [N('FAULT', 255), N('BACKUP', 255), N('MASTER', 255)] },
  },
  {
    name: 'weight-0 script with reverse that succeeds: FAULT notify (reverse faults on success)',
    conf: (d) => vrrpScript('/bin/true') + instance(d, { extra: ['track_script {', '  chk weight 0 reverse', '}'] }),
    done: hasNotify('nf'),
    expected: ['script chk succeeded'],
    expectedNotify: { scripts: ['nf'], generic: [N('FAULT')] },
  },
  {
    name: 'weight +10 script that succeeds: BACKUP (init) at once, then 100 -> 110',
    conf: (d) => vrrpScript('/bin/true', ['weight 10']) + instance(d, { extra: TRACK_SCRIPT }),
    done: hasState('MASTER'),
    expected: ['BACKUP (init)', 'script chk succeeded', 'priority 100 -> 110', 'MASTER'],
    expectedNotify: { scripts: ['nb', 'nm'], generic: [N('BACKUP'), N('MASTER', 110)] },
  },
  {
    name: 'weight +10 script with init_fail that succeeds',
    conf: (d) => vrrpScript('/bin/true', ['weight 10', 'init_fail']) + instance(d, { extra: TRACK_SCRIPT }),
    done: hasState('MASTER'),
    expected: ['BACKUP (init)', 'script chk succeeded', 'priority 100 -> 110', 'MASTER'],
    expectedNotify: { scripts: ['nb', 'nm'], generic: [N('BACKUP'), N('MASTER', 110)] },
  },
  {
    name: 'weight -10 script that fails: BACKUP (init), then 100 -> 90',
    conf: (d) => vrrpScript('/bin/false', ['weight -10']) + instance(d, { extra: TRACK_SCRIPT }),
    done: hasState('MASTER'),
    expected: ['BACKUP (init)', 'script chk returns 1', 'script chk failed (exited with status 1)', 'priority 100 -> 90', 'MASTER'],
    expectedNotify: { scripts: ['nb', 'nm'], generic: [N('BACKUP'), N('MASTER', 90)] },
  },
  {
    name: 'weight -10 script with init_fail that fails (init_fail does not pre-apply the -10)',
    conf: (d) => vrrpScript('/bin/false', ['weight -10', 'init_fail']) + instance(d, { extra: TRACK_SCRIPT }),
    done: hasState('MASTER'),
    expected: ['BACKUP (init)', 'script chk returns 1', 'script chk failed (exited with status 1)', 'priority 100 -> 90', 'MASTER'],
    expectedNotify: { scripts: ['nb', 'nm'], generic: [N('BACKUP'), N('MASTER', 90)] },
  },
  {
    name: 'track_interface (weight 0) down at start: FAULT with its cause',
    pre: (lab) => lab.exec('a', ['ip', 'link', 'add', 'trk0', 'type', 'veth', 'peer', 'name', 'trk1']),
    conf: (d) => instance(d, { extra: ['track_interface {', '  trk0', '}'] }),
    done: hasNotify('nf'),
    expected: ['FAULT cause (interface trk0 down)', 'FAULT'],
    expectedNotify: { scripts: ['nf'], generic: [N('FAULT')] },
  },
  {
    name: 'track_interface weight -20 down at start: 100 -> 80 before BACKUP (init)',
    pre: (lab) => lab.exec('a', ['ip', 'link', 'add', 'trk0', 'type', 'veth', 'peer', 'name', 'trk1']),
    conf: (d) => instance(d, { extra: ['track_interface {', '  trk0 weight -20', '}'] }),
    done: hasState('MASTER'),
    expected: ['priority 100 -> 80', 'BACKUP (init)', 'MASTER'],
    expectedNotify: { scripts: ['nb', 'nm'], generic: [N('BACKUP', 80), N('MASTER', 80)] },
  },
  {
    name: 'track_file (weight 0) missing at start: counts as 0, BACKUP (init)',
    conf: (d) => `track_file tf {\n  file "${join(d, 'absent')}"\n  weight 0\n}\n` + instance(d, { extra: ['track_file {', '  tf', '}'] }),
    done: hasState('MASTER'),
    expected: ['BACKUP (init)', 'MASTER'],
    expectedNotify: { scripts: ['nb', 'nm'], generic: [N('BACKUP'), N('MASTER')] },
  },
  {
    name: 'track_file (weight 0) non-zero at start: FAULT with its cause',
    pre: (_lab, d) => writeFileSync(join(d, 'f'), '1\n'),
    conf: (d) => `track_file tf {\n  file "${join(d, 'f')}"\n  weight 0\n}\n` + instance(d, { extra: ['track_file {', '  tf', '}'] }),
    done: hasNotify('nf'),
    expected: ['FAULT cause (tracked file tf has status -254)', 'FAULT'],
    expectedNotify: { scripts: ['nf'], generic: [N('FAULT')] },
  },
  {
    name: 'track_file weight 2 holding 5 at start: 100 -> 110 before BACKUP (init)',
    pre: (_lab, d) => writeFileSync(join(d, 'f'), '5\n'),
    conf: (d) => `track_file tf {\n  file "${join(d, 'f')}"\n  weight 2\n}\n` + instance(d, { extra: ['track_file {', '  tf', '}'] }),
    done: hasState('MASTER'),
    expected: ['priority 100 -> 110', 'BACKUP (init)', 'MASTER'],
    expectedNotify: { scripts: ['nb', 'nm'], generic: [N('BACKUP', 110), N('MASTER', 110)] },
  },
];

/** VI_1 (with `vi1Extra`) and VI_2 (tracking chk) in sync group G. */
function syncGroupConf(d: string, vi1Extra: string[] = []): string {
  const vi2 = instance(d, { extra: TRACK_SCRIPT })
    .replace(/^global_defs \{[\s\S]*?\n\}\n/, '')
    .replace('VI_1', 'VI_2')
    .replace('virtual_router_id 51', 'virtual_router_id 52')
    .replace(`${VIP}/24`, '192.0.2.101/24');
  return 'vrrp_sync_group G {\n  group {\n    VI_1\n    VI_2\n  }\n}\n' + instance(d, { extra: vi1Extra }) + vi2;
}

/** Both members FAULT at start, then BACKUP, then MASTER (compared as sets: members race). */
const SYNC_FAULT_BACKUP_MASTER = {
  scripts: ['nf', 'nf', 'nb', 'nb', 'nm', 'nm'],
  generic: ['FAULT', 'BACKUP', 'MASTER'].flatMap((st) => [N(st), N(st).replace('VI_1', 'VI_2')]),
};

/**
 * A sync group booted with VI_1's tracked trk0 down while VI_2's weight-0 script has not reported
 * yet. The script's first run (`firstRun`, in `shared`/`file`) drives both changes itself, so
 * their order does not depend on when the test sees the daemon's log; later runs succeed at once.
 * The interval (2 s) is longer than the first run, so no run overlaps another (keepalived 2.2.7
 * logs "skipping run" but starts an overlapping run anyway).
 */
function linkDownScriptPending(o: { name: string; file: string; firstRun: string; expected: string[] }): Case {
  return {
    name: o.name,
    setup: (shared) => script(shared, o.file, `#!/bin/sh\n[ -e "$1" ] && exit 0\n: > "$1"\n${o.firstRun}`, 0o755),
    pre: (lab) => lab.exec('a', ['ip', 'link', 'add', 'trk0', 'type', 'veth', 'peer', 'name', 'trk1']),
    conf: (d, shared) =>
      vrrpScript(`${join(shared, o.file)} ${join(d, 'ran')}`).replace('interval 1', 'interval 2') + syncGroupConf(d, ['track_interface {', '  trk0', '}']),
    done: hasState('VI_2 MASTER'),
    unorderedNotify: true,
    expected: o.expected,
    expectedNotify: SYNC_FAULT_BACKUP_MASTER,
  };
}

CASES.push(
  {
    name: 'sync group whose member VI_2 tracks a weight-0 script that succeeds: the whole group waits, then BACKUP',
    conf: (d) => vrrpScript('/bin/true') + syncGroupConf(d),
    done: hasState('VI_2 MASTER'),
    unorderedNotify: true,
    expected: ['script chk succeeded', 'VI_2 BACKUP', 'BACKUP', 'MASTER', 'VI_2 MASTER'],
    expectedNotify: {
      scripts: ['nb', 'nb', 'nm', 'nm'],
      generic: [N('BACKUP').replace('VI_1', 'VI_2'), N('BACKUP'), N('MASTER'), N('MASTER').replace('VI_1', 'VI_2')],
    },
  },
  {
    name: 'sync group whose member VI_2 tracks a weight-0 script that fails: only VI_2 notifies FAULT',
    conf: (d) => vrrpScript('/bin/false') + syncGroupConf(d),
    done: hasNotify('nf'),
    expected: ['script chk returns 1', 'script chk failed (exited with status 1)'],
    expectedNotify: { scripts: ['nf'], generic: [N('FAULT').replace('VI_1', 'VI_2')] },
  },
  // Conformance case 118 (test/conformance/vrrp/118-startup-sync-group-link-down-script-pending).
  // The script brings trk0 up after 0.5 s and reports success 0.5 s later.
  linkDownScriptPending({
    name: 'sync group booted with VI_1\'s tracked link down while VI_2\'s weight-0 script is pending: link up at 0.5 s, first success at 1 s',
    file: 'link-then-ok.sh',
    firstRun: 'sleep 0.5\n/bin/ip link set trk1 up && /bin/ip link set trk0 up\nsleep 0.5\nexit 0\n',
    // Nothing on the link coming up (the group still waits for VI_2's script). On the success
    // VI_2 goes BACKUP and takes VI_1 (held only by the group) with it; VI_2's down timer fires
    // first but VI_1 does not want MASTER yet, VI_1's fires next and takes the group to MASTER.
    expected: ['FAULT cause (interface trk0 down)', 'FAULT', 'VI_2 FAULT', 'script chk succeeded', 'VI_2 BACKUP', 'BACKUP', 'MASTER', 'VI_2 MASTER'],
  }),
  // Conformance case 119 (test/conformance/vrrp/119-startup-sync-group-script-then-link-up):
  // the same start with the order reversed: VI_2's script succeeds first (0.5 s), trk0 comes
  // up after it (1 s; the first run brings it up from a detached child once it has exited).
  linkDownScriptPending({
    name: 'sync group booted with VI_1\'s tracked link down while VI_2\'s weight-0 script is pending: first success at 0.5 s, link up at 1 s',
    file: 'ok-then-link.sh',
    firstRun: 'sleep 0.5\n(sleep 0.5; /bin/ip link set trk1 up && /bin/ip link set trk0 up) </dev/null >/dev/null 2>&1 &\nexit 0\n',
    // Nothing on the success (VI_1 still has its own fault). On the link coming up VI_1 goes
    // BACKUP and takes VI_2 with it; VI_1's down timer fires first but VI_2 does not want MASTER
    // yet, VI_2's fires next and takes the group to MASTER.
    expected: ['FAULT cause (interface trk0 down)', 'FAULT', 'VI_2 FAULT', 'script chk succeeded', 'BACKUP', 'VI_2 BACKUP', 'VI_2 MASTER', 'MASTER'],
  }),
);

// Issue 10 item 3: a track script that cannot run is disabled with keepalived's wording and then
// ignored, so the instance runs normally (it neither faults nor waits for it).
/**
 * A tracked script `file` in the shared directory (written with `body` and `mode` first, unless
 * it is to be missing) that cannot run or is unsafe: the instance goes BACKUP, then MASTER.
 */
function scriptProblem(o: { name: string; file: string; write?: { body: string; mode: number }; extra: string[]; expected: string[] }): Case {
  const { write } = o;
  return {
    name: o.name,
    ...(write && { setup: (shared: string) => script(shared, o.file, write.body, write.mode) }),
    conf: (d, shared) => vrrpScript(join(shared, o.file)) + instance(d, { extra: o.extra }),
    done: hasState('MASTER'),
    expected: o.expected,
    expectedNotify: { scripts: ['nb', 'nm'], generic: [N('BACKUP'), N('MASTER')] },
  };
}

const DISABLED: Case[] = [
  ...[false, true].map((sec) =>
    scriptProblem({
      name: `script not found${sec ? ' (enable_script_security)' : ''}: disabled, the instance runs`,
      file: 'nosuch.sh',
      extra: sec ? SECURE : TRACK_SCRIPT,
      expected: ['cannot access @/nosuch.sh - No such file or directory', 'disabling chk since not found/accessible', 'BACKUP (init)', 'MASTER'],
    }),
  ),
  ...[false, true].map((sec) =>
    scriptProblem({
      name: `script not executable${sec ? ' (enable_script_security)' : ''}: disabled, the instance runs`,
      file: 'noexec.sh',
      write: { body: '#!/bin/sh\nexit 1\n', mode: 0o644 },
      extra: sec ? SECURE : TRACK_SCRIPT,
      expected: ['not executable @/noexec.sh 0:0', 'BACKUP (init)', 'MASTER'],
    }),
  ),
  // A world-writable script: with enable_script_security disabled as insecure (it would fail),
  // without it reported but run (it succeeds).
  ...[true, false].map((sec) =>
    scriptProblem({
      name: sec ? 'world-writable script with enable_script_security: disabled as insecure, the instance runs' : 'world-writable script without enable_script_security: reported but run',
      file: 'unsafe.sh',
      write: { body: `#!/bin/sh\nexit ${sec ? 1 : 0}\n`, mode: 0o777 },
      extra: sec ? SECURE : TRACK_SCRIPT,
      expected: sec ? ['unsafe @/unsafe.sh - disabling', 'disabling chk due to insecure', 'BACKUP (init)', 'MASTER'] : ['unsafe @/unsafe.sh', 'script chk succeeded', 'BACKUP', 'MASTER'],
    }),
  ),
];

async function compare(c: Case): Promise<void> {
  const shared = mkdtempSync(join(tmpdir(), 'kt-trk-'));
  chmodSync(shared, 0o755);
  try {
    c.setup?.(shared);
    const [k, o] = await Promise.all([observe('keepalived', c, shared), observe('ours', c, shared)]);
    if (c.unorderedNotify) for (const x of [k, o, c.expectedNotify]) (x.scripts.sort(), x.generic.sort());
    expect({ transcript: o.transcript, scripts: o.scripts, generic: o.generic }, 'ours vs keepalived in this run').toEqual({
      transcript: k.transcript,
      scripts: k.scripts,
      generic: k.generic,
    });
    // "@" stands for the per-run directory of the check scripts.
    const recorded = c.expected.map((l) => l.replace('@', shared));
    expect({ transcript: k.transcript, scripts: k.scripts, generic: k.generic }, 'keepalived vs the transcript recorded for this case').toEqual({
      transcript: recorded,
      ...c.expectedNotify,
    });
  } finally {
    rmSync(shared, { recursive: true, force: true });
  }
}

describe('track scripts that cannot run: our daemon against keepalived 2.2.7 (real processes, namespaces)', () => {
  for (const c of DISABLED) itWhen(isRoot, hasKeepalived)(c.name, { timeout: 90_000 }, () => compare(c));
});

describe('tracker start-up sequences: our daemon against keepalived 2.2.7 (real processes, namespaces)', () => {
  for (const c of CASES) {
    itWhen(isRoot, hasKeepalived)(c.name, { timeout: 90_000 }, () => compare(c));
  }
});
