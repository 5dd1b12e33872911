// docs/keywords.md is generated (scripts/gen-keyword-docs.mjs, npm run docs:keywords) from the
// keyword registry and the model builder. Rendered here from the TypeScript sources, it must
// equal the committed file, so a keyword added, renamed or given a new default shows up as a
// failing test until the reference is regenerated. The rendering itself is checked on a few
// keywords whose status and default are known from the code.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildModel, modelRetain } from '../../../src/config/build-model.js';
import { TABLES_BY_BLOCK } from '../../../src/config/keywords/registry.js';
import { LEGACY_HINTS, stored } from '../../../src/config/keywords/table.js';
import { modelToJson } from '../../../src/config/model-json.js';
import { parseConfigText } from '../../../src/config/parse.js';
import { camel } from '../../../src/config/values.js';
import { DiagnosticSink } from '../../../src/lib/diagnostics.js';
import { KEYWORDS_MD, renderKeywordDocs } from '../../../scripts/gen-keyword-docs.mjs';

function render(): string {
  return renderKeywordDocs({
    TABLES_BY_BLOCK,
    LEGACY_HINTS,
    storedHandleSource: stored().handle.toString(),
    camel,
    probeModel: (text: string) => {
      const sink = new DiagnosticSink();
      const tree = parseConfigText(text, 'probe.conf', { configId: 'probe', retain: modelRetain(sink) }, sink);
      return JSON.parse(modelToJson(buildModel(tree, sink)));
    },
  });
}

const row = (md: string, block: string, kw: string): string | undefined => {
  const start = md.indexOf(`\n## \`${block}\`\n`);
  const end = md.indexOf('\n## ', start + 1);
  return md.slice(start, end).split('\n').find((l) => l.startsWith(`| \`${kw}\` |`));
};

describe('docs/keywords.md', () => {
  const md = render();

  it('lists every keyword of every block in the registry', () => {
    for (const [block, table] of Object.entries(TABLES_BY_BLOCK)) {
      if (block === 'top') continue;
      for (const kw of Object.keys(table)) expect(row(md, block, kw), `${block} ${kw}`).toBeDefined();
    }
    for (const kw of Object.keys(LEGACY_HINTS)) expect(md).toContain(`| \`${kw}\` | ${LEGACY_HINTS[kw]} |`);
  });

  it('gives status and default from the model', () => {
    expect(row(md, 'vrrp_instance', 'priority')).toBe('| `priority` | supported | `100` | at least 1 |');
    expect(row(md, 'vrrp_instance', 'advert_int')).toBe('| `advert_int` | supported | 1 s | at least 1 |');
    expect(row(md, 'global_defs', 'vrrp_garp_master_delay')).toContain('| supported | 5 s |');
    expect(row(md, 'global_defs', 'enable_dbus')).toContain('| accepted, no effect |');
    expect(row(md, 'vrrp_instance', 'vmac_garp_intvl')).toContain('accepted with a warning: Keyword "vmac_garp_intvl" is deprecated');
    expect(row(md, 'vrrp_script', 'interval')).toContain('| supported | 1 s |');
    // A value the probe configuration writes is not shown as a default.
    expect(row(md, 'vrrp_instance', 'interface')).toBe('| `interface` | supported |  | at least 1 |');
  });

  it('the committed file is up to date (npm run docs:keywords)', () => {
    expect(readFileSync(KEYWORDS_MD, 'utf8')).toBe(md);
  });
});
