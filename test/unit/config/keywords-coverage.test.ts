// The keyword set of every block must be exactly keepalived 2.2.7's. KEEPALIVED_227 below was
// established by running the Debian keepalived 2.2.7 binary (`keepalived -t`) on every word found
// in the binary and man page, in each block, and keeping those it did not report as unknown
// (include/includea/includer/includew, valid everywhere, left out). The live test re-checks it
// against the installed binary, inside a throw-away network namespace.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildModel } from '../../../src/config/build-model.js';
import { KEYWORDS_BY_BLOCK, blockKeywordsOf } from '../../../src/config/keywords/registry.js';
import { parseConfigText } from '../../../src/config/parse.js';
import { DiagnosticSink } from '../../../src/lib/diagnostics.js';
import { isRoot, itWhen, type Prereq } from '../../helpers/require.js';

const KEEPALIVED_227: Record<string, string> = {
  "top": "SSL bfd_instance child_wait_time garp_group global_defs instance interface_up_down_delays linkbeat_interfaces linkbeat_use_polling namespace_with_ipsets net_namespace net_namespace_ipvs static_ipaddress static_routes static_rules track_file track_group use_pid_dir virtual_server virtual_server_group vrrp_instance vrrp_script vrrp_sync_group vrrp_track_file vrrp_track_process",
  "global_defs": "bfd_cpu_affinity bfd_no_swap bfd_priority bfd_process_name bfd_rlimit_rtime bfd_rlimit_rttime bfd_rt_priority checker_cpu_affinity checker_log_all_failures checker_no_swap checker_priority checker_process_name checker_rlimit_rtime checker_rlimit_rttime checker_rt_priority config_save_dir data_use_instance dbus_service_name default_interface disable_local_igmp dynamic_interfaces enable_dbus enable_script_security enable_snmp_checker enable_snmp_keepalived enable_snmp_rfc enable_snmp_rfcv2 enable_snmp_rfcv3 enable_snmp_vrrp enable_traps fifo_write_vrrp_states_on_reload include_check log_unknown_vrids lvs_flush lvs_flush_on_stop lvs_flush_onstop lvs_netlink_cmd_rcv_bufs lvs_netlink_cmd_rcv_bufs_force lvs_netlink_monitor_rcv_bufs lvs_netlink_monitor_rcv_bufs_force lvs_notify_fifo lvs_notify_fifo_script lvs_process_name lvs_sync_daemon lvs_timeouts max_auto_priority min_auto_priority_delay nftables nftables_counters nftables_ifindex nftables_ipvs nftables_ipvs_priority nftables_ipvs_start_fwmark nftables_priority no_checker_emails no_email_faults notification_email notification_email_from notify_fifo notify_fifo_script process_monitor_rcv_bufs process_monitor_rcv_bufs_force process_name process_names random_seed reload_check_config reload_file reload_repeat reload_time_file router_id rs_init_notifies script_user shutdown_script shutdown_script_timeout smtp_alert smtp_alert_checker smtp_alert_vrrp smtp_connect_timeout smtp_helo_name smtp_server snmp_socket startup_script startup_script_timeout tmp_config_directory umask vmac_addr_prefix vmac_prefix vrrp_check_unicast_src vrrp_cpu_affinity vrrp_down_timer_adverts vrrp_garp_extra_if vrrp_garp_interval vrrp_garp_lower_prio_delay vrrp_garp_lower_prio_repeat vrrp_garp_master_delay vrrp_garp_master_refresh vrrp_garp_master_refresh_repeat vrrp_garp_master_repeat vrrp_gna_interval vrrp_higher_prio_send_advert vrrp_iptables vrrp_lower_prio_no_advert vrrp_mcast_group4 vrrp_mcast_group6 vrrp_min_garp vrrp_netlink_cmd_rcv_bufs vrrp_netlink_cmd_rcv_bufs_force vrrp_netlink_monitor_rcv_bufs vrrp_netlink_monitor_rcv_bufs_force vrrp_no_swap vrrp_notify_fifo vrrp_notify_fifo_script vrrp_notify_priority_changes vrrp_priority vrrp_process_name vrrp_rlimit_rtime vrrp_rlimit_rttime vrrp_rt_priority vrrp_rx_bufs_multiplier vrrp_rx_bufs_policy vrrp_skip_check_adv_addr vrrp_startup_delay vrrp_strict vrrp_version vrrp_vmac_garp_intvl",
  "vrrp_script": "fall init_fail interval rise script timeout user weight",
  "track_file": "file init_file weight",
  "vrrp_track_process": "delay fork_delay full_command param_match process quorum quorum_max terminate_delay weight",
  "vrrp_sync_group": "global_tracking group notify notify_backup notify_fault notify_master notify_priority_changes notify_stop smtp_alert sync_group_tracking_weight track_bfd track_file track_interface track_process track_script",
  "vrrp_instance": "accept advert_int authentication check_unicast_src debug dont_track_primary down_timer_adverts garp_extra_if garp_lower_prio_delay garp_lower_prio_repeat garp_master_delay garp_master_refresh garp_master_refresh_repeat garp_master_repeat higher_prio_send_advert interface kernel_rx_buf_size linkbeat_use_polling lower_prio_no_advert lvs_sync_daemon_interface mcast_dst_ip mcast_src_ip native_ipv6 no_accept nopreempt notify notify_backup notify_deleted notify_fault notify_master notify_master_rx_lower_pri notify_priority_changes notify_stop old_unicast_checksum preempt preempt_delay priority promote_secondaries skip_check_adv_addr smtp_alert state strict_mode track_bfd track_file track_interface track_process track_script track_src_ip unicast_fault_no_peer unicast_peer unicast_src_ip unicast_ttl use_ipvlan use_vmac use_vmac_addr version virtual_ipaddress virtual_ipaddress_excluded virtual_router_id virtual_routes virtual_rules vmac_garp_intvl vmac_xmit_base vrf",
  "authentication": "auth_pass auth_type",
  "virtual_server": "alpha connect_timeout delay_before_retry delay_loop flag-1 flag-2 flag-3 ha_suspend hashed hysteresis inhibit_on_failure ip_family lb_algo lb_kind lvs_method lvs_sched mh-fallback mh-port omega ops persistence_engine persistence_granularity persistence_timeout protocol quorum quorum_down quorum_up real_server retry sh-fallback sh-port smtp_alert snmp_name sorry_server sorry_server_inhibit sorry_server_lvs_method virtualhost warmup weight",
  "real_server": "BFD_CHECK DNS_CHECK FILE_CHECK HTTP_GET MISC_CHECK PING_CHECK SMTP_CHECK SSL_GET TCP_CHECK UDP_CHECK alpha connect_timeout delay_before_retry delay_loop inhibit_on_failure lthreshold lvs_method notify_down notify_up retry smtp_alert snmp_name uthreshold virtualhost warmup weight",
  "TCP_CHECK": "alpha bind_if bind_port bindto connect_ip connect_port connect_timeout delay_before_retry delay_loop fwmark log_all_failures retry warmup",
  "HTTP_GET": "alpha bind_if bind_port bindto connect_ip connect_port connect_timeout delay_before_retry delay_loop enable_sni fast_recovery fwmark http_protocol log_all_failures nb_get_retry retry url virtualhost warmup",
  "SSL_GET": "alpha bind_if bind_port bindto connect_ip connect_port connect_timeout delay_before_retry delay_loop enable_sni fast_recovery fwmark http_protocol log_all_failures nb_get_retry retry url virtualhost warmup",
  "SMTP_CHECK": "alpha bind_if bind_port bindto connect_ip connect_port connect_timeout delay_before_retry delay_loop fwmark helo_name host log_all_failures retry warmup",
  "DNS_CHECK": "alpha bind_if bind_port bindto connect_ip connect_port connect_timeout delay_before_retry delay_loop fwmark log_all_failures name retry type warmup",
  "MISC_CHECK": "alpha delay_before_retry delay_loop log_all_failures misc_dynamic misc_path misc_timeout retry user warmup",
  "UDP_CHECK": "alpha bind_if bind_port bindto connect_ip connect_port connect_timeout delay_before_retry delay_loop fwmark log_all_failures max_reply_length min_reply_length payload require_reply retry warmup",
  "PING_CHECK": "alpha bind_if bind_port bindto connect_ip connect_port connect_timeout delay_before_retry delay_loop fwmark log_all_failures retry warmup",
  "FILE_CHECK": "track_file weight",
  "BFD_CHECK": "alpha name",
  "url": "digest path regex regex_max_offset regex_min_offset regex_no_match regex_options regex_stack status_code virtualhost",
  "smtp_host": "alpha bind_if bind_port bindto connect_ip connect_port connect_timeout delay_before_retry delay_loop fwmark log_all_failures retry warmup",
  "SSL": "ca certificate key password",
  "bfd_instance": "checker hoplimit idle_tx max_hops min_rx min_tx multiplier neighbor_ip neighbour_ip passive source_ip ttl vrrp weight",
  "garp_group": "garp_interval gna_interval interface interfaces",
};

