import { writeFileSync, readFileSync, existsSync, chmodSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Lab } from '../src/lab/lab.js';
import { startKeepalived } from '../src/lab/keepalived-peer.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const dir = mkdtempSync(join(tmpdir(), 'h3x-'));
chmodSync(dir, 0o755);
const log = join(dir, 'notify.log');
const script = (tag: string) => { const p = join(dir, `n-${tag}.sh`); writeFileSync(p, `#!/bin/sh\necho "${tag} $*" >> ${log}\n`); chmodSync(p, 0o755); return p; };
const N = script('N'); const G = script('G'); const G2 = script('G2');
type I = { name: string; vrid: number; prio: number };
function inst(i: I) { return `vrrp_instance ${i.name} {\n state BACKUP\n interface eth0\n virtual_router_id ${i.vrid}\n priority ${i.prio}\n advert_int 1\n notify ${N}\n virtual_ipaddress {\n  198.51.100.${i.vrid}/24\n }\n}\n`; }
function group(name: string, members: string[], notify = G) { return `vrrp_sync_group ${name} {\n group {\n${members.map((m) => `  ${m}\n`).join('')} }\n notify ${notify}\n}\n`; }
const GD = 'global_defs {\n script_user root\n enable_script_security\n}\n';
const subj = (insts: I[], groups: string[]) => GD + insts.map(inst).join('') + groups.join('');
const base: I[] = [{ name: 'VI_1', vrid: 51, prio: 150 }, { name: 'VI_2', vrid: 52, prio: 50 }, { name: 'VI_3', vrid: 53, prio: 150 }, { name: 'VI_4', vrid: 54, prio: 150 }];
const VI5: I = { name: 'VI_5', vrid: 55, prio: 150 };
const groupT = (name: string, members: string[], track?: string) => group(name, members).replace(/}\n$/, (track ? ` track_interface {\n  ${track}\n }\n` : '') + '}\n');
const steps: [string, string | 'down' | 'up'][] = [
  ['F1 GA tracks trk0 (up)', subj(base, [groupT('GA', ['VI_3', 'VI_4'], 'trk0')])],
  ['F2 trk0 down', 'down'],
  ['F3 VI_4 out of GA', subj(base, [groupT('GA', ['VI_3'], 'trk0')])],
  ['F4 GA no longer tracks', subj(base, [groupT('GA', ['VI_3'])])],
  ['F5 new GD {VI_1,VI_2} tracking trk0 (down)', subj(base, [groupT('GA', ['VI_3']), groupT('GD', ['VI_1', 'VI_2'], 'trk0')])],
  ['F6 trk0 up', 'up'],
];
const lab = new Lab('h3x');
try {
  lab.addHost({ name: 'k', addresses: ['192.0.2.21/24'] });
  lab.addHost({ name: 'p', addresses: ['192.0.2.22/24'] });
  const peerConf = GD + base.map((i) => inst({ ...i, prio: 100 })).join('') + inst({ ...VI5, prio: 100 }).replace(/notify \S+\n/, '');
  const p = startKeepalived(lab, 'p', peerConf.replace(/ notify \S+\n/g, ''));
  lab.ns(lab.host('k').netns, ['ip', 'link', 'add', 'trk0', 'type', 'veth', 'peer', 'name', 'trk1']);
  lab.ns(lab.host('k').netns, ['ip', 'link', 'set', 'trk0', 'up']); lab.ns(lab.host('k').netns, ['ip', 'link', 'set', 'trk1', 'up']);
  const k = startKeepalived(lab, 'k', subj(base, [group('GA', ['VI_3', 'VI_4'])]));
  const conf = join(k.dir, 'keepalived.conf');
  await sleep(9000);
  const show = (title: string, from: number, pfrom: number) => {
    console.log(`===== ${title}`);
    for (const l of k.lines.slice(from)) console.log('  k| ' + l);
    for (const l of p.lines.slice(pfrom)) if (/Entering|entering/.test(l)) console.log('  p| ' + l);
    const n = existsSync(log) ? readFileSync(log, 'utf8') : '';
    console.log(n.split('\n').filter(Boolean).map((l) => '  notify| ' + l).join('\n'));
    writeFileSync(log, '');
    console.log('  addrs k: ' + lab.addresses('k').join(' ') + '\n  addrs p: ' + lab.addresses('p').join(' '));
  };
  show('start', 0, 0);
  for (const [title, c] of steps) {
    const from = k.lines.length, pfrom = p.lines.length;
    if (c === 'down' || c === 'up') lab.ns(lab.host('k').netns, ['ip', 'link', 'set', 'trk0', c]);
    else { writeFileSync(conf, c); k.signal('SIGHUP'); }
    await sleep(9000);
    show(title, from, pfrom);
  }
  k.signal('SIGTERM'); p.signal('SIGTERM'); await sleep(1500);
} finally { lab.destroy(); }
