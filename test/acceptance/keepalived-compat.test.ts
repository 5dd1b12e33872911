// Our config check against the real keepalived 2.2.7 on every shared sample and field config:
// both read the same file, and every keyword keepalived calls unknown, and every line whose
// value it rejects, must be in our report too (and we must not call a keyword unknown that
// keepalived accepts). Differences we chose are listed below, each with its reason.
//
// keepalived runs `-t` only, inside a new network namespace, with its own pid files and process
// group (test/acceptance/lib/keepalived.ts); the shared configs are read where they lie.
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { describe, expect } from 'vitest';
import { loadConfig } from '../../src/config/pipeline.js';
import { runConfigTest } from '../../src/cli/config-test.js';
import { DiagnosticSink, formatDiagnostic, type Diagnostic } from '../../src/lib/diagnostics.js';
import { isRoot, itWhen } from '../helpers/require.js';
import { repoRoot } from './lib/cli.js';
import { ENVIRONMENTAL, hasKeepalived, hasUnshare, interfacesOf, keepalivedConfigTest, parseKeepalivedReport, type KeepalivedFinding } from './lib/keepalived.js';

const shared = resolve(repoRoot, '..', 'shared');
const DIRS = ['field-configs', 'keepalived-samples'].map((d) => join(shared, d)).filter(existsSync);
const SHARED_FILES = DIRS.flatMap((d) => readdirSync(d).sort().map((f) => join(d, f)));

/**
 * Our own small configs aimed at the comparison's edges: typos, out-of-range values and an
 * unknown block (keepalived's cascade). Written to a temp dir at load time.
 */
const SYNTHETIC: Record<string, string> = {
  'synthetic-values.conf': `global_defs {
  router_id syn
  notification_emial admin@example.org
  vrrp_garp_master_delay 300000
}
vrrp_script chk {
  script "/nonexistent/chk.sh"
  interval 2
  rize 2
  fall 0
}
vrrp_instance VI_1 {
  state MASTR
  interface eth0
  virtual_router_id 300
  priority 0
  advert_int abc
  virtual_ipaddress {
    192.0.2.10/24
    192.0.2.300/24
  }
  authentication {
    auth_type PASS
    auth_pass toolongpassword
  }
}
virtual_server 192.0.2.1 80 {
  lb_algo rr
  lb_kind DR
  protocol TCP
  nb_get_retry 3
  real_server 192.0.2.2 80 {
    TCP_CHECK {
      connect_timeout 3
      nb_get_retry 3
    }
  }
}
`,
  'synthetic-http-url.conf': `virtual_server 192.0.2.1 80 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 192.0.2.2 80 {
    HTTP_GET {
      url {
        digest 640205b7b0fc66c1ea91c463fac6334d
      }
      url {
        path /health
      }
    }
  }
}
`,
  // keepalived built without iptables (Debian's): vrrp_iptables is one config error line and
  // nftables table "keepalived"; vrrp_ipsets is an unknown keyword.
  'synthetic-iptables.conf': `global_defs {
  vrrp_iptables IN_CHAIN OUT_CHAIN
  vrrp_ipsets A B C
  nftables mine
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  no_accept
  virtual_ipaddress {
    192.0.2.10/24
  }
}
`,
  'synthetic-unknown-block.conf': `vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  mystery_block {
    priority 50
    other_thing 1
  }
  virtual_ipaddress {
    192.0.2.10/24
  }
}
`,
};
const synthDir = mkdtempSync(join(tmpdir(), 'kt-compat-'));
const SYNTH_FILES = Object.entries(SYNTHETIC).map(([name, text]) => {
  const p = join(synthDir, name);
  writeFileSync(p, text);
  return p;
});
const FILES = [...SHARED_FILES, ...SYNTH_FILES];
/** Matches no `@id` line in the samples, so both programs see the same unconditional config. */
const CONFIG_ID = 'kt-acceptance';

interface Difference {
  /** Base name of the shared file. */
  readonly file: string;
  /** undefined: a message keepalived prints without a line number. */
  readonly line: number | undefined;
  /**
   * `keepalived-only`: keepalived reports it, we do not. `ours-only`: the reverse.
   * `exit-code`: the -t exit codes differ (`what` is keepalived's code; line undefined).
   */
  readonly side: 'keepalived-only' | 'ours-only' | 'exit-code';
  /** The keyword (unknown-keyword findings) or a fragment of keepalived's message. */
  readonly what: string;
  readonly reason: string;
}

const UNKNOWN_BLOCK =
  "keepalived does not skip an unknown block: its lines are read at the enclosing level and its '}' closes the " +
  'enclosing vrrp_instance, so every following line is misread. We report the unknown block once and skip it whole ' +
  '(reference section 1.1, quirk 3); the instance keeps its VIPs.';

