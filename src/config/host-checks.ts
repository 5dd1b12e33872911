// What `keepalived -t` checks against the host it runs on, as a pure function of the config
// tree and a description of the host (which interfaces exist, which users exist). The caller
// reads the host: `-t` from /sys/class/net and /etc/passwd, the daemon from the kernel's links.
//
// keepalived 2.2.7 (observed with `keepalived -t` in a namespace):
// - an instance's `interface`, a `track_interface` entry, a VIP's `dev` and a virtual route's
//   `dev` that name no interface each get one warning at their line, then the VRRP side prints
//   "Non-existent interface specified in configuration" and stops: the script security check
//   is not reached, and -t exits 5 (the warnings are less severe than "cannot run", and
//   keepalived keeps the least severe class, reference section 1.6).
// - a vrrp_script whose `user` does not exist: "Unable to set uid/gid for script 'CMD'" at the
//   `user` line; the script is then removed, as if it had never been configured.
import type { Diagnostic } from '../lib/diagnostics.js';
import type { ConfigTree, Statement } from './ast.js';

export interface HostFacts {
  /** Names of the interfaces that exist. */
  readonly interfaces: ReadonlySet<string>;
  /** True when the user name exists; undefined = users not checked. */
  readonly userExists?: (name: string) => boolean;
}

/** The summary line keepalived prints after the interface warnings. */
export const NON_EXISTENT_INTERFACE = 'Non-existent interface specified in configuration';

function devOf(s: Statement): { name: string; loc: Diagnostic['loc'] } | undefined {
  const words = [{ text: s.keyword, loc: s.loc }, ...s.args];
  for (let i = 0; i + 1 < words.length; i++) if (words[i].text === 'dev') return { name: words[i + 1].text, loc: words[i + 1].loc };
  return undefined;
}

/**
 * Interfaces the VRRP instances name that do not exist on the host, each worded like
 * keepalived, followed (when there is one) by keepalived's summary line as an error.
 */
export function interfaceDiagnostics(tree: ConfigTree, host: HostFacts): Diagnostic[] {
  const out: Diagnostic[] = [];
  const missing = (name: string): boolean => !host.interfaces.has(name);
  for (const vi of tree.statements) {
    if (vi.keyword !== 'vrrp_instance' || !vi.block) continue;
    const inst = vi.args[0]?.text ?? '';
    for (const s of vi.block) {
      if (s.keyword === 'interface' && s.args[0] && missing(s.args[0].text)) {
        out.push({
          severity: 'warning',
          code: 'no-interface',
          message: `WARNING - interface ${s.args[0].text} for vrrp_instance ${inst} doesn't exist`,
          loc: s.args[0].loc,
          text: s.args[0].text,
          hint: 'no such interface on this host',
        });
      } else if (s.keyword === 'track_interface' && s.block) {
        for (const t of s.block) {
          if (!missing(t.keyword)) continue;
          out.push({ severity: 'warning', code: 'no-interface', message: `(${inst}) tracked interface ${t.keyword} doesn't exist`, loc: t.loc, text: t.keyword });
        }
      } else if ((s.keyword === 'virtual_ipaddress' || s.keyword === 'virtual_ipaddress_excluded') && s.block) {
        for (const a of s.block) {
          const dev = devOf(a);
          if (!dev || !missing(dev.name)) continue;
          out.push({ severity: 'warning', code: 'no-interface', message: `WARNING - interface ${dev.name} for ip address ${a.keyword} doesn't exist`, loc: dev.loc, text: dev.name });
        }
      } else if (s.keyword === 'virtual_routes' && s.block) {
        for (const r of s.block) {
          const dev = devOf(r);
          if (!dev || !missing(dev.name)) continue;
          out.push({ severity: 'warning', code: 'no-interface', message: `WARNING - interface ${dev.name} for VROUTE nexthop doesn't exist`, loc: dev.loc, text: dev.name });
        }
      }
    }
  }
  if (out.length > 0) {
    out.push({
      severity: 'error',
      code: 'bad-interface',
      message: NON_EXISTENT_INTERFACE,
      loc: out[0].loc,
      hint: `${out.length} missing on this host`,
    });
  }
  return out;
}

/** The first word of a vrrp_script's `script` line, for keepalived's message. */
function scriptCommand(block: readonly Statement[]): string {
  const s = block.find((x) => x.keyword === 'script');
  return s ? s.args.map((a) => a.text).join(' ') : '';
}

/**
 * vrrp_script blocks whose `user` does not exist on the host. Returns the diagnostics and the
 * names of the scripts keepalived removes for it (the later script checks skip them).
 */
