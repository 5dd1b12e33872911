// Reads ipvsadm's own view of the table, the oracle of the VM tests: `ipvsadm -Sn` (the rules
// it would restore) and `ipvsadm -Ln --thresholds` (the only place it shows the thresholds).
// Strict: an option this parser does not know fails the parse, so a field ipvsadm prints and we
// do not compare cannot slip by.
import {
  IPVS_DEFAULT_NETMASK,
  IPVS_SVC_FLAG,
  canonicalIpvsDest,
  canonicalIpvsService,
  destKeyText,
  serviceKeyText,
  type IpvsDest,
  type IpvsEntry,
  type IpvsForward,
  type IpvsService,
  type IpvsServiceKey,
  type IpvsTunnelType,
} from '../../src/kernel/ipvs.js';

function hostPort(text: string): { family: 'inet' | 'inet6'; address: string; port: number } {
  const v6 = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(text);
  if (v6) return { family: 'inet6', address: v6[1], port: Number(v6[2]) };
  const v4 = /^(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(text);
  if (v4) return { family: 'inet', address: v4[1], port: Number(v4[2]) };
  throw new Error(`ipvsadm address '${text}' not understood`);
}

/** -t/-u/--sctp-service ADDR:PORT or -f MARK [-6], consumed from the token list. */
function takeKey(tok: string[], line: string): IpvsServiceKey {
  const opt = tok.shift();
  const arg = tok.shift() ?? '';
  if (opt === '-f') {
    const v6 = tok[0] === '-6';
    if (v6) tok.shift();
    return { kind: 'fwmark', family: v6 ? 'inet6' : 'inet', fwmark: Number(arg) };
  }
  const protocol = opt === '-t' ? 'tcp' : opt === '-u' ? 'udp' : opt === '--sctp-service' ? 'sctp' : undefined;
  if (!protocol) throw new Error(`ipvsadm rule without service: ${line}`);
  const hp = hostPort(arg);
  return { kind: 'addr', protocol, ...hp };
}

const SCHED_FLAG_NAMES: Record<string, number> = {
  'sh-fallback': IPVS_SVC_FLAG.SCHED1,
  'sh-port': IPVS_SVC_FLAG.SCHED2,
  'mh-fallback': IPVS_SVC_FLAG.SCHED1,
  'mh-port': IPVS_SVC_FLAG.SCHED2,
  'flag-1': IPVS_SVC_FLAG.SCHED1,
  'flag-2': IPVS_SVC_FLAG.SCHED2,
  'flag-3': IPVS_SVC_FLAG.SCHED3,
};

/** `ipvsadm -Sn` output as canonical entries (thresholds 0: -Sn does not print them). */
export function parseIpvsadmRules(text: string): IpvsEntry[] {
  const entries = new Map<string, { service: IpvsService; dests: IpvsDest[] }>();
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (line === '') continue;
    const tok = line.split(/\s+/);
    const cmd = tok.shift();
    const key = takeKey(tok, line);
    if (cmd === '-A') {
      let scheduler = '';
      let flags = 0;
      let timeout = 0;
      let netmask = '';
      let pe: string | undefined;
      while (tok.length > 0) {
        const o = tok.shift();
        if (o === '-s') scheduler = tok.shift() ?? '';
        else if (o === '-p') timeout = Number(tok.shift());
        else if (o === '-M') netmask = tok.shift() ?? '';
        else if (o === '--pe') pe = tok.shift();
        else if (o === '-o') flags |= IPVS_SVC_FLAG.ONEPACKET;
        else if (o === '-b') {
          for (const name of (tok.shift() ?? '').split(',')) {
            const f = SCHED_FLAG_NAMES[name];
            if (f === undefined) throw new Error(`ipvsadm scheduler flag '${name}' not understood: ${line}`);
            flags |= f;
          }
        } else throw new Error(`ipvsadm service option '${o}' not understood: ${line}`);
      }
      const service = canonicalIpvsService({ key, scheduler, flags, timeout, netmask: netmask === '' ? IPVS_DEFAULT_NETMASK[key.family] : netmask, ...(pe ? { pe } : {}) });
      entries.set(serviceKeyText(service.key), { service, dests: [] });
    } else if (cmd === '-a') {
      if (tok.shift() !== '-r') throw new Error(`ipvsadm dest rule without -r: ${line}`);
      const hp = hostPort(tok.shift() ?? '');
      let forward: IpvsForward = 'route';
      let weight = 1;
      let tunnelType: IpvsTunnelType | undefined;
      let tunnelPort = 0;
      let tunnelFlags = 0;
      while (tok.length > 0) {
        const o = tok.shift();
        if (o === '-m') forward = 'masq';
        else if (o === '-g') forward = 'route';
        else if (o === '-i') forward = 'tunnel';
        else if (o === '-w') weight = Number(tok.shift());
        else if (o === '--tun-type') tunnelType = tok.shift() as IpvsTunnelType;
        else if (o === '--tun-port') tunnelPort = Number(tok.shift());
        else if (o === '--tun-nocsum') tunnelFlags = 0;
        else if (o === '--tun-csum') tunnelFlags = 1;
        else if (o === '--tun-remcsum') tunnelFlags = 2;
        else throw new Error(`ipvsadm dest option '${o}' not understood: ${line}`);
      }
      const e = entries.get(serviceKeyText(canonicalIpvsService({ key, scheduler: '', flags: 0, timeout: 0, netmask: '' }).key));
      if (!e) throw new Error(`ipvsadm dest before its service: ${line}`);
      e.dests.push(
        canonicalIpvsDest({
          ...hp,
          forward,
          weight,
          upperThreshold: 0,
          lowerThreshold: 0,
          ...(forward === 'tunnel' ? { tunnelType: tunnelType ?? 'ipip', tunnelPort, tunnelFlags } : {}),
        }),
      );
    } else {
      throw new Error(`ipvsadm rule '${cmd}' not understood: ${line}`);
    }
  }
  return [...entries.values()];
}

