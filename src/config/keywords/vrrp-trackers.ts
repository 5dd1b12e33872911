// vrrp_script, track_file (old name vrrp_track_file), vrrp_track_process and vrrp_sync_group
// blocks (keepalived vrrp/vrrp_parser.c, trackers/track_file.c, vrrp/vrrp_track.c).
import { ms } from '../../lib/units.js';
import type { TrackFile, VrrpScript, VrrpSyncGroup, VrrpTrackProcess } from '../model.js';
import { parseInteger, parseTimer } from '../values.js';
import { scriptFrom, userGroup } from './script.js';
import { flag, stored, str, valueCtx, type KeywordDef, type KeywordTable } from './table.js';
import { parseTrackList } from './vrrp-lists.js';

export interface ScriptDraft extends VrrpScript {
  timeoutWritten: boolean;
}

export function newVrrpScript(name: string, loc: VrrpScript['loc']): ScriptDraft {
  return {
    name,
    loc,
    interval: ms(1000),
    timeout: ms(1000),
    timeoutWritten: false,
    weight: 0,
    weightReverse: false,
    rise: 1,
    fall: 1,
    initFail: false,
  };
}

/** `weight N [reverse]` with keepalived's range for the block. */
function weighted<T extends { name: string; weight: number; weightReverse: boolean }>(min: number, max: number, what: string): KeywordDef<T> {
  return {
    minArgs: 1,
    handle: (s, t, ctx) => {
      const n = parseInteger(s.args[0].text, min, max, valueCtx(s, ctx));
      if (n === undefined) return;
      t.weight = n;
      const opt = s.args[1]?.text;
      if (opt === 'reverse') t.weightReverse = true;
      else if (opt === 'noreverse' || opt === undefined) t.weightReverse = false;
      else ctx.sink.error('invalid-value', `${what} ${t.name} unknown weight option ${opt}`, s.args[1].loc, { text: opt });
    },
  };
}

/** rise/fall: 1..INT_MAX; keepalived "vrrp script rise value '0' invalid, defaulting to 1". */
function riseFall(field: 'rise' | 'fall'): KeywordDef<ScriptDraft> {
  return {
    minArgs: 1,
    handle: (s, t, ctx) => {
      t[field] = parseInteger(s.args[0].text, 1, 2147483647, valueCtx(s, ctx)) ?? 1;
    },
  };
}

export const vrrpScriptTable: KeywordTable<ScriptDraft> = {
  script: {
    minArgs: 1,
    handle: (s, t, ctx) => {
      const sc = scriptFrom(s, ctx);
      if (sc) t.script = sc;
    },
  },
  interval: {
    minArgs: 1,
    handle: (s, t, ctx) => {
      const n = parseInteger(s.args[0].text, 0, 4294, valueCtx(s, ctx));
      if (n === undefined) return;
      const v = ms(n * 1000);
      if (v === 0) {
        ctx.sink.warning('value-out-of-range', `(${t.name}): vrrp script interval must be greater than 0, setting to 1`, s.loc);
        t.interval = ms(1000);
      } else t.interval = v;
    },
  },
  timeout: {
    minArgs: 1,
    handle: (s, t, ctx) => {
      const n = parseInteger(s.args[0].text, 0, 4294, valueCtx(s, ctx));
      if (n === undefined) return;
      if (n === 0) {
        ctx.sink.warning('value-out-of-range', `(${t.name}): vrrp script timeout must be greater than 0, setting to 1`, s.loc);
      }
      t.timeout = ms(Math.max(1, n) * 1000);
      t.timeoutWritten = true;
    },
  },
  weight: weighted<ScriptDraft>(-253, 253, 'vrrp_script'),
  rise: riseFall('rise'),
  fall: riseFall('fall'),
  user: { minArgs: 1, handle: (s, t) => (t.user = userGroup(s.args.map((a) => a.text))) },
  init_fail: flag('initFail'),
};

export function newTrackFile(name: string, loc: TrackFile['loc']): TrackFile {
  return { name, loc, weight: 1, weightReverse: false };
}

export const trackFileTable: KeywordTable<TrackFile> = {
  file: str('file'),
  weight: weighted<TrackFile>(-254, 254, 'track_file'),
  init_file: {
    minArgs: 0,
    handle: (s, t, ctx) => {
      let value = 0;
      let overwrite = false;
      for (const a of s.args) {
        if (a.text === 'overwrite') overwrite = true;
        else {
          const n = parseInteger(a.text, -2147483648, 2147483647, { sink: ctx.sink, loc: a.loc });
          if (n !== undefined) value = n;
        }
      }
      t.initFile = { value, overwrite };
    },
  },
};

