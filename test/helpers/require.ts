// Skipping is only acceptable on a developer's or user's machine. In CI (CI=true) a missing
// prerequisite is a failure, so a green run always means the suite really ran.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { it } from 'vitest';

export const inCi = process.env.CI === 'true';

/** Reason the prerequisite is missing, or undefined when present. */
export type Prereq = () => string | undefined;

/** Skip notices already printed by this test file (vitest isolates modules per file). */
const announced = new Set<string>();

/** The one line a skip prints outside CI, naming the test file's missing prerequisites. */
export function skipNotice(missing: readonly string[]): string {
  return `[skipped] missing prerequisite: ${missing.join('; ')}`;
}

/**
 * Returns `it` when every prerequisite holds. Otherwise: in CI, an `it` whose body throws
 * naming what is missing (so the run fails); elsewhere `it.skip`, and one visible line on
 * stderr naming what is missing (once per test file and set of missing things), so a skip is
 * never silent.
 */
export function itWhen(...prereqs: Prereq[]): typeof it {
  const missing = prereqs.map((p) => p()).filter((m): m is string => m !== undefined);
  if (missing.length === 0) return it;
  if (inCi) {
    const failing = ((name: string) =>
      it(name, () => {
        throw new Error(`missing prerequisite in CI: ${missing.join('; ')}`);
      })) as unknown as typeof it;
    return failing;
  }
  const notice = skipNotice(missing);
  if (!announced.has(notice)) {
    announced.add(notice);
    console.warn(notice);
  }
  return it.skip as unknown as typeof it;
}

/** A prerequisite on input files or folders, e.g. the shared samples next to the repository. */
export const pathsExist =
  (...paths: string[]): Prereq =>
  () => {
    const gone = paths.filter((p) => !existsSync(p));
    return gone.length === 0 ? undefined : `input not found: ${gone.join(', ')}`;
  };

export const isRoot: Prereq = () =>
  process.getuid?.() === 0 ? undefined : 'must run as root (network namespaces)';

/** A prerequisite on a command that runs (`cmd args` exits 0); `missing` says what to install. */
export const runs =
  (cmd: string, args: string[], missing: string): Prereq =>
  () =>
    spawnSync(cmd, args, { stdio: 'ignore' }).status === 0 ? undefined : missing;

export const hasKeepalived = runs('keepalived', ['--version'], 'keepalived 2.2.7 not installed (apt-get install keepalived)');
export const hasTcpdump = runs('tcpdump', ['--version'], 'tcpdump not installed (apt-get install tcpdump)');
export const hasTshark = runs('tshark', ['-v'], 'tshark not installed (apt-get install tshark)');
export const hasCc = runs('cc', ['--version'], 'a C compiler (cc) is missing');
export const PYTHON = '/usr/bin/python3';
export const hasScapy = runs(PYTHON, ['-c', 'import scapy.layers.vrrp'], `python3 with scapy missing (apt-get install python3-scapy)`);
