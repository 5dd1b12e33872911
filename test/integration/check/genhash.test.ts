// `keepalived-ts genhash` next to keepalived 2.2.7's own genhash (Debian's /usr/bin/genhash, a
// link to keepalived), run one after the other in a network namespace this test creates against
// the same test server (http-server.ts) inside it: stdout, stderr and the exit code compared
// byte for byte. What must differ is left out: the program name in the usage text (whose wording
// is ours), the response time in microseconds of -v.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { Lab } from '../../../src/lab/lab.js';
import { isRoot, itWhen, pathsExist, runs } from '../../helpers/require.js';
import { hasKeepalived } from '../../acceptance/lib/keepalived.js';
import { makeCertificates } from './http-server.js';

const REPO = resolve(import.meta.dirname, '../../..');
const CLI = process.env.KT_DAEMON_CLI === 'bundle' ? [join(REPO, 'dist/bin/keepalived-ts.mjs')] : ['--import', 'tsx', join(REPO, 'src/cli/main.ts')];
const hasGenhash = pathsExist('/usr/bin/genhash');
const hasOpenssl = runs('openssl', ['version'], 'openssl not installed');

let lab: Lab | undefined;
let server: ChildProcess | undefined;
let dir: string;
let http = 0;
let https = 0;

interface Out {
  code: number | null;
  stdout: string;
  stderr: string;
}

