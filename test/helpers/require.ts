// Skipping is only acceptable on a developer's or user's machine. In CI (CI=true) a missing
// prerequisite is a failure, so a green run always means the suite really ran.
import { it } from 'vitest';

export const inCi = process.env.CI === 'true';

/** Reason the prerequisite is missing, or undefined when present. */
export type Prereq = () => string | undefined;

/**
 * Returns `it` when every prerequisite holds. Otherwise: in CI, an `it` whose body throws
 * naming what is missing (so the run fails); elsewhere `it.skip`.
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
  return it.skip as unknown as typeof it;
}

export const isRoot: Prereq = () =>
  process.getuid?.() === 0 ? undefined : 'must run as root (network namespaces)';