export function scriptUserDiagnostics(tree: ConfigTree, host: HostFacts): { diagnostics: Diagnostic[]; removed: Set<string> } {
  const diagnostics: Diagnostic[] = [];
  const removed = new Set<string>();
  if (!host.userExists) return { diagnostics, removed };
  // global_defs script_user that does not exist: keepalived says so at that line, and every
  // vrrp_script without its own `user` is then removed.
  let defaultUserMissing = false;
  for (const gd of tree.statements) {
    if (gd.keyword !== 'global_defs' || !gd.block) continue;
    for (const su of gd.block) {
      const name = su.keyword === 'script_user' ? su.args[0]?.text.split(':')[0] : undefined;
      if (name === undefined || host.userExists(name)) continue;
      defaultUserMissing = true;
      diagnostics.push({ severity: 'warning', code: 'script-user-unknown', message: 'Error setting global script uid/gid', loc: su.args[0].loc, text: name, hint: `user '${name}' does not exist on this host` });
    }
  }
  for (const vs of tree.statements) {
    if (vs.keyword !== 'vrrp_script' || !vs.block) continue;
    const user = vs.block.find((s) => s.keyword === 'user');
    const name = user?.args[0]?.text;
    if (!user && defaultUserMissing) {
      const scriptName = vs.args[0]?.text ?? '';
      removed.add(scriptName);
      diagnostics.push({
        severity: 'warning',
        code: 'script-user-unknown',
        message: `Unable to set default user for vrrp script ${scriptName} - removing`,
        loc: vs.loc,
        text: scriptName,
        hint: "global_defs script_user does not exist on this host; keepalived reports the block's closing line",
      });
      continue;
    }
    if (!user || name === undefined || host.userExists(name)) continue;
    const scriptName = vs.args[0]?.text ?? '';
    removed.add(scriptName);
    diagnostics.push({
      severity: 'warning',
      code: 'script-user-unknown',
      message: `Unable to set uid/gid for script '${scriptCommand(vs.block)}'`,
      loc: user.args[0].loc,
      text: name,
      hint: `user '${name}' does not exist on this host; vrrp_script ${scriptName} is removed`,
    });
  }
  // Instances tracking a removed script then find no such script (keepalived's wording).
  for (const vi of removed.size > 0 ? tree.statements : []) {
    if (vi.keyword !== 'vrrp_instance' || !vi.block) continue;
    for (const t of vi.block) {
      if (t.keyword !== 'track_script' || !t.block) continue;
      for (const ref of t.block) {
        if (!removed.has(ref.keyword)) continue;
        diagnostics.push({
          severity: 'warning',
          code: 'unknown-reference',
          message: `(${vi.args[0]?.text ?? ''}) track script ${ref.keyword} not found, ignoring...`,
          loc: ref.loc,
          text: ref.keyword,
          hint: `vrrp_script ${ref.keyword} was removed: its user does not exist on this host`,
        });
      }
    }
  }
  return { diagnostics, removed };
}

/**
 * `diagnostics` in the order their lines are read (the main file, with each included file's
 * lines where its include stands), then by column; ties keep their order. A diagnostic on a
 * line with no statement (a closing brace) goes after the statement before it.
 */
export function inFileOrder(diagnostics: readonly Diagnostic[], tree: ConfigTree): Diagnostic[] {
  const perFile = new Map<string, [number, number][]>();
  let seq = 0;
  const walk = (stmts: readonly Statement[]): void => {
    for (const s of stmts) {
      let lines = perFile.get(s.loc.file);
      if (!lines) perFile.set(s.loc.file, (lines = []));
      lines.push([s.loc.line, seq++]);
      if (s.block) walk(s.block);
    }
  };
  walk(tree.statements);
  for (const lines of perFile.values()) lines.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const order = (d: Diagnostic): number => {
    const lines = perFile.get(d.loc.file);
    if (!lines) return Number.MAX_SAFE_INTEGER;
    let lo = 0;
    let hi = lines.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (lines[mid][0] <= d.loc.line) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    // Before the file's first statement: just before it. Between statements: just after the one before.
    return best < 0 ? lines[0][1] - 0.5 : lines[best][1] + (lines[best][0] === d.loc.line ? 0 : 0.5);
  };
  return diagnostics
    .map((d, i) => ({ d, i, k: order(d) }))
    .sort((a, b) => a.k - b.k || (a.d.loc.file === b.d.loc.file ? a.d.loc.line - b.d.loc.line || a.d.loc.column - b.d.loc.column : 0) || a.i - b.i)
    .map((x) => x.d);
}