const VI = (body: string) =>
  `vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n 10.0.0.1\n }\n${body}\n}\n`;
const VS = (body: string) => `virtual_server 10.0.0.1 80 {\n protocol TCP\n${body}\n}\n`;
const RS = (body: string) => VS(` real_server 10.0.0.2 80 {\n${body}\n }`);
const CHK = (name: string) => (body: string) => RS(`  ${name} {\n${body}\n  }`);

/** Where a keyword of each block is put to test it. */
export const WRAPPERS: Record<string, (body: string) => string> = {
  top: (b) => `${b}\n`,
  global_defs: (b) => `global_defs {\n${b}\n}\n`,
  vrrp_script: (b) => `vrrp_script s {\n script "/bin/true"\n${b}\n}\n`,
  track_file: (b) => `track_file f {\n file "/tmp/x"\n${b}\n}\n`,
  vrrp_track_process: (b) => `vrrp_track_process p {\n process foo\n${b}\n}\n`,
  vrrp_sync_group: (b) => `${VI('')}vrrp_sync_group G {\n group {\n VI_1\n }\n${b}\n}\n`,
  vrrp_instance: VI,
  authentication: (b) => VI(` authentication {\n${b}\n }`),
  virtual_server: VS,
  real_server: RS,
  ...Object.fromEntries(
    ['TCP_CHECK', 'HTTP_GET', 'SSL_GET', 'SMTP_CHECK', 'DNS_CHECK', 'MISC_CHECK', 'UDP_CHECK', 'PING_CHECK', 'FILE_CHECK', 'BFD_CHECK'].map(
      (k) => [k, CHK(k)],
    ),
  ),
  url: (b) => CHK('HTTP_GET')(`   url {\n${b}\n   }`),
  smtp_host: (b) => CHK('SMTP_CHECK')(`   host {\n${b}\n   }`),
  SSL: (b) => `SSL {\n${b}\n}\n`,
  bfd_instance: (b) => `bfd_instance b {\n neighbor_ip 10.0.0.9\n${b}\n}\n`,
  garp_group: (b) => `garp_group {\n${b}\n}\n`,
};

