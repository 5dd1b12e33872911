// The table helpers name model fields through FieldOf<T, V>: the type checker rejects a field that
// does not exist, is read-only or holds another type (`npx tsc -p tsconfig.test.json` checks the
// lines marked ts-expect-error below: each must be an error, or the build fails).
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/parse.js';
import { applyBlock, flag, int, negatedFlag, str, timer, vrrpVersion, type FieldOf, type KeywordTable } from '../../../src/config/keywords/table.js';
import { DiagnosticSink } from '../../../src/lib/diagnostics.js';
import type { Ms } from '../../../src/lib/units.js';

interface Target {
  readonly name: string;
  count?: number;
  label?: string;
  enabled: boolean;
  delay: Ms;
  version: 2 | 3;
}

// Type-level checks: FieldOf keeps exactly the writable fields that take the value type.
type Expect<T extends true> = T;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export type FieldChecks = [
  Expect<Same<FieldOf<Target, number>, 'count'>>,
  Expect<Same<FieldOf<Target, string>, 'label'>>,
  Expect<Same<FieldOf<Target, boolean>, 'enabled'>>,
  Expect<Same<FieldOf<Target, 2 | 3>, 'count' | 'version'>>,
];

export const rejected: KeywordTable<Target>[] = [
  // @ts-expect-error misspelt field
  { count: int('cuont', 0, 10) },
  // @ts-expect-error read-only field
  { name: str('name') },
  // @ts-expect-error a boolean field given to an integer keyword
  { enabled: int('enabled', 0, 1) },
  // @ts-expect-error a plain number is not a Ms
  { delay: int('delay', 0, 10) },
  // @ts-expect-error an arbitrary integer does not fit `2 | 3`
  { version: int('version', 2, 3) },
];

const table: KeywordTable<Target> = {
  count: int('count', 0, 10),
  label: str('label'),
  enabled: flag('enabled'),
  disabled: negatedFlag('enabled'),
  delay: timer('delay'),
  version: vrrpVersion('version'),
};

function run(text: string): { t: Target; sink: DiagnosticSink } {
  const sink = new DiagnosticSink();
  const tree = parseConfigText(text, 't.conf', {}, sink);
  const t: Target = { name: 'x', enabled: false, delay: 0 as Ms, version: 2 };
  applyBlock(table, tree.statements, t, { sink, options: {} });
  return { t, sink };
}

describe('typed keyword helpers', () => {
  it('write the named fields with parsed values', () => {
    const { t, sink } = run('count 7\nlabel eth0\nenabled\ndelay 1.5\nversion 3\n');
    expect(sink.items).toEqual([]);
    expect(t).toEqual({ name: 'x', count: 7, label: 'eth0', enabled: true, delay: 1500, version: 3 });
  });
  it('negated flags store the opposite; bad values leave the field alone and are reported', () => {
    const { t, sink } = run('enabled\ndisabled\ncount 11\nversion 4\n');
    expect(t.enabled).toBe(false);
    expect(t.count).toBeUndefined();
    expect(t.version).toBe(2);
    expect(sink.items.map((d) => [d.code, d.loc.line])).toEqual([
      ['value-out-of-range', 3],
      ['value-out-of-range', 4],
    ]);
  });
});
