// keepalived 2.2.7's log lines about the adverts that decide an election (vrrp/vrrp.c
// vrrp_state_backup and vrrp_state_master_rx), which operators grep for:
//
//   (VI_1) Master received advert from 192.0.2.12 with higher priority 150, ours 100
//   (VI_1) Master received advert from 192.0.2.12 with same priority 100 but higher IP address than ours
//   (VI_1) received lower priority (100) advert from 192.0.2.11 - discarding      (a preempting backup)
//   (VI_1) Backup received priority 0 advertisement                               (-D only)
//   (VI_1) Received advert from 192.0.2.11 with lower priority 100, ours 150, forcing new election
//
// The master's lower-priority line goes with its answering advert: keepalived answers (and logs)
// every such advert, we answer at most once per advert interval (docs/adr/0011) and a held-back
// answer is counted (answer-suppressed), not logged. With lower_prio_no_advert there is no answer
// and keepalived drops the ", forcing new election" tail; we then log at most once per advert
// interval, so a flood of lower-priority adverts is not a flood of log lines.
//
// The FSM decides; these lines only report what it decided, from the runtime's observers: the
// event (before the step, with the instance's state then) and the actions the step produced. A
// line for an advert the FSM dropped as invalid is never written (a dropping countError cancels
// it); the master's line is written when its transition to BACKUP is, just before "Entering
// BACKUP STATE".
import type { Logger } from '../lib/log.js';
import type { RuntimeInstanceSpec, VrrpRuntime } from '../vrrp/runtime/vrrp-runtime.js';

interface Pending {
  readonly line: string;
  readonly detail: boolean;
  /** Written only when the step answers with an advert (a master's lower-priority line). */
  readonly withAnswer?: boolean;
}

export function logAdvertLines(runtime: VrrpRuntime, specs: readonly RuntimeInstanceSpec[], log: Logger): void {
  const cfgs = new Map(specs.map((s) => [s.cfg.name, s.cfg]));
  /** Backup lines waiting for the step's verdict (flushed after the step unless it dropped the advert). */
  const pending = new Map<string, Pending>();
  /** The last advert each master saw: its transition to BACKUP names it. */
  const lastRx = new Map<string, { src: string; priority: number; eff: number }>();
  /** lower_prio_no_advert masters: when each last wrote its lower-priority line (ms, monotonic). */
  const quietLineAt = new Map<string, number>();
  const flush = (name: string): void => {
    const p = pending.get(name);
    if (!p) return;
    pending.delete(name);
    if (p.withAnswer) return; // the step sent no answer: nothing to report
    if (p.detail) log.debug(p.line);
    else log.info(p.line);
  };
  runtime.observeEvents((name, e) => {
    if (e.kind !== 'advertReceived' || !e.advert) return;
    const st = runtime.stateOf(name);
    const cfg = cfgs.get(name);
    if (!st || !cfg) return;
    const src = e.meta.src.text;
    const prio = e.advert.priority;
    let p: Pending | undefined;
    if (st.state === 'MASTER') {
      const eff = st.effectivePriority;
      lastRx.set(name, { src, priority: prio, eff });
      const addrCmp = cfg.srcIp ? e.meta.src.compare(cfg.srcIp) : 0;
      if (prio === 0 || !(prio < eff || (prio === eff && addrCmp < 0))) return;
      const line = `(${name}) Received advert from ${src} with lower priority ${prio}, ours ${eff}`;
      if (!cfg.lowerPrioNoAdvert) p = { line: `${line}, forcing new election`, detail: false, withAnswer: true };
      else {
        const now = performance.now();
        const last = quietLineAt.get(name);
        if (last !== undefined && now - last < cfg.advertInt * 10) return;
        quietLineAt.set(name, now);
        p = { line, detail: false };
      }
      pending.set(name, p);
      queueMicrotask(() => flush(name));
      return;
    }
    if (st.state !== 'BACKUP') return;
    if (prio === 0) p = { line: `(${name}) Backup received priority 0 advertisement`, detail: true };
    else if (cfg.preempt && prio < st.effectivePriority && Number(cfg.preemptDelay) === 0) {
      p = { line: `(${name}) received lower priority (${prio}) advert from ${src} - discarding`, detail: false };
    }
    if (!p) return;
    pending.set(name, p);
    queueMicrotask(() => flush(name));
  });

  runtime.observe(({ instance, action }) => {
    if (action.kind === 'countError' && (action.dropped || action.reason === 'answer-suppressed')) {
      pending.delete(instance);
      return;
    }
    const p = pending.get(instance);
    if (p?.withAnswer) {
      if (action.kind !== 'sendAdvert') return; // wait for the answer (or the step's end)
      pending.set(instance, { ...p, withAnswer: false });
    }
    flush(instance);
    if (action.kind === 'transition' && action.from === 'MASTER' && action.to === 'BACKUP') {
      const rx = lastRx.get(instance);
      if (!rx) return;
      if (action.reason === 'higher-priority-advert') log.info(`(${instance}) Master received advert from ${rx.src} with higher priority ${rx.priority}, ours ${rx.eff}`);
      else if (action.reason === 'equal-priority-higher-address') log.info(`(${instance}) Master received advert from ${rx.src} with same priority ${rx.priority} but higher IP address than ours`);
    }
  });
}
