import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_FILE, defaultConfigId, parseArgv, SIGNUMS, type CliOptions } from '../../../src/cli/argv.js';

function ok(argv: string[], host = 'lb1.example.org'): CliOptions {
  const r = parseArgv(argv, host);
  if (!r.ok) throw new Error(`expected success, got: ${r.message}`);
  return r.options;
}
function fail(argv: string[]): { message: string; exitCode: number } {
  const r = parseArgv(argv, 'h');
  if (r.ok) throw new Error(`expected a usage error for ${argv.join(' ')}`);
  return r;
}

describe('parseArgv', () => {
  it('defaults match keepalived', () => {
    const o = ok([]);
    expect(o.configFile).toBe(DEFAULT_CONFIG_FILE);
    expect(o.configFileGiven).toBe(false);
    expect(o.configTest).toBe(false);
    expect(o.configId).toBe('lb1');
    expect(o.logFacility).toBe('daemon');
    expect(o.dontFork).toBe(false);
    expect(o.operands).toEqual([]);
  });

  it('config id defaults to the host name up to the first dot', () => {
    expect(defaultConfigId('db2.dc1.example.com')).toBe('db2');
    expect(defaultConfigId('plainhost')).toBe('plainhost');
    expect(ok([], 'node7').configId).toBe('node7');
    expect(ok(['-i', 'other'], 'node7.x').configId).toBe('other');
    expect(ok(['--config-id=abc']).configId).toBe('abc');
    expect(ok(['--config-id', 'abc']).configId).toBe('abc');
  });

  it('-f takes the next word, an attached value or --use-file=', () => {
    expect(ok(['-f', '/tmp/a.conf']).configFile).toBe('/tmp/a.conf');
    expect(ok(['-f/tmp/b.conf']).configFile).toBe('/tmp/b.conf');
    expect(ok(['--use-file=/tmp/c.conf']).configFile).toBe('/tmp/c.conf');
    expect(ok(['--use-file', '/tmp/d.conf']).configFile).toBe('/tmp/d.conf');
    expect(ok(['-f', '/tmp/d.conf']).configFileGiven).toBe(true);
  });

  it('-t takes an optional attached log file and implies -n, -R, -G', () => {
    const t = ok(['-t']);
    expect(t.configTest).toBe(true);
    expect(t.configTestLog).toBeUndefined();
    expect(t.dontFork && t.dontRespawn && t.noSyslog).toBe(true);
    expect(ok(['-t/tmp/log']).configTestLog).toBe('/tmp/log');
    expect(ok(['--config-test=/tmp/log2']).configTestLog).toBe('/tmp/log2');
    // An optional argument must be attached: the next word is an operand, as with getopt.
    const sep = ok(['--config-test', 'word']);
    expect(sep.configTestLog).toBeUndefined();
    expect(sep.operands).toEqual(['word']);
  });

  it('bundled short flags', () => {
    const o = ok(['-nlDP', '-C']);
    expect([o.dontFork, o.logConsole, o.logDetail, o.vrrpOnly, o.checkOnly]).toEqual([true, true, true, true, true]);
    const p = ok(['-nf', '/x.conf']);
    expect(p.dontFork).toBe(true);
    expect(p.configFile).toBe('/x.conf');
    const q = ok(['-lfy.conf']);
    expect(q.logConsole).toBe(true);
    expect(q.configFile).toBe('y.conf');
  });

  it('every flag of the task sets its field', () => {
    const o = ok(['-p', '/r/p', '-r', '/r/v', '-c', '/r/c', '-d', '-V', '-e', '-v', '-h', '--dump-config', '-S', 'local3']);
    expect(o.pidFile).toBe('/r/p');
    expect(o.vrrpPidFile).toBe('/r/v');
    expect(o.checkersPidFile).toBe('/r/c');
    expect(o.dumpConf).toBe(true);
    expect(o.dontReleaseVrrp).toBe(true);
    expect(o.allConfig).toBe(true);
    expect(o.version).toBe(true);
    expect(o.help).toBe(true);
    expect(o.dumpConfig).toBe(true);
    expect(o.logFacility).toBe('local3');
    const l = ok(['--vrrp_pid=/a', '--checkers_pid=/b', '--pid=/c', '--log-console', '--log-detail', '--dont-fork', '--check', '--vrrp', '--all-config', '--version', '--help', '--dump-conf', '--dont-release-vrrp']);
    expect([l.vrrpPidFile, l.checkersPidFile, l.pidFile]).toEqual(['/a', '/b', '/c']);
    expect([l.logConsole, l.logDetail, l.dontFork, l.checkOnly, l.vrrpOnly, l.allConfig, l.version, l.help, l.dumpConf, l.dontReleaseVrrp]).toEqual(Array(10).fill(true));
  });

  it('log facility accepts 0-7, local0-7, user, daemon; anything else is a warning', () => {
    expect(ok(['-S', '0']).logFacility).toBe('local0');
    expect(ok(['-S7']).logFacility).toBe('local7');
    expect(ok(['--log-facility=user']).logFacility).toBe('user');
    const bad = ok(['-S', '9']);
    expect(bad.logFacility).toBe('daemon');
    expect(bad.warnings).toEqual(["Invalid log facility '9'"]);
  });

  it('long options may be abbreviated to a unique prefix; `--dump-config` is ours, `--dump-conf` is keepalived\'s', () => {
    expect(ok(['--config-t']).configTest).toBe(true);
    expect(ok(['--use', 'z']).configFile).toBe('z');
    expect(ok(['--dump-config']).dumpConfig).toBe(true);
    expect(ok(['--dump-config']).dumpConf).toBe(false);
    expect(ok(['--dump-conf']).dumpConf).toBe(true);
    expect(ok(['--dump-conf']).dumpConfig).toBe(false);
  });

  it('unknown and ambiguous options fail like keepalived (exit 1)', () => {
    expect(fail(['--bogus'])).toEqual({ ok: false, message: 'Unknown option --bogus', exitCode: 1 });
    expect(fail(['-Z']).message).toBe('Unknown option -Z');
    expect(fail(['-nZ']).message).toBe('Unknown option -Z');
    expect(fail(['--conf']).message).toBe('Unknown option --conf'); // config-test or config-id
    expect(fail(['--d']).message).toBe('Unknown option --d');
    expect(fail(['--version=3']).message).toBe('Unknown option --version=3');
  });

  it('a missing required argument fails (exit 1)', () => {
    expect(fail(['-f'])).toMatchObject({ message: 'Missing parameter for option -f', exitCode: 1 });
    expect(fail(['-t', '-i']).message).toBe('Missing parameter for option -i');
    expect(fail(['--use-file']).message).toBe('Missing parameter for option --use-file');
  });

  it('operands are collected, -- ends options', () => {
    const o = ok(['-t', 'extra', '--', '-n']);
    expect(o.operands).toEqual(['extra', '-n']);
    expect(o.dontFork).toBe(true); // implied by -t, not by the operand
    expect(ok(['--', '-l']).logConsole).toBe(false);
  });

  it('--signum knows keepalived\'s names and numbers', () => {
    expect(ok(['--signum=RELOAD']).signum).toBe('RELOAD');
    expect(SIGNUMS.STOP).toBe(15);
    expect(SIGNUMS.JSON).toBe(36);
    expect(fail(['--signum=FOO']).message).toBe('Unknown sigfunc FOO');
  });

  it('umask is numeric like strtoul(.., 0)', () => {
    expect(ok(['-u', '022']).umask).toBe(0o22);
    expect(ok(['-u', '18']).umask).toBe(18);
    expect(ok(['--umask=0x12']).umask).toBe(18);
    expect(fail(['-u', 'abc']).exitCode).toBe(1);
  });
});