/** Deliberate differences, each with its reason. Nothing else may differ. */
const DIFFERENCES: readonly Difference[] = [
  // keepalived finds the missing `script` when the vrrp_script block ends and reports its
  // closing line; we report the vrrp_script line itself (6), where the fix goes.
  { file: 'keepalived.conf.conditional_conf', line: 13, side: 'keepalived-only', what: 'No script set', reason: 'reported at the vrrp_script header (line 6), not at its closing brace' },
  { file: 'synthetic-unknown-block.conf', line: 6, side: 'keepalived-only', what: "Unexpected '{'", reason: UNKNOWN_BLOCK },
  { file: 'synthetic-unknown-block.conf', line: 8, side: 'keepalived-only', what: 'other_thing', reason: UNKNOWN_BLOCK },
  { file: 'synthetic-unknown-block.conf', line: 10, side: 'keepalived-only', what: 'virtual_ipaddress', reason: UNKNOWN_BLOCK },
  { file: 'synthetic-unknown-block.conf', line: 10, side: 'keepalived-only', what: "Unexpected '{'", reason: UNKNOWN_BLOCK },
  { file: 'synthetic-unknown-block.conf', line: 11, side: 'keepalived-only', what: '192.0.2.10/24', reason: UNKNOWN_BLOCK },
  { file: 'synthetic-unknown-block.conf', line: 12, side: 'keepalived-only', what: '}', reason: UNKNOWN_BLOCK },
  { file: 'synthetic-unknown-block.conf', line: 13, side: 'keepalived-only', what: '}', reason: UNKNOWN_BLOCK },
  { file: 'synthetic-unknown-block.conf', line: undefined, side: 'keepalived-only', what: 'No VIP specified', reason: UNKNOWN_BLOCK },
];

/**
 * Findings our model does not produce yet. These are NOT choices: each is a missing check,
 * listed so the rest of the comparison stays strict. The last test fails when one is fixed,
 * so the entry is removed and the check becomes enforced.
 */
const KNOWN_GAPS: readonly Difference[] = [
  // keepalived: "HTTP/SSL_GET checker url has no path - ignoring" at the url's closing brace.
  // (With no usable url left at all, keepalived 2.2.7 -t then crashes with SIGSEGV.)
  { file: 'synthetic-http-url.conf', line: 9, side: 'keepalived-only', what: 'url has no path', reason: 'gap: build-model does not report an HTTP_GET/SSL_GET url without path' },
  { file: 'synthetic-http-url.conf', line: undefined, side: 'exit-code', what: '5', reason: 'follows from the url-without-path gap above' },
];

const excused = (file: string, line: number | undefined, side: Difference['side'], what: string): boolean =>
  [...DIFFERENCES, ...KNOWN_GAPS].some((d) => d.file === basename(file) && d.line === line && d.side === side && what.includes(d.what));

/** keepalived's wording reduced to its words: no "Warning:" prefix, case or punctuation. */
const normalise = (m: string): string =>
  m
    .replace(/^(warning\s*[-:]\s*)/i, '')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, ' ')
    .trim();

/** Our diagnostic's unknown keyword name, if it is one. */
function unknownName(d: Diagnostic): string | undefined {
  if (d.code !== 'unknown-keyword') return undefined;
  return /Unknown keyword '([^']*)'/i.exec(d.message)?.[1] ?? d.text;
}

/** keepalived names a file only when several are involved; otherwise it is the main file. */
const findingFile = (f: KeepalivedFinding, main: string): string => resolve(f.file ?? main);

