// HTTP_GET and SSL_GET in a running daemon (the real CLI, its checker child process) in a network
// namespace, against the test HTTP/HTTPS server (test/integration/check/http-server.ts) in the
// same namespace. This host has no IPVS: the checkers still run and report through their log
// lines and notify_up / notify_down. The server is stopped and started again on the same ports:
// keepalived's sequence follows (down after the retries; the failed url passing clears the mark,
// the next full pass brings the server up with its notify_up).
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import type { PeerProcess } from '../../../src/lab/keepalived-peer.js';
import { netnsIt, type NetnsFixture } from '../../helpers/netns-fixture.js';
import { runs } from '../../helpers/require.js';
import { makeCertificates } from '../check/http-server.js';
import { nodeDir, notifyScript, REPO, waitUntil } from './daemon-lab.js';

const hasOpenssl = runs('openssl', ['version'], 'openssl not installed');
const ADDR = '192.0.2.5';
const HTTP = 8080;
const HTTPS = 8443;

/** The test server in host d on ADDR, once it has said its ports. */
async function startServer(f: NetnsFixture, tlsDir: string): Promise<PeerProcess> {
  const p = f.watch(f.lab.spawn('d', ['node', '--import', 'tsx', join(REPO, 'test/integration/check/http-server.ts'), ADDR, tlsDir, `${HTTP}`, `${HTTPS}`], { cwd: REPO }));
  await p.waitFor(/^ports /, 30_000);
  return p;
}

function config(dir: string, tlsDir: string): string {
  const up = notifyScript(dir, 'up');
  const down = notifyScript(dir, 'down');
  return `global_defs {
  script_user root
}
SSL {
  certificate ${join(tlsDir, 'client.crt')}
  key ${join(tlsDir, 'client.key')}
  password secret
}
virtual_server 192.0.2.100 80 {
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server ${ADDR} ${HTTP} {
    notify_up "${up} web UP"
    notify_down "${down} web DOWN"
    HTTP_GET {
      url {
        path /ok
        status_code 200-204
        regex "real server"
      }
      connect_timeout 1
      retry 1
      delay_before_retry 1
      warmup 0
    }
  }
  real_server ${ADDR} ${HTTPS} {
    notify_up "${up} tls UP"
    notify_down "${down} tls DOWN"
    SSL_GET {
      url {
        path /echo
        virtualhost www.example.test
      }
      enable_sni
      connect_timeout 1
      retry 0
      warmup 0
    }
  }
  real_server ${ADDR} 9 {
    HTTP_GET {
      url {
        path /
        regex "x"
        regex_options extended
      }
    }
  }
}
`;
}

describe('HTTP_GET and SSL_GET in the daemon', () => {
  netnsIt('dhtp', hasOpenssl)('keepalived\'s lines and notify scripts as the web server goes away and comes back; an option we cannot honour is said at start', 120_000, async (f) => {
    const tlsDir = mkdtempSync(join(tmpdir(), 'kt-dhttp-'));
    f.onCleanup(() => rmSync(tlsDir, { recursive: true, force: true }));
    chmodSync(tlsDir, 0o755);
    makeCertificates(tlsDir);
    f.hosts({ d: `${ADDR}/24` });
    const srv = await startServer(f, tlsDir);

    const dir = nodeDir('d');
    const a = f.daemon('d', config(dir, tlsDir), { dir, extraArgs: ['-C', '-c', join(dir, 'checkers.pid')] });
    const web = `[${ADDR}]:tcp:${HTTP}`;
    const tls = `[${ADDR}]:tcp:${HTTPS}`;
    await a.waitFor(new RegExp(`Remote Web server \\[192\\.0\\.2\\.5\\]:tcp:${HTTP} succeed on service\\.`), 20_000);
    await a.waitFor(new RegExp(`Remote Web server \\[192\\.0\\.2\\.5\\]:tcp:${HTTPS} succeed on service\\.`), 20_000);
    expect(a.lines.some((l) => l.includes('HTTP_GET with regex_options on [192.0.2.5]:tcp:9 is not run yet by keepalived-ts (regex_options extended'))).toBe(true);
    // Servers that start up and pass get no notify_up (keepalived: no change of state).
    expect(a.notifications()).toEqual([]);

    // The server goes away: after the retries, both real servers are down with notify_down.
    srv.signal('SIGKILL');
    await srv.exited();
    await waitUntil('notify_down web and tls', () => a.notifications().includes('down [web] [DOWN]') && a.notifications().includes('down [tls] [DOWN]'), 20_000);
    expect(a.lines.some((l) => l.includes(`HTTP_CHECK on service ${web} failed after 1 retries.`))).toBe(true);
    expect(a.lines.some((l) => l.includes(`HTTP_CHECK on service ${tls} failed.`))).toBe(true);

    // Back on the same ports: the failed url passes (its success line), then the next pass is up.
    await startServer(f, tlsDir);
    await waitUntil('notify_up web and tls', () => a.notifications().includes('up [web] [UP]') && a.notifications().includes('up [tls] [UP]'), 20_000);
    const after = a.lines.slice(a.lines.findIndex((l) => l.includes(`HTTP_CHECK on service ${web} failed`)));
    const webLines = after.filter((l) => l.includes(web) && /success|succeed/.test(l)).map((l) => l.replace(/^.*?(Regex match|Remote Web)/, '$1'));
    expect(webLines.slice(0, 3)).toEqual([`Regex match success to ${web} url(/ok)`, `Regex match success to ${web} url(/ok)`, `Remote Web server ${web} succeed on service.`]);
    expect(a.notifications()).toEqual(expect.arrayContaining(['down [web] [DOWN]', 'down [tls] [DOWN]', 'up [web] [UP]', 'up [tls] [UP]']));
    expect(a.notifications()).toHaveLength(4);
    expect(a.child.exitCode).toBeNull();
    a.signal('SIGTERM');
    expect(await a.exitCode()).toBe(0);
  });
});
