// `npm run examples`: config-tests every annotated example in conf-examples/ and prints a
// human-readable summary of what each one configures (instances, VIPs, virtual servers,
// diagnostics). The live failover demo (`npm start`) is src/lab/demo.ts.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatDiagnostic } from '../lib/diagnostics.js';
import type { KeepalivedConfig, VirtualServer } from '../config/model.js';
import { runConfigTest } from './config-test.js';

/** The repository root: src/cli (tsx) or dist/src/cli (compiled). */
function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      readdirSync(join(dir, 'conf-examples'));
      return dir;
    } catch {
      dir = dirname(dir);
    }
  }
  throw new Error('conf-examples/ not found');
}

function vsName(vs: VirtualServer): string {
  const t = vs.target;
  switch (t.kind) {
    case 'address':
      return `${t.ip.family === 'inet6' ? `[${t.ip.text}]` : t.ip.text}:${t.port}`;
    case 'fwmark':
      return `fwmark ${t.fwmark}`;
    case 'group':
      return `group ${t.group}`;
  }
}

/** A few indented lines describing one model. */
export function summarise(m: KeepalivedConfig): string[] {
  const out: string[] = [];
  if (m.globalDefs.routerId) out.push(`router_id ${m.globalDefs.routerId}`);
  for (const g of m.vrrpSyncGroups) out.push(`sync group ${g.name}: ${g.group.join(', ')}`);
  for (const s of m.vrrpScripts) out.push(`check script ${s.name}`);
  for (const i of m.vrrpInstances) {
    const vips = i.virtualIpaddress.map((v) => `${v.ip.address}/${v.ip.prefixLen}`).join(', ') || 'none';
    const mode = i.unicast ? `unicast to ${i.unicastPeer.map((p) => p.ip.text).join(', ')}` : 'multicast';
    const tracks = [...i.trackScript.map((t) => `script ${t.name}`), ...i.trackInterface.map((t) => `interface ${t.name}`)];
    out.push(
      `vrrp_instance ${i.name}: VRRPv${i.version} ${i.family === 'inet6' ? 'IPv6' : 'IPv4'} on ${i.interface ?? '?'}, ` +
        `VRID ${i.virtualRouterId ?? '?'}, priority ${i.priority}, ${i.state}${i.nopreempt ? ' (nopreempt)' : ''}, ` +
        `advert ${i.advertInt / 100} s, ${mode}`,
    );
    out.push(`    VIPs: ${vips}`);
    if (tracks.length) out.push(`    tracks: ${tracks.join(', ')}`);
  }
  for (const vs of m.virtualServers) {
    const extra = [vs.quorum > 1 ? `quorum ${vs.quorum}` : '', vs.sorryServer ? `sorry server ${vs.sorryServer.ip.text}` : ''].filter(Boolean);
    out.push(`virtual_server ${vsName(vs)} ${vs.protocol} ${vs.lbKind}/${vs.lbAlgo}${extra.length ? `, ${extra.join(', ')}` : ''}`);
    for (const rs of vs.realServers) {
      const checks = rs.checkers.map((c) => c.kind).join('+');
      out.push(`    real_server ${rs.ip.text}${rs.port !== undefined ? `:${rs.port}` : ''} weight ${rs.weight}${checks ? ` (${checks})` : ''}`);
    }
  }
  return out;
}

function main(): number {
  const root = findRepoRoot();
  const dir = join(root, 'conf-examples');
  let worst = 0;
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.conf')).sort()) {
    const path = join(dir, f);
    // A file written for several hosts (`@db1 ...`) is shown as its first host sees it.
    const configId = /^@\^?(\S+)/m.exec(readFileSync(path, 'utf8'))?.[1] ?? 'demo';
    const r = runConfigTest(path, { configId });
    // A check script that is not installed here is a fact about this host, not the example.
    const hostOnly = r.diagnostics.length > 0 && r.diagnostics.every((d) => d.code === 'script-not-found');
    if (!hostOnly) worst = Math.max(worst, r.exitCode);
    const verdict = r.exitCode === 0 ? 'OK' : hostOnly ? `OK (exit ${r.exitCode} on this host: a check script is not installed)` : `exit ${r.exitCode}`;
    const as = configId === 'demo' ? '' : ` (as config id '${configId}')`;
    process.stdout.write(`\n== ${relative(root, path)}${as}: ${verdict}, ${r.diagnostics.length} diagnostic(s)\n`);
    if (r.fatal) process.stdout.write(`   ${r.fatal}\n`);
    for (const d of r.diagnostics) process.stdout.write(`   ${formatDiagnostic(d)}\n`);
    if (r.model) for (const line of summarise(r.model)) process.stdout.write(`   ${line}\n`);
  }
  process.stdout.write(`\n(checked and summarised only; \`npm start\` runs the live failover demo)\n`);
  return worst === 0 ? 0 : 1;
}

try {
  process.exitCode = main();
} catch (e) {
  process.stderr.write(`demo: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
}
