// A flag the daemon does not implement yet refuses the start: one line on stderr, exit 4, before
// anything else happens (no pid file, no socket). `-t` ignores daemon-only flags, as keepalived
// -t does, so the same command line still checks a configuration.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './lib/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'kt-flags-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const conf = join(dir, 'keepalived.conf');
writeFileSync(
  conf,
  'global_defs {\n  script_user root\n}\nvrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  priority 100\n  virtual_ipaddress {\n    192.0.2.100/24\n  }\n}\n',
);

describe('refused daemon flags', () => {
  for (const [argv, name] of [
    [['-s', 'blue'], '-s/--namespace'],
    [['-X'], '-X/--release-vips'],
    [['--snmp'], '-x/--snmp'],
  ] as const) {
    it(`${argv.join(' ')}: exit 4 with one line naming ${name}, no pid file`, async () => {
      const pid = join(dir, `${name.replace(/\W/g, '')}.pid`);
      const r = await runCli(['-f', conf, '-p', pid, '-r', pid + '.vrrp', ...argv]);
      expect(r.status).toBe(4);
      const lines = r.stderr.split('\n').filter(Boolean);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(name);
      expect(r.stdout).toBe('');
      expect(existsSync(pid)).toBe(false);
    });
  }

  it('-t with the same flags checks the configuration exactly as without them', async () => {
    const plain = await runCli(['-t', '-f', conf]);
    const r = await runCli(['-t', '-f', conf, '-s', 'blue', '-C', '-x']);
    expect(r.stderr).toBe(plain.stderr);
    expect(r.status).toBe(plain.status);
    expect(r.stderr).not.toMatch(/not supported yet/);
  });
});
