#!/usr/bin/env node
// Cost of one accept-mode firewall change (no_accept, docs/adr/0024): the nftables transaction
// a state change makes (two IPv4 VIPs and one IPv6 VIP into or out of the drop sets), three ways:
//   * our NftFirewall (what the daemon does): one nf_tables netlink batch per family;
//   * one `nft -f -` process per change: time to completion, and the part that holds the event
//     loop (spawn's fork/exec);
//   * a long-lived `nft -i` fed the same commands, each followed by a listing of the set so the
//     end of the command can be seen on stdout;
//   * the first change, which also builds the tables.
// Runs in a namespace of its own (deleted afterwards); nothing outside it is touched.
//
//   node --import tsx bench/nft-accept-mode.mjs [--changes N] [--no-write]
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus, loadavg } from 'node:os';
import { median } from './lib/stats.mjs';
import { writeSection } from './lib/markdown-section.mjs';
import { args, optText as opt, repo, requireRoot } from './lib/cli.mjs';

const CHANGES = Number(opt('--changes', '100'));
const WRITE = !args.includes('--no-write');
const p95 = (xs) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))];
const f2 = (x) => x.toFixed(2);

if (args.includes('--inner')) {
  const { NftFirewall, NftCommand } = await import(join(repo, 'src/kernel/nft-firewall.ts'));
  const { elementCommands } = await import(join(repo, 'src/kernel/nft-ruleset.ts'));
  const log = { error: (_o, m) => console.error(m), info() {}, warn() {}, debug() {} };
  const addrs = [
    { address: '192.0.2.100', family: 'ip' },
    { address: '192.0.2.101', family: 'ip' },
    { address: '2001:db8::100', family: 'ip6' },
  ];
  let blocked = 0;
  const cmd = new NftCommand();
  // The part of each call that runs before it returns its promise: the event loop is held that long.
  const sync = (f) => {
    const t = performance.now();
    const p = f();
    blocked += performance.now() - t;
    return p;
  };
  const timed = {
    run: (script) => sync(() => cmd.run(script)),
    elements: (table, op, a) => sync(() => cmd.elements(table, op, a)),
    close: () => cmd.close(),
  };
  const fw = new NftFirewall({ table: 'keepalived', priority: -1, counters: false }, timed, log);
  let t = performance.now();
  await fw.drop(addrs);
  const first = performance.now() - t;
  const measure = async (change) => {
    const runs = [];
    const held = [];
    for (let i = 0; i < CHANGES; i++) {
      blocked = 0;
      t = performance.now();
      await change(i % 2 === 0 ? 'delete' : 'add');
      runs.push(performance.now() - t);
      held.push(blocked);
    }
    return { runs, held };
  };
  // Ours: elements over nf_tables netlink.
  const netlink = await measure((op) => (op === 'add' ? fw.drop(addrs) : fw.allow(addrs)));
  if (fw.status().failures > 0) throw new Error('nft transactions failed');
  // The alternative: the same element change as one `nft -f -` process.
  const nftf = await measure((op) => timed.run(elementCommands({ table: 'keepalived', priority: -1, counters: false }, op, addrs).join('\n') + '\n'));
  await fw.close();

  // nft -i: one process, commands on stdin; a listing after each change marks its end.
  execFileSync('nft', ['-f', '-'], { input: 'add table ip kt_i\nadd set ip kt_i vips { type ipv4_addr; }\n' });
  const nfti = spawn('nft', ['-i'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let waiter;
  nfti.stdout.setEncoding('utf8');
  nfti.stdout.on('data', (d) => {
    out += d;
    if (waiter && /\n\}\s*$/.test(out.replace(/nft> /g, ''))) {
      const w = waiter;
      waiter = undefined;
      out = '';
      w();
    }
  });
  const interactive = [];
  for (let i = 0; i < CHANGES; i++) {
    const op = i % 2 === 0 ? 'add' : 'delete';
    t = performance.now();
    await new Promise((resolve) => {
      waiter = resolve;
      nfti.stdin.write(`${op} element ip kt_i vips { 192.0.2.100, 192.0.2.101 }\nlist set ip kt_i vips\n`);
    });
    interactive.push(performance.now() - t);
  }
  nfti.stdin.end();
  await new Promise((r) => nfti.on('close', r));
  execFileSync('nft', ['delete', 'table', 'ip', 'kt_i']);
  const left = execFileSync('nft', ['list', 'ruleset'], { encoding: 'utf8' }).trim();
  console.log(JSON.stringify({ first, netlink, nftf, interactive, left }));
  process.exit(0);
}

requireRoot('nft-accept-mode', 'a network namespace', 1);
const ns = `ktnftb${process.pid.toString(36)}`;
execFileSync('ip', ['netns', 'add', ns]);
let r;
try {
  execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  const outText = execFileSync('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', fileURLToPath(import.meta.url), '--inner', '--changes', String(CHANGES)], {
    cwd: repo,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  r = JSON.parse(outText.trim().split('\n').at(-1));
} finally {
  execFileSync('ip', ['netns', 'del', ns]);
}
if (r.left !== '') throw new Error(`tables left behind: ${r.left}`);
const nftVersion = execFileSync('nft', ['--version'], { encoding: 'utf8' }).trim();
const row = (what, xs) => [what, f2(median(xs)), f2(p95(xs)), f2(Math.min(...xs))];
const rows = [
  ['first change (builds the ip and ip6 tables with `nft -f -`, then the elements)', f2(r.first), '-', '-'],
  row('one change, nf_tables netlink batch from the daemon (ours)', r.netlink.runs),
  row('  of which the event loop is held', r.netlink.held),
  row('one change, one `nft -f -` process', r.nftf.runs),
  row('  of which the event loop is held (spawn: fork/exec)', r.nftf.held),
  row('one change, long-lived `nft -i` (command + set listing)', r.interactive),
];
const body = [
  '## Accept-mode firewall (no_accept): cost of one nftables change',
  '',
  `\`node --import tsx bench/nft-accept-mode.mjs --changes ${CHANGES}\`: ${CHANGES} state changes (2 IPv4 + 1 IPv6`,
  `VIP into or out of the drop sets, alternating) in a namespace of its own; ${nftVersion}, Node`,
  `${process.version}, ${cpus().length} cores, load ${loadavg()[0].toFixed(2)} at the end. Milliseconds.`,
  '',
  '| what | median | p95 | min |',
  '|---|---|---|---|',
  ...rows.map((x) => `| ${x.join(' | ')} |`),
  '',
  'keepalived makes the same change in-process over an nf_tables netlink socket (libnftnl), as ours',
  'does now; not timed here. Why: docs/adr/0024.',
].join('\n');
console.log(body);
if (WRITE) writeSection(join(repo, 'docs/BENCHMARKS.md'), 'nft-accept-mode', body);