describe('parseArgv properties', () => {
  it('never throws; failures are exit 1 with a one-line message', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.constantFrom('-t', '-f', '--', '-', '--use-file', '--config-test=', '-S', '--signum=JSON', '-nlD', '-i')), { maxLength: 8 }), (argv) => {
        const r = parseArgv(argv, 'host.example');
        if (!r.ok) {
          expect(r.exitCode).toBe(1);
          expect(r.message).not.toContain('\n');
          expect(r.message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('any order of boolean flags, bundled or not, sets exactly those flags', () => {
    const flags: Array<[string, keyof CliOptions]> = [
      ['n', 'dontFork'],
      ['l', 'logConsole'],
      ['D', 'logDetail'],
      ['P', 'vrrpOnly'],
      ['C', 'checkOnly'],
      ['d', 'dumpConf'],
      ['V', 'dontReleaseVrrp'],
      ['e', 'allConfig'],
      ['R', 'dontRespawn'],
    ];
    fc.assert(
      fc.property(fc.subarray(flags), fc.boolean(), (chosen, bundle) => {
        const argv = bundle ? (chosen.length ? ['-' + chosen.map(([c]) => c).join('')] : []) : chosen.map(([c]) => `-${c}`);
        const o = ok(argv);
        for (const [, key] of flags) expect(o[key]).toBe(chosen.some(([, k]) => k === key));
      }),
    );
  });
});