export function newTrackProcess(name: string, loc: VrrpTrackProcess['loc']): VrrpTrackProcess {
  return { name, loc, weight: 0, weightReverse: false, quorum: 1, fullCommand: false };
}

const procTimer = (field: 'delay' | 'forkDelay' | 'terminateDelay'): KeywordDef<VrrpTrackProcess> => ({
  minArgs: 1,
  handle: (s, t, ctx) => {
    const v = parseTimer(s.args[0].text, valueCtx(s, ctx), 0, 4294);
    if (v !== undefined) t[field] = v;
  },
});

export const trackProcessTable: KeywordTable<VrrpTrackProcess> = {
  process: { minArgs: 1, handle: (s, t) => (t.process = s.args.map((a) => a.text)) },
  param_match: {
    minArgs: 1,
    handle: (s, t, ctx) => {
      const v = s.args[0].text;
      if (v === 'initial' || v === 'partial') t.paramMatch = v;
      else ctx.sink.error('invalid-value', `Invalid param_match '${v}' for track process ${t.name}`, s.loc, { text: v });
    },
  },
  weight: weighted<VrrpTrackProcess>(-254, 254, 'track_process'),
  quorum: {
    minArgs: 1,
    handle: (s, t, ctx) => {
      const n = parseInteger(s.args[0].text, 1, 65535, valueCtx(s, ctx));
      if (n !== undefined) t.quorum = n;
    },
  },
  quorum_max: {
    minArgs: 1,
    handle: (s, t, ctx) => {
      const n = parseInteger(s.args[0].text, 0, 65535, valueCtx(s, ctx));
      if (n !== undefined) t.quorumMax = n;
    },
  },
  delay: procTimer('delay'),
  fork_delay: procTimer('forkDelay'),
  terminate_delay: procTimer('terminateDelay'),
  full_command: flag('fullCommand'),
};

export function newSyncGroup(name: string, loc: VrrpSyncGroup['loc']): VrrpSyncGroup {
  return {
    name,
    loc,
    group: [],
    trackInterface: [],
    trackScript: [],
    trackFile: [],
    trackProcess: [],
    trackBfd: [],
    syncGroupTrackingWeight: false,
    other: {},
  };
}

type SG = VrrpSyncGroup;
const sgNotify = (field: 'notifyMaster' | 'notifyBackup' | 'notifyFault' | 'notifyStop' | 'notify'): KeywordDef<SG> => ({
  minArgs: 1,
  handle: (s, g, ctx) => {
    const sc = scriptFrom(s, ctx);
    if (sc) g[field] = sc;
  },
});

export const syncGroupTable: KeywordTable<SG> = {
  group: {
    minArgs: 0,
    block: 'required',
    handle: (s, g, ctx) => {
      for (const line of s.block ?? []) g.group.push(line.keyword, ...line.args.map((a) => a.text));
      // keepalived's words; it reports the block's closing line, we the `group` line.
      if ((s.block ?? []).length === 0) ctx.sink.warning('empty-sync-group', `Warning - sync group ${g.name} has empty group block`, s.loc, { text: s.keyword });
    },
  },
  track_interface: { minArgs: 0, block: 'required', handle: (s, g, ctx) => g.trackInterface.push(...parseTrackList(s, ctx, 'ignore', g.name)) },
  track_script: { minArgs: 0, block: 'required', handle: (s, g, ctx) => g.trackScript.push(...parseTrackList(s, ctx, 'clamp', g.name)) },
  track_file: { minArgs: 0, block: 'required', handle: (s, g, ctx) => g.trackFile.push(...parseTrackList(s, ctx, 'allow254', g.name)) },
  track_process: { minArgs: 0, block: 'required', handle: (s, g, ctx) => g.trackProcess.push(...parseTrackList(s, ctx, 'allow254', g.name)) },
  track_bfd: { minArgs: 0, block: 'required', handle: (s, g, ctx) => g.trackBfd.push(...parseTrackList(s, ctx, 'clamp', g.name)) },
  notify_master: sgNotify('notifyMaster'),
  notify_backup: sgNotify('notifyBackup'),
  notify_fault: sgNotify('notifyFault'),
  notify_stop: sgNotify('notifyStop'),
  notify: sgNotify('notify'),
  smtp_alert: flag('smtpAlert'),
  notify_priority_changes: flag('notifyPriorityChanges'),
  sync_group_tracking_weight: flag('syncGroupTrackingWeight'),
  global_tracking: {
    minArgs: 0,
    // keepalived names the group in front of the message.
    handle: (s, g, ctx) => {
      ctx.sink.warning('deprecated-keyword', `(${g.name}) global_tracking is deprecated. Use track_interface/script/file on the sync group`, s.loc, { text: s.keyword });
      (g.other[s.keyword] ??= []).push(s.args.map((a) => a.text));
    },
  },
};
