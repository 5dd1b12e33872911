// The LVS side's part of the SIGUSR1 data dump: keepalived 2.2.7's checker child writes it to
// its own file, /tmp/keepalived_check.data (the VRRP child writes /tmp/keepalived.data). The
// layout is ours: per virtual server its service, quorum and pool, per real server its health,
// the weight it has (or would have) in the kernel's table, and the last checker result.
import type { LvsStatus } from './lvs-subsystem.js';

export const CHECK_DATA_FILE = '/tmp/keepalived_check.data';

export function formatCheckData(s: LvsStatus, c: { readonly pid: number; readonly now: number }): string {
  const out: string[] = [
    `------< keepalived-ts checkers, pid ${c.pid}, ${new Date(c.now).toISOString()} >------`,
    ` IPVS = ${s.ipvs}${s.error ? ` (${s.error})` : ''}`,
    ` Virtual servers = ${s.virtualServers.length}`,
  ];
  for (const v of s.virtualServers) {
    out.push(` Virtual server = ${v.label}`, `   Quorum = ${v.quorumUp ? 'up' : 'down'}`, `   In table = ${v.suspended ? 'no (ha_suspend)' : 'yes'}`);
    for (const r of v.realServers) {
      const checks = r.checkers !== undefined ? `, checkers up ${r.checkersUp}/${r.checkers}` : '';
      const last = r.lastResult !== undefined ? `, last result: ${r.lastResult}` : '';
      out.push(`   Real server = ${r.label}: ${r.alive ? 'alive' : 'down'}, weight ${r.weight}, pool ${r.pool}${checks}${last}`);
    }
  }
  return out.join('\n') + '\n';
}
