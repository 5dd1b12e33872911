// VRRP completion and validation done by keepalived at -t time (vrrp/vrrp.c:
// vrrp_complete_instance, vrrp_parser.c end handlers, vrrp_sync.c). Messages follow keepalived's
// wording so an operator can match them with keepalived's own output.
import type { SourceLoc } from '../../lib/diagnostics.js';
import { VRRP_GROUP4, VRRP_GROUP6 } from '../../lib/protocol.js';
import { cs, ms } from '../../lib/units.js';
import type { KeepalivedConfig, TrackRef, VrrpSyncGroup } from '../model.js';
import type { BuildCtx } from './table.js';
import type { InstanceDraft } from './vrrp-instance.js';
import type { ScriptDraft } from './vrrp-trackers.js';

interface VrrpDraft extends KeepalivedConfig {
  vrrpInstances: InstanceDraft[];
  vrrpScripts: ScriptDraft[];
}

/**
 * Codes of the errors after which keepalived's VRRP process does not start at all
 * (vrrp_complete_init() fails: chk_min_cfg, vrrp_complete_instance, check_vrid_conflicts) and
 * keepalived exits 2 ("exited with permanent error CONFIG"); `-t` reports them like any error.
 * Only diagnostics of severity error count (`no-vip` is a warning for VRRPv2 without strict).
 */
export const VRRP_START_FATAL: ReadonlySet<string> = new Set(['missing-vrid', 'missing-interface', 'duplicate-vrid', 'no-vip']);

export function completeVrrp(m: VrrpDraft, ctx: BuildCtx): void {
  completeScripts(m, ctx);
  for (const v of m.vrrpInstances) completeFamily(v, ctx);
  m.vrrpInstances = m.vrrpInstances.filter((v) => {
    if (v.virtualRouterId === undefined) {
      ctx.sink.error('missing-vrid', `(${v.name}) the virtual router id must be set`, v.loc, { text: v.name });
      return false;
    }
    if (v.interface === undefined && v.unicastSrcIp === undefined) {
      ctx.sink.error('missing-interface', `(${v.name}) Unknown interface!`, v.loc, { text: v.name });
      return false;
    }
    return true;
  });
  completeSyncGroups(m, ctx);
  for (const v of m.vrrpInstances) {
    completeInstance(v, m, ctx);
    resolveTracks(v, m, ctx);
  }
  checkDuplicateVrids(m, ctx);
}

function completeScripts(m: VrrpDraft, ctx: BuildCtx): void {
  m.vrrpScripts = m.vrrpScripts.filter((s) => {
    if (!s.timeoutWritten) s.timeout = s.interval;
    if (!s.script) {
      ctx.sink.error('missing-script', `No script set for vrrp_script ${s.name} - removing`, s.loc, { text: s.name });
      return false;
    }
    return true;
  });
}

/** VIP family: the first VIP decides (native_ipv6 forces inet6); others are dropped. */
function completeFamily(v: InstanceDraft, ctx: BuildCtx): void {
  if (!v.written.has('native_ipv6') && v.virtualIpaddress.length > 0) v.family = v.virtualIpaddress[0].ip.family;
  v.virtualIpaddress = v.virtualIpaddress.filter((vip) => {
    if (vip.ip.family === v.family) return true;
    // keepalived names the address with its prefix length when the line has one.
    const shown = vip.ip.prefixWritten ? `${vip.ip.address}/${vip.ip.prefixLen}` : vip.ip.address;
    ctx.sink.error('family-mismatch', `(${v.name}): address family must match VRRP instance [${shown}] - ignoring`, vip.loc, {
      text: vip.ip.address.text,
    });
    return false;
  });
}

