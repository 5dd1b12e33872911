// Every flag src/cli/argv.ts accepts is documented twice: in the man page (man/keepalived-ts.8,
// installed by the package) and in --help (usageText). The flag list is read from argv.ts's
// option table itself, so a flag added there without documentation fails here.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SPECS, usageText } from '../../../src/cli/argv.js';

const REPO = join(import.meta.dirname, '../../..');
const man = readFileSync(join(REPO, 'man/keepalived-ts.8'), 'utf8');

const flags = SPECS.map((s) => ({ long: s.long, short: s.short, arg: s.arg }));

/** Flags argv.ts parses that --help does not list yet (reported; the test notices when fixed). */
const MISSING_FROM_HELP = new Set<string>([]);

/** roff escapes '-' as '\-' in option names. */
const roff = (s: string) => s.replace(/-/g, '\\-');

describe('every flag in argv.ts is documented', () => {
  it('the option table was read', () => {
    expect(flags.length).toBeGreaterThan(30);
    expect(flags.map((f) => f.long)).toContain('use-file');
  });

  it('in the man page, as an option entry with its short form', () => {
    const missing: string[] = [];
    const options = man.slice(man.indexOf('.SH OPTIONS'), man.indexOf('.SH SIGNALS')).split('\n');
    expect(options.length).toBeGreaterThan(30);
    for (const f of flags) {
      // An entry line (the one after .TP): `.BR \-f ", " \-\-use\-file =\fIFILE\fR`, `.B \-\-all`, `.BI \-\-signum= NAME`.
      const name = new RegExp(`${roff(`--${f.long}`).replace(/\\/g, '\\\\')}(?![a-z_\\\\])`);
      const entry = options.find((l, i) => options[i - 1] === '.TP' && name.test(l));
      if (!entry) missing.push(`--${f.long}`);
      else if (f.short && !entry.startsWith(`.BR ${roff(`-${f.short}`)} `)) missing.push(`-${f.short} (on the --${f.long} line)`);
    }
    expect(missing).toEqual([]);
  });

  it('in --help, with its short form on the same line', () => {
    const help = usageText().split('\n');
    const missing: string[] = [];
    for (const f of flags) {
      const line = help.find((l) => new RegExp(`--${f.long}(?![a-z_-])`).test(l));
      const ok = line !== undefined && (!f.short || line.includes(`-${f.short}, --${f.long}`));
      if (ok === MISSING_FROM_HELP.has(f.long)) missing.push(ok ? `--${f.long} is listed now: drop it from MISSING_FROM_HELP` : `--${f.long}`);
    }
    expect(missing).toEqual([]);
  });
});
