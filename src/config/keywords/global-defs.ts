// global_defs { ... } (keepalived core/global_parser.c; defaults core/global_data.c).
// The keyword list is the one keepalived 2.2.7 (Debian) accepts, established by running
// `keepalived -t` against every candidate word (see test/unit/config/keywords-global.test.ts).
import { VRRP_GROUP4, VRRP_GROUP6 } from '../../lib/protocol.js';
import { ms, seconds } from '../../lib/units.js';
import type { FifoSpec, GlobalDefs } from '../model.js';
import { IpAddress, LENIENT_V4 } from '../../lib/ip.js';
import { parseInteger } from '../values.js';
import { scriptFrom, userGroup } from './script.js';
import {
  alias,
  flag,
  int,
  stored,
  str,
  timer,
  valueCtx,
  type KeywordDef,
  type KeywordTable,
  vrrpVersion,
  wholeSeconds,
} from './table.js';

export function defaultGlobalDefs(): GlobalDefs {
  return {
    notificationEmail: [],
    smtpConnectTimeout: seconds(30),
    noEmailFaults: false,
    noCheckerEmails: false,
    checkerLogAllFailures: false,
    enableScriptSecurity: false,
    vrrpMcastGroup4: VRRP_GROUP4,
    vrrpMcastGroup6: VRRP_GROUP6,
    vrrpVersion: 2,
    vrrpGarpMasterDelay: ms(5000),
    vrrpGarpMasterRepeat: 5,
    vrrpGarpMasterRefresh: ms(0),
    vrrpGarpMasterRefreshRepeat: 1,
    vrrpGarpInterval: ms(0),
    vrrpGnaInterval: ms(0),
    vrrpMinGarp: false,
    vrrpDownTimerAdverts: 3,
    vrrpCheckUnicastSrc: false,
    vrrpSkipCheckAdvAddr: false,
    vrrpStrict: false,
    nftablesPriority: -1,
    nftablesIfindex: false,
    nftablesCounters: false,
    vrrpNotifyPriorityChanges: false,
    vrrpStartupDelay: ms(0),
    fifoWriteVrrpStatesOnReload: false,
    lvsFlush: false,
    startupScriptTimeout: seconds(10),
    shutdownScriptTimeout: seconds(10),
    logUnknownVrids: false,
    rsInitNotifies: false,
    other: {},
  };
}

type G = GlobalDefs;

function fifo(field: 'notifyFifo' | 'vrrpNotifyFifo' | 'lvsNotifyFifo'): KeywordDef<G> {
  return {
    minArgs: 1,
    handle: (s, g) => {
      const [path, user, group] = s.args.map((a) => a.text);
      const prev = g[field];
      const spec: FifoSpec = { path, ...(user ? { user } : {}), ...(group ? { group } : {}) };
      if (prev?.script) spec.script = prev.script;
      g[field] = spec;
    },
  };
}

function fifoScript(field: 'notifyFifo' | 'vrrpNotifyFifo' | 'lvsNotifyFifo'): KeywordDef<G> {
  return {
    minArgs: 1,
    handle: (s, g, ctx) => {
      const script = scriptFrom(s, ctx);
      if (!script) return;
      const f = g[field];
      if (f) f.script = script;
      else ctx.sink.warning('invalid-value', `${s.keyword} given without a FIFO; ignored`, s.loc);
    },
  };
}

function mcastGroup(field: 'vrrpMcastGroup4' | 'vrrpMcastGroup6', family: 'inet' | 'inet6'): KeywordDef<G> {
  return {
    minArgs: 1,
    handle: (s, g, ctx) => {
      const ip = IpAddress.parse(s.args[0].text, LENIENT_V4);
      if (!ip || ip.family !== family || !ip.isMulticast()) {
        ctx.sink.error('invalid-address', `${s.keyword} '${s.args[0].text}' is not a valid multicast address - ignoring`, s.loc, {
          text: s.args[0].text,
        });
        return;
      }
      g[field] = ip.text;
    },
  };
}

const script = (field: 'startupScript' | 'shutdownScript'): KeywordDef<G> => ({
  minArgs: 1,
  handle: (s, g, ctx) => {
    const sc = scriptFrom(s, ctx);
    if (sc) g[field] = sc;
  },
});