function completeInstance(v: InstanceDraft, m: VrrpDraft, ctx: BuildCtx): void {
  const warn = (code: string, msg: string, loc: SourceLoc = v.loc) => ctx.sink.warning(code, msg, loc, { text: v.name });
  // Fact sheet 3.6: no priority -> 100, or 255 with `state MASTER`; no state -> MASTER iff 255.
  if (!v.written.has('priority') && v.written.has('state') && v.state === 'MASTER') v.priority = 255;
  if (!v.written.has('state')) v.state = v.priority === 255 ? 'MASTER' : 'BACKUP';

  if (v.family === 'inet6' && v.version === 2) {
    // RFC 5798: IPv6 is VRRPv3 only. keepalived says so in strict mode for an explicit `version 2`.
    if (v.strictMode && v.written.has('version')) warn('strict-mode', `(${v.name}) cannot use IPv6 with VRRP version 2; setting version 3`);
    v.version = 3;
  }
  if (v.authentication && v.version === 3) {
    warn('auth-ignored', `(${v.name}) VRRP version 3 does not support authentication. Ignoring.`);
    delete v.authentication;
  }
  if (v.authentication?.authType === 'AH' && v.state === 'MASTER' && v.written.has('state')) {
    warn('state-cleared', `(${v.name}) Initial state master is incompatible with AH authentication - clearing`);
    v.state = 'BACKUP';
  }

  if (v.strictMode) applyStrict(v, ctx);
  limitVips(v, ctx);
  if (v.useVmac) completeVmac(v, m, ctx);
  if (v.useIpvlan) {
    // keepalived 2.2.7 vrrp_complete_instance: the instance is then held in FAULT (ADR 0023).
    // (An address before any VIP decides the family in keepalived; here the VIPs do: not checked.)
    if (v.family === 'inet' && !v.useIpvlan.address) ctx.sink.error('invalid-value', `(${v.name}) IPv4 ipvlan requires a source ip address to be configured. setting instance to fault state`, v.loc, { text: v.name });
  }

  if (v.state === 'MASTER' || v.priority === 255) {
    if (v.nopreempt && v.state === 'MASTER') {
      warn('nopreempt-cleared', `(${v.name}) Warning - nopreempt will not work with initial state MASTER - clearing`);
      v.nopreempt = false;
    }
    if (v.preemptDelay > 0 && v.state === 'MASTER') {
      warn('preempt-delay-cleared', `(${v.name}) Warning - preempt delay will not work with initial state MASTER - clearing`);
      v.preemptDelay = ms(0);
    }
  }

  // VRRPv2 carries whole seconds (RFC 3768 5.3.7); v3 centiseconds up to 40.95 s (RFC 5798 5.2.7).
  if (v.version === 2 && v.advertInt % 100 !== 0) {
    warn('advert-int-rounded', `(${v.name}) VRRPv2 advertisement interval ${(v.advertInt / 100).toFixed(6)}s must be an integer. rounding`);
    v.advertInt = cs(Math.max(100, Math.round(v.advertInt / 100) * 100));
  } else if (v.version === 3 && v.advertInt > 4095) {
    warn('advert-int-clamped', `(${v.name}) VRRPv3 advertisement interval ${v.advertInt / 100}s too large - setting to 40.95s`);
    v.advertInt = cs(4095);
  }

  if (v.virtualIpaddress.length === 0 && (v.version === 3 || v.strictMode)) {
    ctx.sink.error('no-vip', `(${v.name}) No VIP specified; at least one is required`, v.loc, { text: v.name });
  } else if (v.virtualIpaddress.length === 0) {
    warn('no-vip', `(${v.name}) No VIP specified; at least one is required`);
  }

  if (v.unicast && v.unicastPeer.length === 0 && !v.unicastFaultNoPeer) {
    warn('no-unicast-peer', `(${v.name}) A unicast keyword has been specified without any unicast peers. Defaulting to multicast. This usage is deprecated - please update your configuration.`);
    v.unicast = false;
  }
  if (!v.written.has('accept') && !v.written.has('no_accept') && v.strictMode && v.priority !== 255) v.accept = false;
  else if (v.accept && v.strictMode && v.priority !== 255 && v.version === 2) {
    warn('strict-mode', `(${v.name}) warning - accept mode for VRRP version 2 does not comply with RFC3768 - resetting`);
    v.accept = false;
  }
  if (m.globalDefs.vrrpLowerPrioNoAdvert === undefined && v.strictMode) v.lowerPrioNoAdvert = true;
}

/** use_vmac checks keepalived makes once the instance is read (vrrp_parser.c end handler, vrrp_complete_instance). */
function completeVmac(v: InstanceDraft, m: VrrpDraft, ctx: BuildCtx): void {
  const err = (msg: string) => ctx.sink.error('invalid-value', msg, v.loc, { text: v.name });
  const name = v.useVmac?.name;
  if (v.useVmac && name !== undefined) {
    const other = m.vrrpInstances.find((o) => o !== v && o.useVmac?.name === name && m.vrrpInstances.indexOf(o) < m.vrrpInstances.indexOf(v));
    if (other) {
      err(`(${v.name}) VRRP instance ${other.name} is already using ${name} - ignoring name`);
      v.useVmac = { ...(v.useVmac.mac !== undefined ? { mac: v.useVmac.mac } : {}), options: v.useVmac.options };
    }
  }
  if (v.unicastPeer.length > 0 && !v.vmacXmitBase) {
    err(`(${v.name}) unicast with use_vmac requires vmac_xmit_base - setting`);
    v.vmacXmitBase = true;
  }
  if (v.strictMode && v.vmacXmitBase) {
    err(`(${v.name}) xmit_base is incompatible with strict mode - resetting`);
    v.vmacXmitBase = false;
  }
  if (v.promoteSecondaries) {
    err(`(${v.name}) promote_secondaries is automatically set for vmacs - ignoring`);
    v.promoteSecondaries = false;
  }
}

