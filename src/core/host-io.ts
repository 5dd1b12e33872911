// The parts every subsystem shares with the host: the Kernel (rtnetlink requests and events) and
// the PacketIo (raw sockets), with the deadline timer that comes with the native io. Tests pass
// their own (DaemonOptions.kernel, .io, .oneShot); production opens the native ones here.
import type { OneShotFactory } from '../lib/timer-queue.js';
import type { Kernel } from '../kernel/kernel.js';
import type { PacketIo } from '../net/packet-io.js';
import { NftCommand, RecordingNftRunner, type NftRunner } from '../kernel/nft-firewall.js';
import type { DaemonOptions } from './daemon-options.js';
import { EXIT, StartError } from './start-error.js';

export interface HostIo {
  readonly kernel: Kernel;
  readonly io: PacketIo;
  /** The protocol deadline timer; undefined = the runtime's default. */
  readonly oneShot?: OneShotFactory;
  /**
   * nftables transactions (the accept-mode firewall): the `nft` command on a real host; a
   * recording runner when the test gave its own kernel (nothing reaches the host's tables);
   * absent: recorded too.
   */
  readonly nft?: NftRunner;
  /** Closes the packet io, then the kernel sockets. */
  close(): Promise<void>;
}

/** Opens what `o` does not provide. Throws StartError (exit 1) when the host's interfaces cannot be opened. */
export async function openHostIo(o: DaemonOptions): Promise<HostIo> {
  let kernel = o.kernel;
  let io = o.io;
  let oneShot = o.oneShot;
  try {
    if (!kernel) kernel = (await import('../kernel/netlink-kernel.js')).NetlinkKernel.open();
    if (!io) {
      io = new (await import('../net/native-packet-io.js')).NativePacketIo();
      // The addon is loaded now: protocol deadlines on its timerfd (see src/net/native-timer.ts).
      oneShot ??= (await import('../net/native-timer.js')).nativeOneShot;
    }
  } catch (e) {
    throw new StartError(`keepalived-ts: cannot open kernel interfaces: ${(e as Error).message}`, EXIT.FATAL);
  }
  const nft = o.nft ?? (o.kernel ? new RecordingNftRunner() : new NftCommand());
  const k = kernel;
  const i = io;
  return {
    kernel: k,
    io: i,
    ...(oneShot ? { oneShot } : {}),
    nft,
    async close() {
      i.close();
      await k.close();
    },
  };
}
