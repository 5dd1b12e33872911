// Which keepalived flags the daemon refuses (not implemented yet) and how --help marks them.
import { describe, expect, it } from 'vitest';
import { parseArgv, refusedFlagsLine, usageText, type CliOptions } from '../../../src/cli/argv.js';

function opts(argv: string[]): CliOptions {
  const r = parseArgv(argv, 'host');
  if (!r.ok) throw new Error(r.message);
  return r.options;
}

const REFUSED: [string[], string][] = [
  [['-X'], '-X/--release-vips'],
  [['-s', 'blue'], '-s/--namespace'],
  [['--namespace=blue'], '-s/--namespace'],
  [['-x'], '-x/--snmp'],
  [['-A', '/run/agentx'], '-A/--snmp-agent-socket'],
  [['-m'], '-m/--core-dump'],
  [['-M'], '-M/--core-dump-pattern'],
  [['--core-dump-pattern=core.%p'], '-M/--core-dump-pattern'],
];

/** Flags that work, or whose meaning holds trivially in a single foreground process. */
const ACCEPTED: string[][] = [
  ['-f', '/etc/k.conf'],
  ['-i', 'x'],
  ['-p', '/run/a.pid'],
  ['-r', '/run/b.pid'],
  ['-c', '/run/c.pid'],
  ['-b', '/run/d.pid'],
  ['-l'],
  ['-D'],
  ['-S', '3'],
  ['--log-facility=local7'],
  ['-G'],
  ['--syslog-socket', '/run/log.sock'],
  ['--log-format=json'],
  ['-n'],
  ['-P'],
  ['-C'],
  ['--check'],
  ['-P', '-C'],
  ['-B'],
  ['-R'],
  ['-I'],
  ['-G'],
  ['-V'],
  ['-d'],
  ['-a'],
  ['-u', '027'],
  ['-g'],
  ['--log-file=/var/log/k.log'],
  ['--flush-log-file'],
  ['--all'],
  ['-e'],
];

describe('daemon flags', () => {
  it('each unsupported flag is refused in one line naming it', () => {
    for (const [argv, name] of REFUSED) {
      const line = refusedFlagsLine(opts(argv));
      expect(line, argv.join(' ')).toBeDefined();
      expect(line).not.toContain('\n');
      expect(line).toContain(name);
      expect(line).toMatch(/^keepalived-ts: not supported yet, refusing to start: /);
    }
  });

  it('several refused flags share the one line', () => {
    const line = refusedFlagsLine(opts(['-s', 'blue', '-X', '-x']))!;
    expect(line.split('\n')).toHaveLength(1);
    for (const n of ['-s/--namespace', '-X/--release-vips', '-x/--snmp']) expect(line).toContain(n);
  });

  it('supported flags, alone or all together, are not refused', () => {
    for (const argv of ACCEPTED) expect(refusedFlagsLine(opts(argv)), argv.join(' ')).toBeUndefined();
    expect(refusedFlagsLine(opts(ACCEPTED.flat()))).toBeUndefined();
  });

  it('--help marks exactly the refused flags as not supported yet', () => {
    const help = usageText();
    const marked = help
      .split('\n')
      .filter((l) => /^\s+-/.test(l) && l.includes('[not supported yet]'))
      .map((l) => /^\s+(-\w), --/.exec(l)?.[1] ?? /^\s+(--[\w-]+)/.exec(l)?.[1]);
    expect(marked.sort()).toEqual(['-A', '-M', '-X', '-m', '-s', '-x'].sort());
    // Every flag keepalived has is listed.
    for (const f of ['-f', '-P', '-C', '-B', '--all', '-l', '-D', '-S', '-g', '--flush-log-file', '-G', '-u', '-X', '-V', '-I', '-R', '-n', '-d', '-p', '-r', '-c', '-b', '-a', '-s', '-e', '-i', '-x', '-A', '-m', '-M', '--signum', '-t', '-v', '-h']) {
      expect(help, f).toMatch(new RegExp(`(^|\\s)${f}[,= ]`, 'm'));
    }
  });

  it('-S sets the facility; an invalid value keeps daemon with a warning, as keepalived does', () => {
    expect(opts(['-S', '3']).logFacility).toBe('local3');
    const bad = opts(['-S', 'bogus']);
    expect(bad.logFacility).toBe('daemon');
    expect(bad.warnings).toEqual(["Invalid log facility 'bogus'"]);
    expect(refusedFlagsLine(bad)).toBeUndefined();
  });

  it('--log-format takes text or json and refuses anything else with one line', () => {
    expect(opts([]).logFormat).toBe('text');
    expect(opts(['--log-format', 'json']).logFormat).toBe('json');
    expect(parseArgv(['--log-format=yaml'], 'h')).toEqual({ ok: false, message: 'Invalid --log-format yaml (text or json)', exitCode: 1 });
    expect(opts(['--syslog-socket=@kt-log']).syslogSocket).toBe('@kt-log');
  });
});
