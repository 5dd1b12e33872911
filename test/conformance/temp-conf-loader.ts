// TEMPORARY test-only loader for conformance configs, used until src/config (parser + typed
// model) lands; then the runner switches to parseConfigText + buildModel + instanceConfigFromModel.
// Understands only the keepalived keywords the VRRP conformance cases use.
import { cs, ms } from '../../src/lib/units.js';
import type { InstanceConfig, UnicastPeer } from '../../src/vrrp/fsm/config.js';
import { DEFAULT_GARP } from '../../src/vrrp/fsm/config.js';
import type { TrackerConfig } from '../../src/vrrp/tracking.js';
import { trackersForOwner, trackersForSyncMember } from '../../src/vrrp/tracking.js';
import type { SyncGroupConfig } from '../../src/vrrp/sync-group.js';

interface Node {
  keyword: string;
  args: string[];
  block?: Node[];
}

function tokenize(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    if (c === ' ' || c === '\t') i++;
    else if (c === '#' || c === '!') break;
    else if (c === '"') {
      const j = line.indexOf('"', i + 1);
      out.push(line.slice(i + 1, j < 0 ? line.length : j));
      i = j < 0 ? line.length : j + 1;
    } else if (c === '{' || c === '}') {
      out.push(c);
      i++;
    } else {
      let j = i;
      while (j < line.length && !' \t{}'.includes(line[j])) j++;
      out.push(line.slice(i, j));
      i = j;
    }
  }
  return out;
}

function parse(text: string): Node[] {
  const root: Node[] = [];
  const stack: Node[][] = [root];
  for (const line of text.split('\n')) {
    let toks = tokenize(line);
    while (toks.length) {
      const top = stack[stack.length - 1];
      if (toks[0] === '}') {
        if (stack.length > 1) stack.pop();
        toks = toks.slice(1);
        continue;
      }
      const open = toks.indexOf('{');
      const close = toks.indexOf('}');
      if (open >= 0 && (close < 0 || open < close)) {
        const n: Node = { keyword: toks[0], args: toks.slice(1, open), block: [] };
        top.push(n);
        stack.push(n.block!);
        toks = toks.slice(open + 1);
        // one-line list: `group { A B }`
        if (toks.length && toks.indexOf('}') > 0 && !toks.includes('{')) {
          const end = toks.indexOf('}');
          for (const w of toks.slice(0, end)) n.block!.push({ keyword: w, args: [] });
          stack.pop();
          toks = toks.slice(end + 1);
        }
        continue;
      }
      const end = close >= 0 ? close : toks.length;
      top.push({ keyword: toks[0], args: toks.slice(1, end) });
      toks = toks.slice(end);
    }
  }
  return root;
}

const find = (b: Node[] | undefined, k: string): Node | undefined => b?.find((n) => n.keyword === k);
const has = (b: Node[] | undefined, k: string): boolean => !!find(b, k);
const num = (b: Node[] | undefined, k: string): number | undefined => {
  const n = find(b, k);
  return n ? Number(n.args[0]) : undefined;
};
const boolKw = (b: Node[] | undefined, k: string): boolean | undefined => {
  const n = find(b, k);
  if (!n) return undefined;
  const a = n.args[0]?.toLowerCase();
  return a === undefined || a === 'true' || a === 'on' || a === 'yes';
};
const str = (b: Node[] | undefined, k: string): string | undefined => {
  const n = find(b, k);
  return n ? n.args.join(' ') : undefined;
};

export interface LoadedConf {
  readonly instances: InstanceConfig[];
  readonly groups: SyncGroupConfig[];
}