const lvsFlushOnStop: KeywordDef<G> = {
  minArgs: 0,
  handle: (s, g) => {
    g.lvsFlushOnStop = s.args[0]?.text === 'VS' ? 'vs' : 'all';
  },
};

/** keepalived's NFT_TABLE_MAXNAMELEN: a name of this length or more is refused. */
const NFT_TABLE_MAXNAMELEN = 256;

/** `nftables [TABLE]` (keepalived global_parser.c vrrp_nftables_handler): the first one wins. */
const nftablesTable: KeywordDef<G> = {
  minArgs: 0,
  handle: (s, g, ctx) => {
    if (g.nftables !== undefined) {
      ctx.sink.warning('invalid-value', 'nftables already specified - ignoring', s.loc, { text: s.keyword });
      return;
    }
    const name = s.args[0]?.text ?? 'keepalived';
    if (name.length >= NFT_TABLE_MAXNAMELEN) {
      ctx.sink.warning('invalid-value', 'nftables table name too long - ignoring', s.args[0].loc, { text: name });
      return;
    }
    g.nftables = name;
    g.nftablesPriority = -1;
  },
};

/** Keywords accepted and kept verbatim in `other` (process tuning, SNMP, DBus, nftables ...). */
const STORED = [
  'bfd_cpu_affinity', 'bfd_no_swap', 'bfd_priority', 'bfd_process_name', 'bfd_rlimit_rtime', 'bfd_rlimit_rttime',
  'bfd_rt_priority', 'checker_cpu_affinity', 'checker_no_swap', 'checker_process_name',
  'checker_rlimit_rtime', 'checker_rlimit_rttime', 'checker_rt_priority', 'config_save_dir', 'data_use_instance',
  'dbus_service_name', 'disable_local_igmp', 'enable_dbus', 'enable_snmp_checker', 'enable_snmp_keepalived',
  'enable_snmp_rfc', 'enable_snmp_rfcv2', 'enable_snmp_rfcv3', 'enable_snmp_vrrp', 'enable_traps', 'include_check',
  'lvs_netlink_cmd_rcv_bufs', 'lvs_netlink_cmd_rcv_bufs_force', 'lvs_netlink_monitor_rcv_bufs',
  'lvs_netlink_monitor_rcv_bufs_force', 'lvs_process_name', 'max_auto_priority', 'min_auto_priority_delay',
  'nftables_ipvs', 'nftables_ipvs_priority',
  'nftables_ipvs_start_fwmark', 'process_monitor_rcv_bufs', 'process_monitor_rcv_bufs_force',
  'process_name', 'process_names', 'random_seed', 'reload_file', 'reload_repeat', 'reload_time_file', 'snmp_socket',
  'tmp_config_directory', 'umask', 'vmac_addr_prefix', 'vmac_prefix', 'vrrp_cpu_affinity',
  'vrrp_netlink_cmd_rcv_bufs', 'vrrp_netlink_cmd_rcv_bufs_force', 'vrrp_netlink_monitor_rcv_bufs',
  'vrrp_netlink_monitor_rcv_bufs_force', 'vrrp_no_swap', 'vrrp_priority', 'vrrp_process_name', 'vrrp_rlimit_rtime',
  'vrrp_rlimit_rttime', 'vrrp_rt_priority', 'vrrp_rx_bufs_multiplier', 'vrrp_rx_bufs_policy',
] as const;

/**
 * `vrrp_iptables [IN [OUT]]`: keepalived 2.2.7 built with nftables and without iptables (Debian's
 * build, global_parser.c vrrp_iptables_handler) ignores the chain names, says so in one line and
 * uses the nftables table "keepalived" (chain priority -1), replacing any table named before;
 * so do we (no_accept's drop rules, docs/adr/0024). A later `nftables` is then "already specified".
 */
const vrrpIptables: KeywordDef<G> = {
  minArgs: 0,
  handle: (s, g, ctx) => {
    ctx.sink.warning('invalid-value', "iptables not supported, using nftables instead. Please replace 'vrrp_iptables and 'vrrp_ipsets' with 'nftables' config option", s.loc, { text: s.keyword });
    g.nftables = 'keepalived';
    g.nftablesPriority = -1;
  },
};