describe('keepalived -t vs keepalived-ts on the shared configs', () => {
  for (const file of FILES) {
    const label = file.startsWith(synthDir) ? basename(file) : `${basename(join(file, '..'))}/${basename(file)}`;
    itWhen(isRoot, hasKeepalived, hasUnshare)(label, async () => {
      const ka = await keepalivedConfigTest(file, CONFIG_ID, { interfaces: interfacesOf(readFileSync(file, 'utf8')) });
      expect(ka.signal, ka.lines.join('\n')).toBeNull();
      const findings = parseKeepalivedReport(ka.lines);

      const sink = new DiagnosticSink();
      loadConfig(file, { configId: CONFIG_ID }, sink);
      const ours = sink.items.filter((d) => d.severity !== 'info');
      const context = `keepalived said:\n${ka.lines.join('\n')}\nwe said:\n${sink.items.map(formatDiagnostic).join('\n')}`;

      const problems: string[] = [];
      // keepalived-ts -t adds host checks to the pipeline's report (track scripts not installed).
      const ourTest = runConfigTest(file, { configId: CONFIG_ID, pathEnv: process.env.PATH });
      const hostChecks = ourTest.diagnostics.filter((d) => d.code === 'script-not-found');
      // 1. keepalived's unknown keywords are ours, at the same place.
      for (const f of findings.filter((x) => x.kind === 'unknown-keyword')) {
        if (excused(file, f.line, 'keepalived-only', f.keyword!)) continue;
        const hit = ours.find((d) => unknownName(d) === f.keyword && d.loc.line === f.line && resolve(d.loc.file) === findingFile(f, file));
        if (!hit) problems.push(`keepalived: line ${f.line} Unknown keyword '${f.keyword}' — we did not report it`);
      }
      // 2. We call nothing unknown that keepalived accepts.
      for (const d of ours) {
        const name = unknownName(d);
        if (name === undefined || excused(file, d.loc.line, 'ours-only', name)) continue;
        const hit = findings.find((f) => f.kind === 'unknown-keyword' && f.keyword === name && f.line === d.loc.line);
        if (!hit) problems.push(`we call '${name}' (line ${d.loc.line}) unknown, keepalived does not`);
      }
      // 3. Every line whose value keepalived rejects carries one of our errors or warnings; a
      //    finding keepalived prints without a line must appear in one of our messages.
      for (const f of findings.filter((x) => x.kind === 'invalid')) {
        if (excused(file, f.line, 'keepalived-only', f.message)) continue;
        const hit =
          f.line === undefined
            ? [...ours, ...hostChecks].find((d) => normalise(d.message).includes(normalise(f.message)))
            : ours.find((d) => d.loc.line === f.line && resolve(d.loc.file) === findingFile(f, file));
        if (!hit) problems.push(`keepalived: ${f.line === undefined ? '(no line)' : `line ${f.line}`}: ${f.message} — we report nothing ${f.line === undefined ? 'like it' : 'on that line'}`);
      }
      // 4. The script-security verdict (keepalived -t exit 6) is the same.
      const kaViolation = ka.lines.some((l) => l.includes('SECURITY VIOLATION'));
      const ourViolation = ourTest.exitCode === 6;
      if (kaViolation !== ourViolation) problems.push(`script security: keepalived ${kaViolation ? 'reports' : 'does not report'} a SECURITY VIOLATION, we ${ourViolation ? 'do' : 'do not'}`);
      // 5. Same -t exit code (the namespace has the config's interfaces, so keepalived's
      //    interface checks pass as they would on the host the config was written for).
      //    Skipped when keepalived printed a machine-dependent message, which moves its code.
      const kaEnvironmental = ka.lines.some((l) => ENVIRONMENTAL.some((re) => re.test(l)) && !l.includes('SECURITY VIOLATION'));
      if (!kaEnvironmental && ka.status !== ourTest.exitCode && !excused(file, undefined, 'exit-code', String(ka.status))) {
        problems.push(`exit code: keepalived -t ${ka.status}, keepalived-ts -t ${ourTest.exitCode}`);
      }
      expect(problems, context).toEqual([]);
    });
  }

  itWhen(isRoot, hasKeepalived, hasUnshare)("vrrp_iptables / vrrp_ipsets / nftables after them: keepalived's exact words, lines and -t exit code", async () => {
    const file = SYNTH_FILES.find((f) => basename(f) === 'synthetic-iptables.conf')!;
    const ka = await keepalivedConfigTest(file, CONFIG_ID, { interfaces: ['eth0'] });
    const theirs = parseKeepalivedReport(ka.lines).map((f) => [f.line, f.message]);
    const ourTest = runConfigTest(file, { configId: CONFIG_ID, pathEnv: process.env.PATH });
    const ours = ourTest.diagnostics.filter((d) => d.severity !== 'info').map((d) => [d.loc.line, d.message]);
    expect(theirs.length, ka.lines.join('\n')).toBe(3);
    expect(ours).toEqual(theirs);
    expect(ourTest.exitCode).toBe(ka.status);
  });

  itWhen(isRoot, hasKeepalived, hasUnshare)('every listed difference and gap still happens (no stale exceptions)', async () => {
    for (const d of [...DIFFERENCES, ...KNOWN_GAPS]) {
      const file = FILES.find((f) => basename(f) === d.file);
      if (file === undefined && SHARED_FILES.length === 0) continue; // ../shared absent: nothing to compare
      expect(file, `difference for missing file ${d.file}`).toBeDefined();
      const report = await keepalivedConfigTest(file!, CONFIG_ID, { interfaces: interfacesOf(readFileSync(file!, 'utf8')) });
      if (d.side === 'exit-code') {
        const ours = runConfigTest(file!, { configId: CONFIG_ID, pathEnv: process.env.PATH }).exitCode;
        expect(String(report.status) === d.what && ours !== report.status, `${JSON.stringify(d)}: keepalived ${report.status}, ours ${ours}`).toBe(true);
        continue;
      }
      const ka = parseKeepalivedReport(report.lines);
      const sink = new DiagnosticSink();
      loadConfig(file!, { configId: CONFIG_ID }, sink);
      const kaHas = ka.some((f) => f.line === d.line && (f.keyword ?? f.message).includes(d.what));
      const weHave = sink.items.some((x) => x.loc.line === d.line && (unknownName(x) ?? x.message).includes(d.what));
      if (d.side === 'keepalived-only') expect(kaHas && !weHave, JSON.stringify(d)).toBe(true);
      else expect(weHave && !kaHas, JSON.stringify(d)).toBe(true);
    }
  });
});
