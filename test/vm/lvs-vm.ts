// What the LVS tests in the VM share: our daemon as the guest runs it (this checkout's bundle and
// native addon), whether it runs the checker side (-C) yet, the guest's IPVS module and the
// dummy link its virtual and real servers live on, and reading what the guest left on the share.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgv, refusedFlagsLine } from '../../src/cli/argv.js';
import type { VmResult } from './vm.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../..');

/** Our daemon's bundle (built by `npm run build:bundle`), run by the guest's node. */
export const OURS_BUNDLE = join(repo, 'dist/bin/keepalived-ts.mjs');

/** Environment for the guest script: OURS_CMD runs our daemon, which loads this checkout's addon. */
export const OURS_ENV: Record<string, string> = {
  OURS_CMD: `node ${OURS_BUNDLE}`,
  KEEPALIVED_TS_NATIVE: join(repo, 'build/Release/keepalived_ts_native.node'),
};

/** Why our daemon cannot run the LVS side (it does not parse -C, or refuses it), or undefined. */
export function oursMissing(): string | undefined {
  const parsed = parseArgv(['-C'], 'vm');
  if (!parsed.ok) return `our CLI does not parse -C: ${parsed.message}`;
  const refused = refusedFlagsLine(parsed.options);
  return refused === undefined ? undefined : `our daemon refuses -C (${refused})`;
}

/**
 * Guest shell lines: load ip_vs, then bring up dummy0 (with multicast when asked) carrying
 * `addresses` (IPv6 ones without duplicate address detection).
 */
export function lvsGuestSetup(addresses: readonly string[], o: { multicast?: boolean } = {}): string {
  return [
    'modprobe ip_vs',
    'ip link add dummy0 type dummy',
    ...(o.multicast ? ['ip link set dummy0 multicast on'] : []),
    'ip link set dummy0 up',
    ...addresses.map((a) => (a.includes(':') ? `ip -6 addr add ${a} dev dummy0 nodad` : `ip addr add ${a} dev dummy0`)),
  ].join('\n');
}

/** A text file the guest left on the share; throws with the guest's output when there is none. */
export function vmText(vm: VmResult | undefined, name: string): string {
  const b = vm?.files.get(name);
  if (b === undefined) throw new Error(`the VM left no ${name} (exit ${vm?.exitCode}, timed out ${vm?.timedOut})\n${vm?.output ?? ''}`);
  return b.toString('utf8');
}

/** A JSON file the guest left on the share (see vmText). */
export function vmJson<T>(vm: VmResult | undefined, name: string): T {
  return JSON.parse(vmText(vm, name)) as T;
}

/** Throws unless the guest script ran to its end (its last line writes `finished`). */
export function assertFinished(vm: VmResult): void {
  if (!vm.files.has('finished')) throw new Error(`the VM run did not finish (exit ${vm.exitCode}, timed out ${vm.timedOut})\n${vm.output}\n${vm.console.slice(-3000)}`);
}