function unknownsFor(block: string, line: string): string[] {
  const sink = new DiagnosticSink();
  const tree = parseConfigText(WRAPPERS[block](line), 'k.conf', {}, sink);
  buildModel(tree, sink);
  return sink.items.filter((d) => d.code === 'unknown-keyword').map((d) => d.text ?? '');
}

describe('keyword tables match keepalived 2.2.7', () => {
  for (const [block, words] of Object.entries(KEEPALIVED_227)) {
    it(`${block}: same keyword set as keepalived 2.2.7`, () => {
      expect(KEYWORDS_BY_BLOCK[block]).toEqual(words.split(' ').sort());
    });
    it(`${block}: every keyword is accepted in place, misspellings are not`, () => {
      for (const w of words.split(' ')) expect(unknownsFor(block, `${w} 1 1`), w).toEqual([]);
      expect(unknownsFor(block, 'zz_not_a_keyword 1')).toEqual(['zz_not_a_keyword']);
    });
  }
});

const hasKeepalived: Prereq = () =>
  spawnSync('keepalived', ['--version']).error ? 'keepalived binary not installed' : undefined;
const hasUnshare: Prereq = () => (spawnSync('unshare', ['-n', 'true']).status === 0 ? undefined : 'unshare -n not usable');

describe('live cross-check against the keepalived binary (in a private netns)', () => {
  itWhen(isRoot, hasKeepalived, hasUnshare)('keepalived -t reports none of our keywords unknown, and our junk word', { timeout: 120_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'ktkw-'));
    try {
      let n = 0;
      const run = (block: string, lines: string[]): { unknown: string[]; out: string; status: number | null } => {
        const file = join(dir, `${block}-${n++}.conf`);
        writeFileSync(file, WRAPPERS[block](lines.join('\n')));
        const r = spawnSync('unshare', ['-n', 'keepalived', '-t', '-f', file], { encoding: 'utf8', cwd: dir });
        const out = `${r.stdout}${r.stderr}`;
        return { unknown: [...out.matchAll(/Unknown keyword '([^']*)'/g)].map((m) => m[1]), out, status: r.status };
      };
      for (const block of Object.keys(WRAPPERS)) {
        const words = KEYWORDS_BY_BLOCK[block];
        const blocks = blockKeywordsOf(block);
        const line = (w: string) => (blocks.includes(w) ? `${w} 1 1 {\n}` : `${w} 1 1`);
        // All keywords in one run; a keyword whose block disturbs keepalived's reading of the
        // following lines can make those look unknown, so suspects are re-run one by one.
        const batch = run(block, [...words.map(line), 'zz_not_a_keyword 1']);
        for (const w of batch.unknown.filter((u) => words.includes(u))) {
          const single = run(block, [line(w)]);
          expect(single.unknown, `${block}/${w}: ${single.out}`).not.toContain(w);
        }
        const junk = run(block, ['zz_not_a_keyword 1']);
        expect(junk.unknown, `${block}: ${junk.out}`).toContain('zz_not_a_keyword');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