/**
 * Strict mode (fact sheet 3.12), in the words and with the effects keepalived 2.2.7 shows for
 * each case (test/acceptance/strict-mode.test.ts runs both side by side). Unicast peers pass:
 * 2.2.7's check looks at interface flags not read yet when it runs, so the instance runs unicast.
 */
function applyStrict(v: InstanceDraft, ctx: BuildCtx): void {
  const warn = (code: string, msg: string) => ctx.sink.warning(code, msg, v.loc, { text: v.name });
  if ((v.state === 'MASTER') !== (v.priority === 255)) {
    warn('strict-mode', `(${v.name}) State MASTER must match being address owner`);
    v.state = v.priority === 255 ? 'MASTER' : 'BACKUP';
  }
  if (v.authentication) {
    warn('strict-mode', `(${v.name}) Strict mode does not support authentication. Ignoring.`);
    delete v.authentication;
  }
  if (v.family === 'inet6' && !v.unicast && v.virtualIpaddress[0] && !v.virtualIpaddress[0].ip.address.isLinkLocal()) {
    ctx.sink.error('strict-mode', `(${v.name}) the first IPv6 VIP address must be link local`, v.loc, { text: v.name });
  }
  if (v.preemptDelay > 0) {
    warn('strict-mode', `(${v.name}) preempt_delay is incompatible with strict mode - resetting`);
    v.preemptDelay = ms(0);
  }
  if (v.downTimerAdverts !== 3) {
    if (v.written.has('down_timer_adverts')) warn('strict-mode', `(${v.name}) down_timer_adverts is incompatible with strict mode - resetting`);
    v.downTimerAdverts = 3;
  }
  if (v.written.has('garp_lower_prio_repeat') && v.garpLowerPrioRepeat !== 0) warn('strict-mode', `(${v.name}) Strict mode requires no repeat garps. resetting`);
  if (v.written.has('garp_lower_prio_delay') && v.garpLowerPrioDelay !== 0) warn('strict-mode', `(${v.name}) Strict mode requires no repeat garp delay. resetting`);
  if (v.written.has('lower_prio_no_advert') && !v.lowerPrioNoAdvert) warn('strict-mode', `(${v.name}) Strict mode requires no lower priority advert. resetting`);
  if (v.written.has('higher_prio_send_advert') && v.higherPrioSendAdvert) warn('strict-mode', `(${v.name}) strict mode requires higher_prio_send_advert to be clear. resetting`);
  v.garpLowerPrioRepeat = 0;
  v.garpLowerPrioDelay = ms(0);
  v.higherPrioSendAdvert = false;
  v.lowerPrioNoAdvert = true;
}

/**
 * The VIPs must fit one advert on a 1500-byte link (keepalived's DEFAULT_MTU; it uses the
 * interface's MTU when it knows it) and the 8-bit count field: the rest become eVIPs, with
 * keepalived's line (vrrp.c vrrp_complete_instance).
 */
function limitVips(v: InstanceDraft, ctx: BuildCtx): void {
  // Ethernet 14 + IP header + VRRP header 8 (+ v2 authentication data 8, + AH 24).
  const hdr = v.family === 'inet' ? 14 + 20 + 8 + (v.version === 2 ? 8 + (v.authentication?.authType === 'AH' ? 24 : 0) : 0) : 14 + 40 + 8;
  const max = Math.min(255, Math.floor((1500 - hdr) / (v.family === 'inet' ? 4 : 16)));
  if (v.virtualIpaddress.length <= max) return;
  ctx.sink.warning(
    'vip-count',
    `(${v.name}) Number of VIPs (${v.virtualIpaddress.length}) exceeds maximum/space available in packet (max ${max} addresses) - excess moved to eVIPs`,
    v.loc,
    { text: v.name },
  );
  v.virtualIpaddressExcluded.push(...v.virtualIpaddress.splice(max));
}

function completeSyncGroups(m: VrrpDraft, ctx: BuildCtx): void {
  const byName = new Map(m.vrrpInstances.map((v) => [v.name, v]));
  const kept: VrrpSyncGroup[] = [];
  for (const g of m.vrrpSyncGroups) {
    const members: string[] = [];
    let ok = true;
    for (const name of g.group) {
      const v = byName.get(name);
      if (!v) {
        ctx.sink.error('unknown-reference', `Virtual router ${name} specified in sync group ${g.name} doesn't exist - ignoring`, g.loc, {
          text: name,
        });
        continue;
      }
      if (v.syncGroup !== undefined && v.syncGroup !== g.name) {
        ctx.sink.error('duplicate-sync-member', `Virtual router ${name} cannot exist in more than one sync group; ignoring ${g.name}`, g.loc, {
          text: name,
        });
        ok = false;
        continue;
      }
      members.push(name);
    }
    g.group = members;
    if (!ok || members.length === 0) {
      if (members.length === 0 && ok) ctx.sink.warning('empty-sync-group', `Sync group ${g.name} has no virtual router(s). removing`, g.loc);
      continue;
    }
    for (const n of members) (byName.get(n) as InstanceDraft).syncGroup = g.name;
    if (members.length === 1) {
      ctx.sink.warning(
        'sync-group-single',
        `Sync group ${g.name} has only 1 virtual router(s) - this probably isn't what you want`,
        g.loc,
        { text: g.name },
      );
    }
    kept.push(g);
  }
  m.vrrpSyncGroups = kept;
}