export function loadConf(text: string): LoadedConf {
  const tree = parse(text);
  const g = find(tree, 'global_defs')?.block;
  const scripts = new Map<string, Node[]>();
  const files = new Map<string, Node[]>();
  for (const n of tree) {
    if (n.keyword === 'vrrp_script') scripts.set(n.args[0], n.block ?? []);
    if (n.keyword === 'track_file' || n.keyword === 'vrrp_track_file') files.set(n.args[0], n.block ?? []);
  }
  const fifo = has(g, 'notify_fifo') || has(g, 'vrrp_notify_fifo');
  const groups: SyncGroupConfig[] = [];
  const groupOf = new Map<string, { name: string; weights: boolean }>();
  for (const n of tree) {
    if (n.keyword !== 'vrrp_sync_group') continue;
    const members = (find(n.block, 'group')?.block ?? []).map((m) => m.keyword);
    for (const m of members) groupOf.set(m, { name: n.args[0], weights: has(n.block, 'sync_group_tracking_weight') });
    groups.push({
      name: n.args[0],
      members,
      notify: {
        master: str(n.block, 'notify_master'),
        backup: str(n.block, 'notify_backup'),
        fault: str(n.block, 'notify_fault'),
        stop: str(n.block, 'notify_stop'),
        generic: str(n.block, 'notify'),
        fifo,
      },
    });
  }
  const instances: InstanceConfig[] = [];
  for (const n of tree) {
    if (n.keyword !== 'vrrp_instance') continue;
    const b = n.block ?? [];
    const name = n.args[0];
    const stateMaster = str(b, 'state')?.toUpperCase() === 'MASTER';
    const priority = num(b, 'priority') ?? (stateMaster ? 255 : 100);
    const vips = (find(b, 'virtual_ipaddress')?.block ?? []).map((v) => v.keyword.split('/')[0]);
    const evips = (find(b, 'virtual_ipaddress_excluded')?.block ?? []).map((v) => v.keyword.split('/')[0]);
    const family = vips[0]?.includes(':') ? 'inet6' : 'inet';
    const version = (family === 'inet6' ? 3 : (num(b, 'version') ?? num(g, 'vrrp_version') ?? 2)) as 2 | 3;
    const advSecs = Number(str(b, 'advert_int') ?? '1');
    const advertInt = cs(version === 2 ? Math.max(1, Math.round(advSecs)) * 100 : Math.max(1, Math.round(advSecs * 100)));
    const nopreempt = has(b, 'nopreempt') && !stateMaster && priority !== 255;
    const preemptDelay = nopreempt || stateMaster ? 0 : Number(str(b, 'preempt_delay') ?? '0');
    const auth = find(b, 'authentication')?.block;
    const authTypeText = str(auth, 'auth_type')?.toUpperCase();
    const authType = authTypeText === 'PASS' ? 1 : authTypeText === 'AH' ? 2 : 0;
    const peers: UnicastPeer[] = (find(b, 'unicast_peer')?.block ?? []).map((p) => {
      const peer: { address: string; minTtl?: number; maxTtl?: number } = { address: p.keyword };
      for (let i = 0; i < p.args.length; i += 2) {
        if (p.args[i] === 'min_ttl') peer.minTtl = Number(p.args[i + 1]);
        if (p.args[i] === 'max_ttl') peer.maxTtl = Number(p.args[i + 1]);
      }
      return peer;
    });
    const secs = (blk: Node[] | undefined, k: string) => (find(blk, k) ? ms(Number(find(blk, k)!.args[0]) * 1000) : undefined);
    const masterDelay = secs(b, 'garp_master_delay') ?? secs(g, 'vrrp_garp_master_delay') ?? DEFAULT_GARP.masterDelay;
    const masterRepeat = num(b, 'garp_master_repeat') ?? num(g, 'vrrp_garp_master_repeat') ?? DEFAULT_GARP.masterRepeat;
    let trackers: TrackerConfig[] = [];
    const iface = str(b, 'interface');
    if (iface && !has(b, 'dont_track_primary')) trackers.push({ type: 'interface', name: iface, weight: 0, reverse: false });
    for (const t of find(b, 'track_interface')?.block ?? []) {
      const wi = t.args.indexOf('weight');
      trackers.push({ type: 'interface', name: t.keyword, weight: wi >= 0 ? Number(t.args[wi + 1]) : 0, reverse: t.args.includes('reverse') });
    }
    for (const t of find(b, 'track_script')?.block ?? []) {
      const sc = scripts.get(t.keyword);
      if (!sc) continue;
      const wi = t.args.indexOf('weight');
      const sw = find(sc, 'weight');
      const weight = wi >= 0 ? Number(t.args[wi + 1]) : sw ? Number(sw.args[0]) : 0;
      const reverse = wi >= 0 ? t.args.includes('reverse') : !!sw?.args.includes('reverse');
      trackers.push({ type: 'script', name: t.keyword, weight, reverse, rise: num(sc, 'rise') ?? 1, fall: num(sc, 'fall') ?? 1, initFail: has(sc, 'init_fail') });
    }
    for (const t of find(b, 'track_file')?.block ?? []) {
      const tf = files.get(t.keyword);
      if (!tf) continue;
      const wi = t.args.indexOf('weight');
      const fw = find(tf, 'weight');
      const weight = wi >= 0 ? Number(t.args[wi + 1]) : fw ? Number(fw.args[0]) : 1;
      const reverse = wi >= 0 ? t.args.includes('reverse') : !!fw?.args.includes('reverse');
      trackers.push({ type: 'file', name: t.keyword, weight, reverse });
    }
    const sg = groupOf.get(name);
    if (sg) trackers = [trackers[0], ...trackersForSyncMember(trackers.slice(1), sg.weights)].filter((t) => t !== undefined);
    if (priority === 255) trackers = trackersForOwner(trackers);
    instances.push({
      name,
      vrid: num(b, 'virtual_router_id') ?? 0,
      version,
      family,
      priority,
      advertInt,
      preempt: !nopreempt,
      preemptDelay: ms(preemptDelay * 1000),
      vips,
      evips,
      unicastPeers: peers,
      srcIp: str(b, 'unicast_src_ip') ?? str(b, 'mcast_src_ip'),
      checkUnicastSrc: boolKw(b, 'check_unicast_src') ?? boolKw(g, 'vrrp_check_unicast_src') ?? false,
      authType,
      authPass: str(auth, 'auth_pass')?.slice(0, 8),
      garp: {
        masterDelay,
        masterRepeat,
        masterRefresh: secs(b, 'garp_master_refresh') ?? secs(g, 'vrrp_garp_master_refresh') ?? ms(0),
        masterRefreshRepeat: num(b, 'garp_master_refresh_repeat') ?? num(g, 'vrrp_garp_master_refresh_repeat') ?? 1,
        lowerPrioDelay: secs(b, 'garp_lower_prio_delay') ?? secs(g, 'vrrp_garp_lower_prio_delay') ?? masterDelay,
        lowerPrioRepeat: num(b, 'garp_lower_prio_repeat') ?? num(g, 'vrrp_garp_lower_prio_repeat') ?? masterRepeat,
      },
      downTimerAdverts: num(b, 'down_timer_adverts') ?? num(g, 'vrrp_down_timer_adverts') ?? 3,
      lowerPrioNoAdvert: boolKw(b, 'lower_prio_no_advert') ?? boolKw(g, 'vrrp_lower_prio_no_advert') ?? false,
      higherPrioSendAdvert: boolKw(b, 'higher_prio_send_advert') ?? boolKw(g, 'vrrp_higher_prio_send_advert') ?? false,
      ownerIgnoreAdverts: boolKw(b, 'owner_ignore_adverts') ?? boolKw(g, 'vrrp_owner_ignore_adverts') ?? false,
      skipCheckAdvAddr: boolKw(b, 'skip_check_adv_addr') ?? boolKw(g, 'vrrp_skip_check_adv_addr') ?? false,
      trackers,
      notify: {
        master: str(b, 'notify_master'),
        backup: str(b, 'notify_backup'),
        fault: str(b, 'notify_fault'),
        stop: str(b, 'notify_stop'),
        generic: str(b, 'notify'),
        masterRxLowerPri: str(b, 'notify_master_rx_lower_pri'),
        fifo,
      },
      syncGroup: sg?.name,
    });
  }
  return { instances, groups };
}
