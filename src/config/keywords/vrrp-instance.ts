// vrrp_instance NAME { ... } (keepalived vrrp/vrrp_parser.c; defaults vrrp_data.c:alloc_vrrp).
// Defaults that come from global_defs are copied when the block is opened, exactly like
// alloc_vrrp(): a global_defs placed after the instance does not affect it (fact sheet 2.1).
import { cs, ms } from '../../lib/units.js';
import type { GlobalDefs, VrrpInstance } from '../model.js';
import { parseDecimal, parseInteger, parseIp, parseIpPrefix } from '../values.js';
import { scriptFrom } from './script.js';
import { flag, int, negatedFlag, stored, str, timer, valueCtx, vrrpVersion, wholeSeconds, type KeywordDef, type KeywordTable } from './table.js';
import { parseRouteBlock, parseRuleBlock } from './route-rule.js';
import { parseTrackList, parseUnicastPeers, parseVipBlock } from './vrrp-lists.js';

/** Instance fields the completion pass must know were written. */
export interface InstanceDraft extends VrrpInstance {
  written: Set<string>;
}

export function newInstance(name: string, loc: VrrpInstance['loc'], g: GlobalDefs): InstanceDraft {
  return {
    name,
    loc,
    state: 'BACKUP',
    priority: 100,
    advertInt: cs(100),
    nopreempt: false,
    preemptDelay: ms(0),
    virtualIpaddress: [],
    virtualIpaddressExcluded: [],
    virtualRoutes: [],
    virtualRules: [],
    promoteSecondaries: false,
    unicastPeer: [],
    unicast: false,
    unicastFaultNoPeer: false,
    checkUnicastSrc: g.vrrpCheckUnicastSrc,
    trackSrcIp: false,
    version: g.vrrpVersion,
    family: 'inet',
    trackInterface: [],
    trackScript: [],
    trackFile: [],
    trackProcess: [],
    trackBfd: [],
    dontTrackPrimary: false,
    notifyPriorityChanges: g.vrrpNotifyPriorityChanges,
    garpMasterDelay: g.vrrpGarpMasterDelay,
    garpMasterRepeat: g.vrrpGarpMasterRepeat,
    garpMasterRefresh: g.vrrpGarpMasterRefresh,
    garpMasterRefreshRepeat: g.vrrpGarpMasterRefreshRepeat,
    garpLowerPrioDelay: g.vrrpGarpLowerPrioDelay ?? g.vrrpGarpMasterDelay,
    garpLowerPrioRepeat: g.vrrpGarpLowerPrioRepeat ?? g.vrrpGarpMasterRepeat,
    downTimerAdverts: g.vrrpDownTimerAdverts,
    lowerPrioNoAdvert: g.vrrpLowerPrioNoAdvert ?? false,
    higherPrioSendAdvert: g.vrrpHigherPrioSendAdvert ?? false,
    accept: true,
    vmacXmitBase: false,
    strictMode: g.vrrpStrict,
    skipCheckAdvAddr: g.vrrpSkipCheckAdvAddr,
    other: {},
    written: new Set(),
  };
}

type V = InstanceDraft;

const notify = (field: 'notifyMaster' | 'notifyBackup' | 'notifyFault' | 'notifyStop' | 'notifyDeleted' | 'notifyMasterRxLowerPri' | 'notify'): KeywordDef<V> => ({
  minArgs: 1,
  handle: (s, v, ctx) => {
    const sc = scriptFrom(s, ctx);
    if (sc) v[field] = sc;
  },
});

/** Marks the keyword as written, then runs `def`. */
function w(def: KeywordDef<V>): KeywordDef<V> {
  return {
    ...def,
    handle: (s, v, ctx) => {
      v.written.add(s.keyword);
      def.handle(s, v, ctx);
    },
  };
}

const ipField = (field: 'unicastSrcIp' | 'mcastSrcIp' | 'mcastDstIp'): KeywordDef<V> => ({
  minArgs: 1,
  handle: (s, v, ctx) => {
    const ip = parseIp(s.args[0].text);
    if (!ip) {
      ctx.sink.error('invalid-address', `(${v.name}) invalid ${s.keyword} '${s.args[0].text}' - ignoring`, s.loc, {
        text: s.args[0].text,
      });
      return;
    }
    v[field] = ip;
    if (field === 'unicastSrcIp') v.unicast = true;
  },
});