/** track_script / track_file / track_process references and the sync-group weight rule. */
function resolveTracks(v: InstanceDraft, m: VrrpDraft, ctx: BuildCtx): void {
  const group = m.vrrpSyncGroups.find((g) => g.name === v.syncGroup);
  const filter = (refs: TrackRef[], kind: string, known: Map<string, number>): TrackRef[] =>
    refs.filter((r) => {
      const own = known.get(r.name);
      if (own === undefined) {
        ctx.sink.error('unknown-reference', `(${v.name}) ${kind} ${r.name} not found, ignoring...`, r.loc, { text: r.name });
        return false;
      }
      const weight = r.weight ?? own;
      if (group && weight !== 0 && !group.syncGroupTrackingWeight) {
        ctx.sink.error('sync-group-weight', `(${v.name}) ignoring tracked ${kind.replace('track ', '')} ${r.name} with weights due to SYNC group`, r.loc, {
          text: r.name,
        });
        return false;
      }
      if (v.priority === 255 && weight !== 0) {
        ctx.sink.error('owner-weight', `(${v.name}) ignoring weighted ${kind} ${r.name} for address owner`, r.loc, { text: r.name });
        return false;
      }
      return true;
    });
  v.trackScript = filter(v.trackScript, 'track script', new Map(m.vrrpScripts.map((s) => [s.name, s.weight])));
  v.trackFile = filter(v.trackFile, 'track file', new Map(m.trackFiles.map((f) => [f.name, f.weight])));
  v.trackProcess = filter(v.trackProcess, 'track process', new Map(m.vrrpTrackProcesses.map((p) => [p.name, p.weight])));
  if (group) {
    v.trackInterface = v.trackInterface.map((t) => (t.weight ? { ...t, weight: 0 } : t));
  }
}

/**
 * keepalived's check_vrid_conflicts (vrrp.c), every pair of instances: multicast instances
 * conflict when they share interface, family, VRID and multicast group ("X and Y both use VRID
 * N with IPv4 on interface I"); unicast ones when they share family, VRID, interface (or one
 * has none), source address and at least one peer ("(X) duplicate VRID conflict with Y VRID N").
 * keepalived's VRRP process then refuses to start (see VRRP_START_FATAL).
 */
function checkDuplicateVrids(m: VrrpDraft, ctx: BuildCtx): void {
  const g = m.globalDefs;
  const group = (v: InstanceDraft): string => v.mcastDstIp?.text ?? (v.family === 'inet' ? g.vrrpMcastGroup4 || VRRP_GROUP4 : g.vrrpMcastGroup6 || VRRP_GROUP6);
  // Candidates share family and VRID; a Map keeps this linear for configs of many instances.
  const byVrid = new Map<string, InstanceDraft[]>();
  for (const v of m.vrrpInstances) {
    const key = `${v.family}|${v.virtualRouterId}|${v.unicast ? 'u' : 'm'}`;
    const list = byVrid.get(key);
    if (list === undefined) byVrid.set(key, [v]);
    else list.push(v);
  }
  for (const list of byVrid.values()) {
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        const a = list[i];
        const b = list[j];
        if (a.unicast) {
          if (a.interface !== undefined && b.interface !== undefined && a.interface !== b.interface) continue;
          const sa = a.unicastSrcIp?.text;
          const sb = b.unicastSrcIp?.text;
          if (sa !== undefined && sb !== undefined && sa !== sb) continue;
          if (!a.unicastPeer.some((p) => b.unicastPeer.some((q) => q.ip.equals(p.ip)))) continue;
          ctx.sink.error('duplicate-vrid', `(${a.name}) duplicate VRID conflict with ${b.name} VRID ${a.virtualRouterId}`, b.loc, { text: b.name });
          continue;
        }
        if (a.interface === undefined || a.interface !== b.interface || group(a) !== group(b)) continue;
        const fam = a.family === 'inet' ? 'IPv4' : 'IPv6';
        ctx.sink.error('duplicate-vrid', `${a.name} and ${b.name} both use VRID ${a.virtualRouterId} with ${fam} on interface ${a.interface}`, b.loc, {
          text: b.name,
        });
      }
    }
  }
}
