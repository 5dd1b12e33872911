// A throw-away network lab: one "switch" namespace holding a bridge, and host namespaces each
// wired to it by a veth pair whose host end is called eth0. Used by the demo (npm start),
// integration and interop tests, and the failover benchmark. Every namespace and every process
// it starts is recorded and removed by destroy(), which is also run on SIGINT/SIGTERM/exit.
//
// All traffic stays inside these namespaces: nothing is routed to or from the host namespace.
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface HostSpec {
  /** Short name, unique in the lab (used in namespace and interface names). */
  name: string;
  /** Addresses with prefix for eth0, e.g. ['192.0.2.11/24', 'fd00:5e::11/64']. */
  addresses?: string[];
}

export interface LabHost {
  readonly name: string;
  readonly netns: string;
  readonly iface: 'eth0';
  /** The addresses given to eth0 at creation (re-added by recreateLink). */
  readonly addresses: readonly string[];
}

function run(argv: string[], input?: string): string {
  return execFileSync(argv[0], argv.slice(1), { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
}

const live = new Set<Lab>();
let hooksInstalled = false;
function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => {
    for (const lab of live) lab.destroy();
  });
}

export class Lab {
  readonly id: string;
  readonly switchNs: string;
  private readonly hosts = new Map<string, LabHost>();
  private readonly children = new Set<ChildProcess>();
  private destroyed = false;
  private vethSeq = 0;

  /** `tag` is a short role marker (<= 4 chars) to tell labs apart in `ip netns list`. */
  constructor(tag = 'lab') {
    this.id = `kt${tag.slice(0, 4)}${process.pid.toString(36)}${randomBytes(2).toString('hex')}`;
    this.switchNs = `${this.id}-sw`;
    run(['ip', 'netns', 'add', this.switchNs]);
    live.add(this);
    installExitHooks();
    try {
      this.ns(this.switchNs, ['ip', 'link', 'add', 'br0', 'type', 'bridge', 'forward_delay', '0']);
      // No STP, no multicast snooping: VRRP multicast must flood like on a plain switch.
      this.ns(this.switchNs, ['ip', 'link', 'set', 'br0', 'type', 'bridge', 'stp_state', '0', 'mcast_snooping', '0']);
      this.ns(this.switchNs, ['ip', 'link', 'set', 'br0', 'up']);
      this.ns(this.switchNs, ['ip', 'link', 'set', 'lo', 'up']);
    } catch (e) {
      this.destroy();
      throw e;
    }
  }

  /** Runs a command inside a namespace and returns its stdout. */
  ns(netns: string, argv: string[], input?: string): string {
    return run(['ip', 'netns', 'exec', netns, ...argv], input);
  }

  addHost(spec: HostSpec): LabHost {
    this.alive();
    if (this.hosts.has(spec.name)) throw new Error(`lab host ${spec.name} exists`);
    const netns = `${this.id}-${spec.name}`;
    run(['ip', 'netns', 'add', netns]);
    const host: LabHost = { name: spec.name, netns, iface: 'eth0', addresses: [...(spec.addresses ?? [])] };
    this.hosts.set(spec.name, host);
    this.plugEth0(host);
    return host;
  }

  /** A new veth pair: the switch end on br0, the other end in the host, renamed eth0, addressed, up. */
  private plugEth0(host: LabHost): void {
    const { netns } = host;
    const seq = this.vethSeq++;
    const a = `kv${seq}a${this.id.slice(-6)}`.slice(0, 15);
    const b = `kv${seq}b${this.id.slice(-6)}`.slice(0, 15);
    // Create the pair inside the switch namespace, then move one end into the host.
    this.ns(this.switchNs, ['ip', 'link', 'add', a, 'type', 'veth', 'peer', 'name', b]);
    this.ns(this.switchNs, ['ip', 'link', 'set', b, 'netns', netns]);
    this.ns(this.switchNs, ['ip', 'link', 'set', a, 'master', 'br0']);
    this.ns(this.switchNs, ['ip', 'link', 'set', a, 'up']);
    this.ns(netns, ['ip', 'link', 'set', b, 'name', 'eth0']);
    this.ns(netns, ['ip', 'link', 'set', 'lo', 'up']);
    // Fast DAD-free IPv6 so tests do not wait for tentative addresses.
    this.ns(netns, ['sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']);
    this.ns(netns, ['sysctl', '-qw', 'net.ipv6.conf.eth0.accept_dad=0']);
    for (const addr of host.addresses) {
      this.ns(netns, ['ip', 'addr', 'add', addr, 'dev', 'eth0', ...(addr.includes(':') ? ['nodad'] : [])]);
    }
    this.ns(netns, ['ip', 'link', 'set', 'eth0', 'up']);
  }

