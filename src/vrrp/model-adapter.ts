// From the typed config model (src/config/model.ts) to the FSM's normalised InstanceConfig and
// SyncGroupConfig: implicit trackers, owner and sync-group tracker rules, FIFO presence.
import type { KeepalivedConfig, ScriptSpec, TrackRef, VrrpInstance, VrrpSyncGroup } from '../config/model.js';
import { cs, ms } from '../lib/units.js';
import type { SyncGroupConfig } from './sync-group.js';
import type { TrackerConfig } from './tracking.js';
import { trackersForOwner, trackersForSyncMember } from './tracking.js';
import type { InstanceConfig } from './fsm/config.js';

function refWeight(ref: TrackRef, objWeight: number, objReverse: boolean): { weight: number; reverse: boolean } {
  // A weight on the track_* line overrides the tracked object's own weight (and its reverse).
  return ref.weight !== undefined ? { weight: ref.weight, reverse: ref.reverse } : { weight: objWeight, reverse: objReverse || ref.reverse };
}

function trackersOf(model: KeepalivedConfig, refs: { iface: readonly TrackRef[]; script: readonly TrackRef[]; file: readonly TrackRef[]; process: readonly TrackRef[] }): TrackerConfig[] {
  const out: TrackerConfig[] = [];
  for (const r of refs.iface) out.push({ type: 'interface', name: r.name, weight: r.weight ?? 0, reverse: r.reverse });
  for (const r of refs.script) {
    const s = model.vrrpScripts.find((x) => x.name === r.name);
    if (!s) continue;
    out.push({ type: 'script', name: r.name, ...refWeight(r, s.weight, s.weightReverse), rise: s.rise, fall: s.fall, initFail: s.initFail });
  }
  for (const r of refs.file) {
    const f = model.trackFiles.find((x) => x.name === r.name);
    if (!f) continue;
    out.push({ type: 'file', name: r.name, ...refWeight(r, f.weight, f.weightReverse) });
  }
  for (const r of refs.process) {
    const p = model.vrrpTrackProcesses.find((x) => x.name === r.name);
    if (!p) continue;
    out.push({ type: 'process', name: r.name, ...refWeight(r, p.weight, p.weightReverse), rise: 1, fall: 1, initFail: false });
  }
  return out;
}

export function instanceConfigFromModel(model: KeepalivedConfig, vi: VrrpInstance): InstanceConfig {
  const g = model.globalDefs;
  const group: VrrpSyncGroup | undefined = model.vrrpSyncGroups.find((sg) => sg.group.includes(vi.name));
  // 3.10: the instance's own interface is tracked with weight 0 unless dont_track_primary.
  const implicit: TrackerConfig[] = vi.interface && !vi.dontTrackPrimary ? [{ type: 'interface', name: vi.interface, weight: 0, reverse: false }] : [];
  let explicit = trackersOf(model, { iface: vi.trackInterface, script: vi.trackScript, file: vi.trackFile, process: vi.trackProcess });
  if (group) {
    // Group trackers apply to every member (3.14); member weight rules (3.9).
    explicit = [...explicit, ...trackersOf(model, { iface: group.trackInterface, script: group.trackScript, file: group.trackFile, process: group.trackProcess })];
    explicit = trackersForSyncMember(explicit, group.syncGroupTrackingWeight);
  }
  let trackers = [...implicit, ...explicit];
  if (vi.priority === 255) trackers = trackersForOwner(trackers);
  const fifo = g.notifyFifo !== undefined || g.vrrpNotifyFifo !== undefined;
  const src = vi.unicastSrcIp ?? vi.mcastSrcIp;
  return {
    name: vi.name,
    vrid: vi.virtualRouterId ?? 0,
    version: vi.version,
    family: vi.family,
    priority: vi.priority,
    advertInt: cs(vi.advertInt),
    preempt: !vi.nopreempt,
    preemptDelay: ms(vi.preemptDelay),
    vips: vi.virtualIpaddress.map((v) => v.ip.address),
    evips: vi.virtualIpaddressExcluded.map((v) => v.ip.address),
    unicastPeers: vi.unicastPeer.map((p) => ({ address: p.ip, minTtl: p.minTtl, maxTtl: p.maxTtl })),
    srcIp: src,
    checkUnicastSrc: vi.checkUnicastSrc,
    authType: vi.authentication?.authType === 'PASS' ? 1 : vi.authentication?.authType === 'AH' ? 2 : 0,
    authPass: vi.authentication?.authPass,
    garp: {
      masterDelay: ms(vi.garpMasterDelay),
      masterRepeat: vi.garpMasterRepeat,
      masterRefresh: ms(vi.garpMasterRefresh),
      masterRefreshRepeat: vi.garpMasterRefreshRepeat,
      lowerPrioDelay: ms(vi.garpLowerPrioDelay),
      lowerPrioRepeat: vi.garpLowerPrioRepeat,
    },
    downTimerAdverts: vi.downTimerAdverts,
    lowerPrioNoAdvert: vi.lowerPrioNoAdvert,
    higherPrioSendAdvert: vi.higherPrioSendAdvert,
    // owner_ignore_adverts is a keepalived 2.3+ keyword (not accepted by 2.2.7's config).
    ownerIgnoreAdverts: false,
    skipCheckAdvAddr: vi.skipCheckAdvAddr,
    trackers,
    notify: {
      master: scriptKey(vi.notifyMaster),
      backup: scriptKey(vi.notifyBackup),
      fault: scriptKey(vi.notifyFault),
      stop: scriptKey(vi.notifyStop),
      deleted: scriptKey(vi.notifyDeleted),
      generic: scriptKey(vi.notify),
      masterRxLowerPri: scriptKey(vi.notifyMasterRxLowerPri),
      fifo,
    },
    syncGroup: group?.name,
    initialState: vi.state,
  };
}

export function syncGroupConfigFromModel(model: KeepalivedConfig, sg: VrrpSyncGroup): SyncGroupConfig {
  const g = model.globalDefs;
  return {
    name: sg.name,
    members: sg.group.slice(),
    notify: {
      master: scriptKey(sg.notifyMaster),
      backup: scriptKey(sg.notifyBackup),
      fault: scriptKey(sg.notifyFault),
      stop: scriptKey(sg.notifyStop),
      generic: scriptKey(sg.notify),
      fifo: g.notifyFifo !== undefined || g.vrrpNotifyFifo !== undefined,
    },
  };
}

/**
 * How a notify command is named in the FSM's notify actions and in the daemon's prepared-script
 * table: the command text, plus the user (and group) it runs as when the config names one, so the
 * same command configured under two users stays two scripts. Plain commands keep their text.
 */
export function scriptKey(spec: Pick<ScriptSpec, 'cmd' | 'user' | 'group'>): string;
export function scriptKey(spec: Pick<ScriptSpec, 'cmd' | 'user' | 'group'> | undefined): string | undefined;
export function scriptKey(spec: Pick<ScriptSpec, 'cmd' | 'user' | 'group'> | undefined): string | undefined {
  if (!spec) return undefined;
  if (spec.user === undefined) return spec.cmd;
  return `${spec.cmd}\0${spec.user}${spec.group !== undefined ? ':' + spec.group : ''}`;
}
