// keepalived -t exits 6 ("SECURITY VIOLATION - scripts are being executed but script_security
// not enabled") exactly when at least one configured script resolves to an existing executable
// and enable_script_security is absent. Same configs, both programs, same verdict.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect } from 'vitest';
import { runConfigTest } from '../../src/cli/config-test.js';
import { formatDiagnostic } from '../../src/lib/diagnostics.js';
import { isRoot, itWhen } from '../helpers/require.js';
import { hasKeepalived, hasUnshare, keepalivedConfigTest } from './lib/keepalived.js';

const dir = mkdtempSync(join(tmpdir(), 'kt-sec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const instance = (extra: string): string => `vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 100
${extra}
  virtual_ipaddress {
    192.0.2.10/24
  }
}
`;
const vs = (extra: string, rsExtra = '', check = 'TCP_CHECK {\n      connect_timeout 3\n    }'): string => `virtual_server 192.0.2.1 80 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
${extra}
  real_server 192.0.2.2 80 {
${rsExtra}
    ${check}
  }
}
`;

const CASES: Record<string, { text: string; violation: boolean }> = {
  'notify_master with an absolute path': { text: instance('  notify_master "/bin/true"'), violation: true },
  'notify found through PATH': { text: instance('  notify "true"'), violation: true },
  'track script (vrrp_script)': {
    text: `vrrp_script chk {\n  script "/bin/true"\n  interval 2\n}\n${instance('  track_script {\n    chk\n  }')}`,
    violation: true,
  },
  'script that does not exist': { text: instance('  notify_master "/nonexistent/kt/notify.sh"'), violation: false },
  'no scripts at all': { text: instance(''), violation: false },
  'MISC_CHECK misc_path': { text: vs('', '', 'MISC_CHECK {\n      misc_path "/bin/true arg"\n    }'), violation: true },
  'real_server notify_up': { text: vs('', '    notify_up "true"'), violation: true },
  'virtual_server quorum_up': { text: vs('  quorum_up "/bin/true"'), violation: true },
  'sync group notify': {
    text: `vrrp_sync_group G {\n  group {\n    VI_1\n  }\n  notify_master "/bin/true"\n}\n${instance('')}`,
    violation: true,
  },
};

describe('script security: keepalived-ts -t agrees with keepalived -t on exit 6', () => {
  for (const [name, c] of Object.entries(CASES)) {
    itWhen(isRoot, hasKeepalived, hasUnshare)(name, async () => {
      const file = join(dir, `${name.replace(/\W+/g, '-')}.conf`);
      writeFileSync(file, c.text);
      const ka = await keepalivedConfigTest(file, 'kt-sec', { interfaces: ['eth0'] });
      const ours = runConfigTest(file, { configId: 'kt-sec', pathEnv: process.env.PATH });
      const context = `keepalived (exit ${ka.status}):\n${ka.lines.join('\n')}\nours (exit ${ours.exitCode}):\n${ours.diagnostics.map(formatDiagnostic).join('\n')}`;
      expect(ka.status === 6, context).toBe(c.violation);
      expect(ours.exitCode === 6, context).toBe(c.violation);
      expect(ka.lines.some((l) => l.includes('SECURITY VIOLATION')), context).toBe(c.violation);
    });
  }
});