export const vrrpInstanceTable: KeywordTable<V> = {
  state: w({
    minArgs: 1,
    handle: (s, v, ctx) => {
      const t = s.args[0].text;
      if (t === 'MASTER' || t === 'BACKUP') v.state = t;
      else {
        // keepalived: "(VI_1) unknown state 'MASTR', defaulting to BACKUP"
        ctx.sink.error('invalid-value', `(${v.name}) unknown state '${t}', defaulting to BACKUP`, s.args[0].loc, {
          text: t,
        });
        v.state = 'BACKUP';
      }
    },
  }),
  interface: {
    minArgs: 1,
    handle: (s, v, ctx) => {
      const ifname = s.args[0].text;
      // keepalived checks IFF_LOOPBACK on the live interface; `lo` is the loopback by name.
      if (ifname === 'lo') {
        ctx.sink.error('loopback-interface', `(${v.name}) cannot use a loopback interface (lo) for vrrp - ignoring`, s.args[0].loc, {
          text: ifname,
        });
        return;
      }
      v.interface = ifname;
    },
  },
  virtual_router_id: w(int('virtualRouterId', 1, 255)),
  priority: w({
    minArgs: 1,
    handle: (s, v, ctx) => {
      const n = parseInteger(s.args[0].text, 1, 255, valueCtx(s, ctx));
      // keepalived: "Priority not valid! must be between 1 & 255. Using default 100"
      v.priority = n ?? 100;
    },
  }),
  advert_int: w({
    minArgs: 1,
    handle: (s, v, ctx) => {
      const n = parseDecimal(s.args[0].text, 0.01, 255, valueCtx(s, ctx));
      if (n !== undefined) v.advertInt = cs(Math.round(n * 100));
    },
  }),
  nopreempt: w(flag('nopreempt')),
  preempt: negatedFlag('nopreempt'),
  preempt_delay: w(timer('preemptDelay', 0, 1000)),
  authentication: {
    minArgs: 0,
    block: 'required',
    handle: (s, v, ctx) => {
      const auth: { authType?: 'PASS' | 'AH'; authPass?: string } = {};
      for (const line of s.block ?? []) {
        if (line.keyword === 'auth_type') {
          const t = line.args[0]?.text;
          if (t === 'PASS' || t === 'AH') auth.authType = t;
          else ctx.sink.error('invalid-value', `(${v.name}) unknown authentication type '${t ?? ''}'`, line.loc, { text: t ?? '' });
        } else if (line.keyword === 'auth_pass') {
          // keepalived takes the raw rest of line, truncated to 8 bytes with a warning.
          let p = line.args.map((a) => a.text).join(' ');
          if (Buffer.byteLength(p) > 8) {
            ctx.sink.warning('value-truncated', 'Truncating auth_pass to 8 characters', line.loc, { text: p });
            p = Buffer.from(p).subarray(0, 8).toString();
          }
          auth.authPass = p;
        } else if (!['include', 'includea', 'includer', 'includew'].includes(line.keyword)) {
          ctx.sink.error('unknown-keyword', `Unknown keyword '${line.keyword}'`, line.loc, {
            text: line.keyword,
            ...(line.keyword.startsWith('auth') ? { hint: "did you mean 'auth_type' or 'auth_pass'?" } : {}),
          });
        }
      }
      if (auth.authType) v.authentication = { authType: auth.authType, ...(auth.authPass !== undefined ? { authPass: auth.authPass } : {}) };
    },
  },
  virtual_ipaddress: { minArgs: 0, block: 'required', handle: (s, v, ctx) => v.virtualIpaddress.push(...parseVipBlock(s, ctx)) },
  virtual_ipaddress_excluded: {
    minArgs: 0,
    block: 'required',
    handle: (s, v, ctx) => v.virtualIpaddressExcluded.push(...parseVipBlock(s, ctx)),
  },
  virtual_routes: { minArgs: 0, block: 'required', handle: (s, v, ctx) => v.virtualRoutes.push(...parseRouteBlock(s, ctx)) },
  virtual_rules: { minArgs: 0, block: 'required', handle: (s, v, ctx) => v.virtualRules.push(...parseRuleBlock(s, ctx)) },
  promote_secondaries: flag('promoteSecondaries'),
  unicast_src_ip: ipField('unicastSrcIp'),
  mcast_src_ip: ipField('mcastSrcIp'),
  mcast_dst_ip: ipField('mcastDstIp'),
  unicast_peer: {
    minArgs: 0,
    block: 'required',
    handle: (s, v, ctx) => {
      v.unicast = true;
      v.unicastPeer.push(...parseUnicastPeers(s, ctx, v.name));
    },
  },
  unicast_fault_no_peer: flag('unicastFaultNoPeer'),
  unicast_ttl: int('unicastTtl', 0, 255),
  check_unicast_src: flag('checkUnicastSrc'),
  track_src_ip: flag('trackSrcIp'),
  version: w(vrrpVersion('version')),
  old_unicast_checksum: {
    minArgs: 0,
    handle: (s, v) => (v.oldUnicastChecksum = s.args[0]?.text === 'never' ? 'never' : 'always'),
  },
  native_ipv6: { minArgs: 0, handle: (_s, v) => ((v.family = 'inet6'), v.written.add('native_ipv6')) },
  track_interface: { minArgs: 0, block: 'required', handle: (s, v, ctx) => v.trackInterface.push(...parseTrackList(s, ctx, 'ignore', v.name)) },
  track_script: { minArgs: 0, block: 'required', handle: (s, v, ctx) => v.trackScript.push(...parseTrackList(s, ctx, 'clamp', v.name)) },
  track_file: { minArgs: 0, block: 'required', handle: (s, v, ctx) => v.trackFile.push(...parseTrackList(s, ctx, 'allow254', v.name)) },
  track_process: { minArgs: 0, block: 'required', handle: (s, v, ctx) => v.trackProcess.push(...parseTrackList(s, ctx, 'allow254', v.name)) },
  track_bfd: { minArgs: 0, block: 'required', handle: (s, v, ctx) => v.trackBfd.push(...parseTrackList(s, ctx, 'clamp', v.name)) },
  dont_track_primary: flag('dontTrackPrimary'),
  notify_master: notify('notifyMaster'),
  notify_backup: notify('notifyBackup'),
  notify_fault: notify('notifyFault'),
  notify_stop: notify('notifyStop'),
  notify_deleted: notify('notifyDeleted'),
  notify_master_rx_lower_pri: notify('notifyMasterRxLowerPri'),
  notify: notify('notify'),
  notify_priority_changes: flag('notifyPriorityChanges'),
  smtp_alert: flag('smtpAlert'),
  garp_master_delay: wholeSeconds('garpMasterDelay'),
  garp_master_repeat: int('garpMasterRepeat', 0, 2147483647),
  garp_master_refresh: wholeSeconds('garpMasterRefresh'),
  garp_master_refresh_repeat: int('garpMasterRefreshRepeat', 0, 2147483647),
  garp_lower_prio_delay: w(wholeSeconds('garpLowerPrioDelay')),
  garp_lower_prio_repeat: w(int('garpLowerPrioRepeat', 0, 2147483647)),
  garp_extra_if: stored(1),
  vmac_garp_intvl: { ...stored(1), deprecated: 'Keyword "vmac_garp_intvl" is deprecated - please use "garp_extra_if"' },
  down_timer_adverts: w(int('downTimerAdverts', 1, 100)),
  lower_prio_no_advert: w(flag('lowerPrioNoAdvert')),
  higher_prio_send_advert: w(flag('higherPrioSendAdvert')),
  accept: w(flag('accept')),
  no_accept: w(negatedFlag('accept')),
  use_vmac: {
    minArgs: 0,
    // keepalived reads up to two words: one with a ':' is a MAC (five octets: the VRID is the
    // sixth), the other the interface name; each mistake is one line and that word is ignored.
    handle: (s, v, ctx) => {
      let name: string | undefined;
      let mac: string | undefined;
      for (const a of s.args.slice(0, 2)) {
        const err = (msg: string) => ctx.sink.error('invalid-value', msg, a.loc, { text: a.text });
        if (a.text.includes(':')) {
          if (mac !== undefined) err('VMAC interface address already specified');
          else if (!/^[0-9a-fA-F:]*$/.test(a.text)) err(`VMAC invalid MAC address ${a.text}`);
          else {
            const parsed = parseVmacMac(a.text);
            if (!parsed) err(`VMAC invalid MAC address ${a.text} - ignored`);
            else if (parsed[0] & 1) err(`VMAC MAC address is multicast ${a.text} - ignoring`);
            else if (parsed[0] === 0 && parsed[1] === 0 && parsed[2] === 0x5e && parsed[3] === 0 && (parsed[4] === 1 || parsed[4] === 2)) err(`VMAC MAC address not allowed to be RFC5798 address (${a.text}) - ignoring`);
            else mac = parsed.map((b) => b.toString(16).padStart(2, '0')).join(':');
          }
        } else if (name !== undefined) err('VMAC interface name already specified');
        else if (Buffer.byteLength(a.text) > 15 || a.text === '.' || a.text === '..' || /[\s/]/.test(a.text)) err(`VMAC interface name '${a.text}' too long or invalid characters - ignoring`);
        else name = a.text;
      }
      v.useVmac = { ...(name ? { name } : {}), ...(mac ? { mac } : {}), options: s.args.slice(2).map((a) => a.text) };
    },
  },
  vmac_xmit_base: flag('vmacXmitBase'),
  use_vmac_addr: stored(),
  use_ipvlan: {
    minArgs: 0,
    // keepalived: each word is a type, an address or the name; every repeat is one line, ignored.
    handle: (s, v, ctx) => {
      if (v.useIpvlan) {
        ctx.sink.error('invalid-value', `(${v.name}) use_ipvlan already specified`, s.loc, { text: s.keyword });
        return;
      }
      const ipvlan: { name?: string; address?: NonNullable<V['useIpvlan']>['address']; type: 'bridge' | 'private' | 'vepa' } = { type: 'bridge' };
      let typed = false;
      for (const a of s.args) {
        const err = (msg: string) => ctx.sink.error('invalid-value', msg, a.loc, { text: a.text });
        if (a.text === 'bridge' || a.text === 'private' || a.text === 'vepa') {
          if (typed) err(`(${v.name}) ipvlan type already specified - ignoring '${a.text}'`);
          else {
            ipvlan.type = a.text;
            typed = true;
          }
          continue;
        }
        const ip = parseIpPrefix(a.text, valueCtx(s, ctx));
        if (ip) {
          // The family is known here once native_ipv6 or a VIP came before this line.
          const family = v.written.has('native_ipv6') ? 'inet6' : v.virtualIpaddress[0]?.ip.family;
          if (ipvlan.address) err(`(${v.name}) ipvlan address already specified - ignoring '${a.text}'`);
          else if (family !== undefined && family !== ip.family) err(`(${v.name}) ipvlan address[${a.text}] MUST match vrrp instance family !!! Skipping...`);
          else ipvlan.address = ip;
          continue;
        }
        if (ipvlan.name !== undefined || v.useVmac?.name !== undefined) err(`(${v.name}) IPVLAN interface already specified - ignoring '${a.text}'`);
        else if (Buffer.byteLength(a.text) >= 16) err(`(${v.name}) IPVLAN interface name '${a.text}' too long - ignoring`);
        else ipvlan.name = a.text;
      }
      v.useIpvlan = ipvlan;
    },
  },
  strict_mode: flag('strictMode'),
  skip_check_adv_addr: flag('skipCheckAdvAddr'),
  vrf: stored(1),
  kernel_rx_buf_size: stored(1),
  debug: stored(),
  linkbeat_use_polling: {
    minArgs: 0,
    // keepalived names the instance in front of the message.
    handle: (s, v, ctx) => {
      ctx.sink.warning('deprecated-keyword', `(${v.name}) 'linkbeat_use_polling' in vrrp instance deprecated - use linkbeat_interfaces block`, s.loc, { text: s.keyword });
      (v.other[s.keyword] ??= []).push(s.args.map((a) => a.text));
    },
  },
  lvs_sync_daemon_interface: {
    minArgs: 1,
    // keepalived names the instance and puts its advice on a second line ("Please use ...").
    handle: (s, v, ctx) => {
      ctx.sink.warning('deprecated-keyword', `(${v.name}) Specifying lvs_sync_daemon_interface against a vrrp is deprecated.`, s.loc, {
        text: s.keyword,
        hint: 'Please use global lvs_sync_daemon',
      });
      (v.other[s.keyword] ??= []).push(s.args.map((a) => a.text));
    },
  },
};

/**
 * A use_vmac MAC: six octets, or five (the VRID becomes the sixth; returned with five bytes).
 * undefined when it is not one.
 */
export function parseVmacMac(text: string): number[] | undefined {
  const parts = text.replace(/:$/, '').split(':');
  if (parts.length !== 5 && parts.length !== 6) return undefined;
  if (parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) return undefined;
  return parts.map((p) => parseInt(p, 16));
}