/** `ipvsadm -Ln --thresholds`: service key text -> dest key text -> thresholds. */
export function parseIpvsadmThresholds(text: string): Map<string, Map<string, { upper: number; lower: number }>> {
  const out = new Map<string, Map<string, { upper: number; lower: number }>>();
  let current: Map<string, { upper: number; lower: number }> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const svc = /^(TCP|UDP|SCTP)\s+(\S+)\s/.exec(line + ' ');
    const fwm = /^FWM\s+(\d+)\s+(IPv6\s+)?/.exec(line);
    if (svc) {
      const hp = hostPort(svc[2]);
      const key = canonicalIpvsService({ key: { kind: 'addr', protocol: svc[1].toLowerCase() as 'tcp', ...hp }, scheduler: '', flags: 0, timeout: 0, netmask: '' }).key;
      current = new Map();
      out.set(serviceKeyText(key), current);
    } else if (fwm) {
      current = new Map();
      out.set(serviceKeyText({ kind: 'fwmark', family: fwm[2] ? 'inet6' : 'inet', fwmark: Number(fwm[1]) }), current);
    } else if (line.startsWith('-> ') && current && !line.startsWith('-> RemoteAddress')) {
      const f = line.slice(3).trim().split(/\s+/);
      const hp = hostPort(f[0]);
      current.set(destKeyText(canonicalIpvsDest({ ...hp, forward: 'masq', weight: 0, upperThreshold: 0, lowerThreshold: 0 })), { upper: Number(f[1]), lower: Number(f[2]) });
    }
  }
  return out;
}

/** ipvsadm's whole view: the rules with the thresholds filled in. */
export function ipvsadmTable(rules: string, thresholds: string): IpvsEntry[] {
  const th = parseIpvsadmThresholds(thresholds);
  return parseIpvsadmRules(rules).map((e) => {
    const m = th.get(serviceKeyText(e.service.key));
    return {
      service: e.service,
      dests: e.dests.map((d) => {
        const t = m?.get(destKeyText(d));
        if (!t) throw new Error(`ipvsadm -Ln --thresholds lacks ${serviceKeyText(e.service.key)} -> ${destKeyText(d)}`);
        return { ...d, upperThreshold: t.upper, lowerThreshold: t.lower };
      }),
    };
  });
}

/** `Timeout (tcp tcpfin udp): 900 120 300` */
export function parseIpvsadmTimeouts(text: string): { tcp: number; tcpFin: number; udp: number } {
  const m = /Timeout \(tcp tcpfin udp\):\s+(\d+)\s+(\d+)\s+(\d+)/.exec(text);
  if (!m) throw new Error(`ipvsadm timeout line not found in: ${text}`);
  return { tcp: Number(m[1]), tcpFin: Number(m[2]), udp: Number(m[3]) };
}