  /**
   * Deletes a host's eth0 (`ip link del`, which also removes its switch port) and plugs in a new
   * one with the same name: new ifindex, new MAC (so a new IPv6 link-local), the host's addresses
   * re-added, up. Returns the old and new ifindex.
   */
  recreateLink(name: string): { oldIfindex: number; newIfindex: number } {
    const h = this.host(name);
    const ifindex = () => Number(this.ns(h.netns, ['cat', '/sys/class/net/eth0/ifindex']).trim());
    const oldIfindex = ifindex();
    this.ns(h.netns, ['ip', 'link', 'del', 'eth0']);
    this.plugEth0(h);
    return { oldIfindex, newIfindex: ifindex() };
  }

  host(name: string): LabHost {
    const h = this.hosts.get(name);
    if (!h) throw new Error(`no lab host ${name}`);
    return h;
  }

  /** The switch-side port of a host's veth (to cut its cable from the switch side). */
  switchPort(name: string): string {
    const h = this.host(name);
    const ifindexPeer = this.ns(h.netns, ['cat', '/sys/class/net/eth0/iflink']).trim();
    const out = this.ns(this.switchNs, ['ip', '-o', 'link', 'show']);
    for (const line of out.split('\n')) {
      const m = /^(\d+):\s+([^@:]+)/.exec(line);
      if (m && m[1] === ifindexPeer) return m[2];
    }
    throw new Error(`switch port of ${name} not found`);
  }

  /** Sets the host's eth0 up or down (carrier loss as the daemon sees it). */
  setLink(name: string, up: boolean): void {
    this.ns(this.host(name).netns, ['ip', 'link', 'set', 'eth0', up ? 'up' : 'down']);
  }

  exec(name: string, argv: string[], input?: string): string {
    return this.ns(this.host(name).netns, argv, input);
  }

  /** Starts a long-running process in a host namespace; it is killed by destroy(). */
  spawn(name: string, argv: string[], opts: SpawnOptions = {}): ChildProcess {
    this.alive();
    const child = spawn('ip', ['netns', 'exec', this.host(name).netns, ...argv], { stdio: 'pipe', ...opts });
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    return child;
  }

  /** Addresses currently on a host's interface, as `ip -j addr` reports them. */
  addresses(name: string, iface = 'eth0'): string[] {
    const out = JSON.parse(this.exec(name, ['ip', '-j', 'addr', 'show', 'dev', iface])) as {
      addr_info: { local: string; prefixlen: number }[];
    }[];
    return out.flatMap((l) => l.addr_info.map((a) => `${a.local}/${a.prefixlen}`));
  }

  /** A destroyed lab creates nothing more (a test body still running after its time-out would leak it). */
  private alive(): void {
    if (this.destroyed) throw new Error(`lab ${this.id} was destroyed`);
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    live.delete(this);
    for (const c of this.children) {
      if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) {
        try {
          process.kill(c.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }
    // `ip netns exec` forwards nothing: kill whatever still runs inside our namespaces.
    for (const netns of [...[...this.hosts.values()].map((h) => h.netns), this.switchNs]) {
      try {
        const pids = run(['ip', 'netns', 'pids', netns]).split('\n').filter(Boolean);
        for (const p of pids) {
          try {
            process.kill(Number(p), 'SIGKILL');
          } catch {
            /* gone */
          }
        }
      } catch {
        /* namespace already gone */
      }
      try {
        run(['ip', 'netns', 'del', netns]);
      } catch {
        /* already gone */
      }
    }
  }
}