function inLab(argv: string[]): Out {
  const r = spawnSync('ip', ['netns', 'exec', lab!.host('d').netns, ...argv], { cwd: REPO, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const theirs = (args: string[]) => inLab(['genhash', ...args]);
const ours = (args: string[]) => inLab(['node', ...CLI, 'genhash', ...args]);

beforeAll(async () => {
  if (isRoot() !== undefined || hasGenhash() !== undefined || hasOpenssl() !== undefined || hasKeepalived() !== undefined) return;
  dir = mkdtempSync(join(tmpdir(), 'kt-genhash-'));
  chmodSync(dir, 0o755);
  makeCertificates(dir);
  lab = new Lab('gh');
  lab.addHost({ name: 'd', addresses: ['192.0.2.5/24', 'fd00:5e::5/64'] });
  server = lab.spawn('d', ['node', '--import', 'tsx', join(REPO, 'test/integration/check/http-server.ts'), '::', dir], { cwd: REPO });
  const line = await new Promise<string>((res, rej) => {
    server!.stdout!.once('data', (d: Buffer) => res(d.toString()));
    server!.once('exit', () => rej(new Error('test server exited')));
  });
  [, http, https] = line.trim().split(' ').map(Number) as [number, number, number];
}, 60_000);

afterAll(() => {
  if (server?.pid !== undefined && server.exitCode === null) server.kill('SIGKILL');
  lab?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('genhash: keepalived-ts next to keepalived 2.2.7', () => {
  itWhen(isRoot, hasKeepalived, hasGenhash, hasOpenssl)(
    'the same digests, reasons and exit codes (plain, chunked, Content-Length cut, IPv6, virtualhost, protocols, TLS, refused, no header, timeout)',
    () => {
      const cases: string[][] = [
        ['-s', '192.0.2.5', '-p', `${http}`, '-u', '/ok'],
        ['-s', '192.0.2.5', '-p', `${http}`, '-u', '/chunked'],
        ['-s', '192.0.2.5', '-p', `${http}`, '-u', '/long'],
        ['-s', '192.0.2.5', '-p', `${http}`, '-u', '/short'],
        ['-s', '192.0.2.5', '-p', `${http}`, '-u', '/lower'],
        ['-s', '192.0.2.5', '-p', `${http}`, '-u', '/big'],
        ['-s', '192.0.2.5', '-p', `${http}`, '-u', '/status/503'],
        // /echo answers with the request itself: the same digest is the same request bytes.
        ['-s', '192.0.2.5', '-p', `${http}`, '-u', '/echo'],
        ['-s', 'fd00:5e::5', '-p', `${http}`, '-u', '/echo'],
        ['-s', '192.0.2.5', '-p', `${http}`, '-u', '/echo', '-V', 'www.example.test'],
        ['-s', '192.0.2.5', '-p', `${http}`, '-u', '/echo', '-P', '1.1'],
        ['--server', '192.0.2.5', '--port', `${http}`, '--url=/echo', '--protocol', '1.0c'],
        ['-S', '-s', '192.0.2.5', '-p', `${https}`, '-u', '/ok'],
        ['-S', '-I', '-V', 'sni.example.test', '-s', '192.0.2.5', '-p', `${https}`, '-u', '/echo'],
        ['-s', '192.0.2.5', '-p', '1', '-u', '/ok'],
        ['-s', '192.0.2.5', '-p', `${http}`, '-u', '/noheader'],
        ['-s', '192.0.2.5', '-p', `${http}`, '-u', '/slow/4000', '-t', '1'],
        ['-s', '192.0.2.5', '-p', `${http}`, '-u', '/nowhere'],
      ];
      const outs: string[] = [];
      for (const args of cases) {
        const t = theirs(args);
        expect(t.code, `keepalived genhash ${args.join(' ')}: ${t.stderr}`).toBe(0);
        expect(ours(args), `genhash ${args.join(' ')}`).toEqual(t);
        outs.push(t.stdout + t.stderr);
      }
      // Not a comparison of two empty outputs: digests where there are pages, then the reasons.
      for (const o of outs.slice(0, 14)) expect(o).toMatch(/^[0-9a-f]{32}\n$/);
      expect(new Set(outs.slice(7, 14)).size).toBe(7);
      expect(outs.slice(14)).toEqual(['Connection failed\n', 'no data received from remote webserver\n', 'Timeout WEB read\n', outs[17]]);
    },
    240_000,
  );

  itWhen(isRoot, hasKeepalived, hasGenhash, hasOpenssl)(
    'keepalived -T / --genhash: genhash mode from the main program, with the warning when options come first',
    () => {
      for (const pre of [['-T'], ['--genhash'], ['-l', '-T'], ['-D', '--genhash']]) {
        const args = [...pre, '-s', '192.0.2.5', '-p', `${http}`, '-u', '/ok'];
        const t = inLab(['keepalived', ...args]);
        expect(t.stdout).toMatch(/^[0-9a-f]{32}\n$/);
        expect(inLab(['node', ...CLI, ...args]), args.join(' ')).toEqual(t);
      }
    },
    60_000,
  );

  itWhen(isRoot, hasKeepalived, hasGenhash, hasOpenssl)(
    '-v: the same dumps of header, body and digest; only the response time differs',
    () => {
      const time = /(Global response time for \[[^\]]*\] = )\d+( usecs)/;
      for (const path of ['/ok', '/echo']) {
        const args = ['-v', '-s', '192.0.2.5', '-p', `${http}`, '-u', path];
        const t = theirs(args);
        const o = ours(args);
        expect(t.stdout).toMatch(time);
        expect(t.stdout).toContain('HTTP Header Ascii Buffer');
        expect({ ...o, stdout: o.stdout.replace(time, '$1N$2') }).toEqual({ ...t, stdout: t.stdout.replace(time, '$1N$2') });
      }
    },
    60_000,
  );

  itWhen(isRoot, hasKeepalived, hasGenhash, hasOpenssl)(
    'bad command lines: the same complaint line and exit code 1, then a usage text',
    () => {
      const cases: string[][] = [
        ['-s', '192.0.2.5', '-p', `${http}`],
        ['-s', 'www.example.test', '-p', '80', '-u', '/'],
        ['-s', '192.0.2.5', '-p', '0', '-u', '/'],
        ['-s', '192.0.2.5', '-p', '80', '-u', '/', '-P', '2.0'],
        ['-s', '192.0.2.5', '-p', '80', '-u', '/', '-t', 'x'],
        ['-s', '192.0.2.5', '-p', '80', '-u', '/', '-q'],
        ['-s', '192.0.2.5', '-p', '80', '-u', '/', 'extra', 'words'],
        ['-s', '192.0.2.5', '-p', '80', '-u'],
        ['-h'],
        [],
      ];
      const firstUsage = (s: string) => s.slice(0, s.indexOf('Usage: '));
      for (const args of cases) {
        const t = theirs(args);
        const o = ours(args);
        expect(o.code, args.join(' ')).toBe(t.code);
        expect(t.code).toBe(1);
        expect(o.stdout).toBe(t.stdout);
        expect(firstUsage(o.stderr), args.join(' ')).toBe(firstUsage(t.stderr));
        expect(o.stderr).toContain('Usage: keepalived-ts genhash COMMAND [OPTIONS]');
      }
    },
    120_000,
  );
});
