#!/usr/bin/env node
// The package as shipped: size of the `npm pack` tarball and of its installed tree, and the time
// of an offline `npm install -g --prefix DIR` of it and of the installed command's `--version`
// and `-t` (the shipped unicast-pair example, with keepalived 2.2.7's `-t` of the same file in the same
// runs). Needs a current build (npm pack refuses otherwise: scripts/prepack-check.mjs).
//
//   node bench/install.mjs [--runs N] [--no-write]
//
// Each install goes to a fresh temporary prefix, removed afterwards. Medians (min-max) of N runs
// are written to docs/BENCHMARKS.md in the section "Package and install".
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, minMax } from './lib/stats.mjs';
import { writeSection } from './lib/markdown-section.mjs';
import { args, optNumber, repo } from './lib/cli.mjs';

const runs = optNumber('--runs', 5);

function timed(cmd, argv, cwd) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, { cwd, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')}: exit ${r.status}\n${r.stderr}`);
  return ms;
}
function treeBytes(dir) {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) n += statSync(join(e.parentPath, e.name)).size;
  return n;
}

const work = mkdtempSync(join(tmpdir(), 'kt-bench-install-'));
try {
  timed('npm', ['pack', '--pack-destination', work], repo);
  const tgz = join(work, readdirSync(work).find((f) => f.endsWith('.tgz')));
  const tgzBytes = statSync(tgz).size;
  const install = [], version = [], check = [], kaCheck = [];
  let installed = 0;
  for (let r = 0; r < runs; r++) {
    const prefix = join(work, `p${r}`);
    install.push(timed('npm', ['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', tgz], work));
    const pkg = join(prefix, 'lib', 'node_modules', 'keepalived-ts');
    installed = treeBytes(pkg);
    const bin = join(prefix, 'bin', 'keepalived-ts');
    version.push(timed(bin, ['--version'], work));
    check.push(timed(bin, ['-t', '-f', join(pkg, 'conf-examples', 'unicast-pair.conf')], work));
    // keepalived -t sends nothing; it only reads the file and this host's interfaces.
    kaCheck.push(timed('keepalived', ['-t', '-f', join(pkg, 'conf-examples', 'unicast-pair.conf')], work));
    rmSync(prefix, { recursive: true, force: true });
  }
  const f = (xs) => {
    const { min: lo, max: hi } = minMax(xs);
    return `${median(xs).toFixed(0)} ms (${lo.toFixed(0)}-${hi.toFixed(0)})`;
  };
  const kb = (n) => `${(n / 1024).toFixed(0)} KiB`;
  const body = `## Package and install

\`node bench/install.mjs --runs ${runs}\` (Node ${process.version}, 1-min load average ${loadavg()[0].toFixed(1)}, NODE_EXTRA_CA_CERTS ${process.env.NODE_EXTRA_CA_CERTS ? 'set' : 'unset'}):
the \`npm pack\` tarball of this checkout, installed offline with \`npm install -g --prefix DIR\`
into ${runs} fresh prefixes; then the installed command. Wall time, median (min-max).

| what | figure |
|---|---|
| tarball | ${kb(tgzBytes)} |
| installed package (bundle + source maps, addon, man page, unit, examples, docs) | ${kb(installed)} |
| \`npm install -g\` offline | ${f(install)} |
| \`keepalived-ts --version\` | ${f(version)} |
| \`keepalived-ts -t -f conf-examples/unicast-pair.conf\` | ${f(check)} |
| \`keepalived -t\` of the same file, same runs (keepalived 2.2.7, for comparison) | ${f(kaCheck)} |
`;
  console.log(body);
  if (!args.includes('--no-write')) writeSection(join(repo, 'docs', 'BENCHMARKS.md'), 'install', body);
} finally {
  rmSync(work, { recursive: true, force: true });
}