const typed: KeywordTable<G> = {
  router_id: str('routerId'),
  notification_email: {
    minArgs: 0,
    block: 'required',
    handle: (s, g) => {
      for (const b of s.block ?? []) g.notificationEmail.push(b.keyword, ...b.args.map((a) => a.text));
    },
  },
  notification_email_from: str('notificationEmailFrom'),
  smtp_server: {
    minArgs: 1,
    handle: (s, g, ctx) => {
      let port = 25;
      if (s.args[1]) {
        const p = parseInteger(s.args[1].text, 1, 65535, valueCtx(s, ctx));
        if (p !== undefined) port = p;
      }
      g.smtpServer = { host: s.args[0].text, port };
    },
  },
  smtp_helo_name: str('smtpHeloName'),
  smtp_connect_timeout: {
    minArgs: 1,
    handle: (s, g, ctx) => {
      const n = parseInteger(s.args[0].text, 0, 4294, valueCtx(s, ctx));
      if (n === 0) {
        // keepalived's own spelling in this message.
        ctx.sink.warning('value-out-of-range', 'smtp_conect_timeout must be greater than 0, setting to 1', s.loc, { text: '0' });
        g.smtpConnectTimeout = seconds(1);
      } else if (n !== undefined) g.smtpConnectTimeout = seconds(n);
    },
  },
  smtp_alert: flag('smtpAlert'),
  smtp_alert_vrrp: flag('smtpAlertVrrp'),
  smtp_alert_checker: flag('smtpAlertChecker'),
  no_email_faults: flag('noEmailFaults'),
  no_checker_emails: flag('noCheckerEmails'),
  checker_log_all_failures: flag('checkerLogAllFailures'),
  script_user: { minArgs: 1, handle: (s, g) => (g.scriptUser = userGroup(s.args.map((a) => a.text))) },
  enable_script_security: flag('enableScriptSecurity'),
  vrrp_mcast_group4: mcastGroup('vrrpMcastGroup4', 'inet'),
  vrrp_mcast_group6: mcastGroup('vrrpMcastGroup6', 'inet6'),
  vrrp_version: vrrpVersion('vrrpVersion'),
  vrrp_garp_master_delay: wholeSeconds('vrrpGarpMasterDelay'),
  vrrp_garp_master_repeat: int('vrrpGarpMasterRepeat', 0, 2147483647),
  vrrp_garp_master_refresh: wholeSeconds('vrrpGarpMasterRefresh'),
  vrrp_garp_master_refresh_repeat: int('vrrpGarpMasterRefreshRepeat', 0, 2147483647),
  vrrp_garp_lower_prio_delay: wholeSeconds('vrrpGarpLowerPrioDelay'),
  vrrp_garp_lower_prio_repeat: int('vrrpGarpLowerPrioRepeat', 0, 2147483647),
  vrrp_garp_interval: timer('vrrpGarpInterval'),
  vrrp_gna_interval: timer('vrrpGnaInterval'),
  vrrp_min_garp: flag('vrrpMinGarp'),
  vrrp_garp_extra_if: {
    minArgs: 1,
    handle: (s, g, ctx) => {
      const all = s.args[0].text === 'all';
      const t = s.args[all ? 1 : 0];
      if (!t) return;
      const n = parseInteger(t.text, 0, 86400, { sink: ctx.sink, loc: t.loc });
      if (n !== undefined) g.vrrpGarpExtraIf = { all, interval: ms(n * 1000) };
    },
  },
  vrrp_down_timer_adverts: int('vrrpDownTimerAdverts', 1, 100),
  // The checker process's nice value (src/core/lvs-default-parts.ts); keepalived's range.
  checker_priority: int('checkerPriority', -20, 19),
  vrrp_lower_prio_no_advert: flag('vrrpLowerPrioNoAdvert'),
  vrrp_higher_prio_send_advert: flag('vrrpHigherPrioSendAdvert'),
  vrrp_check_unicast_src: flag('vrrpCheckUnicastSrc'),
  vrrp_skip_check_adv_addr: flag('vrrpSkipCheckAdvAddr'),
  vrrp_strict: flag('vrrpStrict'),
  nftables: nftablesTable,
  vrrp_iptables: vrrpIptables,
  nftables_priority: {
    minArgs: 1,
    handle: (s, g, ctx) => {
      const t = s.args[0].text;
      const n = /^[+-]?\d+$/.test(t) ? Number(t) : NaN;
      if (Number.isInteger(n) && n >= -2147483648 && n <= 2147483647) g.nftablesPriority = n;
      else ctx.sink.warning('invalid-value', `invalid nftables chain priority '${t}'`, s.args[0].loc, { text: t });
    },
  },
  nftables_ifindex: { minArgs: 0, handle: (_s, g) => void (g.nftablesIfindex = true) },
  nftables_counters: { minArgs: 0, handle: (_s, g) => void (g.nftablesCounters = true) },
  vrrp_notify_priority_changes: flag('vrrpNotifyPriorityChanges'),
  vrrp_startup_delay: timer('vrrpStartupDelay', 0, 4294),
  notify_fifo: fifo('notifyFifo'),
  notify_fifo_script: fifoScript('notifyFifo'),
  vrrp_notify_fifo: fifo('vrrpNotifyFifo'),
  vrrp_notify_fifo_script: fifoScript('vrrpNotifyFifo'),
  lvs_notify_fifo: fifo('lvsNotifyFifo'),
  lvs_notify_fifo_script: fifoScript('lvsNotifyFifo'),
  fifo_write_vrrp_states_on_reload: flag('fifoWriteVrrpStatesOnReload'),
  // keepalived 2.2.7 global_parser.c lvs_syncd_handler: INTERFACE [inst NAME] [id N] [maxlen N]
  // [port N] [ttl N] [group ADDR], and the old positional form INTERFACE VRRP_INSTANCE [SYNC_ID].
  lvs_sync_daemon: {
    minArgs: 1,
    handle: (s, g, ctx) => {
      if (g.lvsSyncDaemon) {
        const prev = g.lvsSyncDaemon;
        ctx.sink.error('duplicate', `lvs_sync_daemon has already been specified as ${prev.interface} ${prev.vrrpInstance ?? ''} - ignoring`, s.loc);
        return;
      }
      const w = s.args;
      if (w[0].text.length >= 16) {
        ctx.sink.error('invalid-value', `lvs_sync_daemon interface name '${w[0].text}' too long - ignoring`, w[0].loc, { text: w[0].text });
        return;
      }
      const d: NonNullable<G['lvsSyncDaemon']> = { interface: w[0].text };
      const num = (i: number, min: number, max: number, what: string, tail: string): number | undefined => {
        if (i + 1 >= w.length) {
          ctx.sink.error('missing-value', `No value specified for lvs_sync_daemon ${what}${tail}`, w[i].loc);
          return undefined;
        }
        const t = w[i + 1].text;
        const n = /^\d+$/.test(t) ? Number(t) : NaN;
        if (!(n >= min && n <= max)) {
          ctx.sink.error('invalid-value', what === 'id' ? `Invalid syncid (${t}) - defaulting to vrid` : `Invalid lvs_sync_daemon ${what} (${t}) - ignoring`, w[i + 1].loc, { text: t });
          return undefined;
        }
        return n;
      };
      for (let i = 1; i < w.length; i++) {
        const k = w[i].text;
        if (k === 'inst') {
          if (d.vrrpInstance !== undefined) ctx.sink.error('duplicate', `lvs_sync_daemon vrrp instance has already been specified as ${d.vrrpInstance} - ignoring`, w[i].loc);
          else if (w[i + 1]) d.vrrpInstance = w[i + 1].text;
          i++;
        } else if (k === 'id') {
          const n = num(i, 0, 255, 'id', ', defaulting to vrid');
          if (n !== undefined) d.syncId = n;
          i++;
        } else if (k === 'maxlen') {
          const n = num(i, 1, 65535 - 20 - 8, 'maxlen', ' - ignoring');
          if (n !== undefined) d.maxLen = n;
          i++;
        } else if (k === 'port') {
          const n = num(i, 1, 65535, 'port', ' - ignoring');
          if (n !== undefined) d.port = n;
          i++;
        } else if (k === 'ttl') {
          const n = num(i, 1, 255, 'ttl', ' - ignoring');
          if (n !== undefined) d.ttl = n;
          i++;
        } else if (k === 'group') {
          if (i + 1 >= w.length) {
            ctx.sink.error('missing-value', 'No value specified for lvs_sync_daemon group - ignoring', w[i].loc);
          } else {
            const t = w[i + 1].text;
            const ip = IpAddress.parse(t, LENIENT_V4);
            if (!ip) ctx.sink.error('invalid-address', `Invalid lvs_sync_daemon group (${t}) - ignoring`, w[i + 1].loc, { text: t });
            else if (!ip.isMulticast()) ctx.sink.error('invalid-address', `lvs_sync_daemon group address ${t} is not multicast - ignoring`, w[i + 1].loc, { text: t });
            else d.group = ip.text;
          }
          i++;
        } else if (i === 1 && d.vrrpInstance === undefined) {
          // The old form: INTERFACE VRRP_INSTANCE [SYNC_ID].
          d.vrrpInstance = k;
        } else if (i === 2 && d.vrrpInstance !== undefined && d.syncId === undefined) {
          const n = /^\d+$/.test(k) ? Number(k) : NaN;
          if (n >= 0 && n <= 255) {
            ctx.sink.warning('deprecated-keyword', 'Please use keyword "id" before lvs_sync_daemon SYNCID', w[i].loc, { text: k });
            d.syncId = n;
          } else ctx.sink.error('invalid-value', `Invalid syncid (${k}) - defaulting to vrid`, w[i].loc, { text: k });
        } else {
          ctx.sink.error('invalid-value', `Unknown option ${k} specified for lvs_sync_daemon`, w[i].loc, { text: k });
        }
      }
      g.lvsSyncDaemon = d;
    },
  },
  lvs_timeouts: {
    minArgs: 1,
    handle: (s, g, ctx) => {
      const t: NonNullable<G['lvsTimeouts']> = {};
      const words = s.args;
      for (let i = 0; i + 1 < words.length; i += 2) {
        const k = words[i].text;
        const n = parseInteger(words[i + 1].text, 0, 86400 * 31, { sink: ctx.sink, loc: words[i + 1].loc });
        if (n === undefined) continue;
        if (k === 'tcp' || k === 'tcpfin' || k === 'udp') t[k] = seconds(n);
        else ctx.sink.error('invalid-value', `unknown lvs_timeouts option '${k}'`, words[i].loc, { text: k });
      }
      g.lvsTimeouts = t;
    },
  },
  lvs_flush: flag('lvsFlush'),
  lvs_flush_on_stop: lvsFlushOnStop,
  // Old spelling; keepalived 2.2.7 accepts it without a warning.
  lvs_flush_onstop: lvsFlushOnStop,
  default_interface: str('defaultInterface'),
  dynamic_interfaces: {
    minArgs: 0,
    handle: (s, g) => (g.dynamicInterfaces = { allowIfChanges: s.args[0]?.text === 'allow_if_changes' }),
  },
  startup_script: script('startupScript'),
  startup_script_timeout: {
    minArgs: 1,
    handle: (s, g, ctx) => {
      const n = parseInteger(s.args[0].text, 1, 1000, valueCtx(s, ctx));
      if (n !== undefined) g.startupScriptTimeout = seconds(n);
    },
  },
  shutdown_script: script('shutdownScript'),
  shutdown_script_timeout: {
    minArgs: 1,
    handle: (s, g, ctx) => {
      const n = parseInteger(s.args[0].text, 1, 1000, valueCtx(s, ctx));
      if (n !== undefined) g.shutdownScriptTimeout = seconds(n);
    },
  },
  reload_check_config: {
    minArgs: 0,
    handle: (s, g) => (g.reloadCheckConfig = s.args[0] ? { logFile: s.args[0].text } : {}),
  },
  log_unknown_vrids: flag('logUnknownVrids'),
  rs_init_notifies: flag('rsInitNotifies'),
  vrrp_vmac_garp_intvl: alias(
    {
      minArgs: 1,
      handle: (s, g, ctx) => {
        const n = parseInteger(s.args[0].text, 0, 86400, valueCtx(s, ctx));
        if (n !== undefined) g.vrrpGarpExtraIf = { all: false, interval: ms(n * 1000) };
      },
    },
    'Keyword "vrrp_vmac_garp_intvl" is deprecated - please use "vrrp_garp_extra_if"',
  ),
};

export const globalDefsTable: KeywordTable<G> = {
  ...Object.fromEntries(STORED.map((k) => [k, stored<G>()])),
  ...typed,
};
