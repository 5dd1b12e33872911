// Loads the Peggy parser generated from grammar/keepalived.peggy, typed. The generated module is
// built by `npm run build:grammar` (run by postinstall) with the plugin grammar/peggy-class-tables.mjs;
// when it is absent (a fresh checkout that skipped the build) the grammar is compiled in memory
// with Peggy and the same plugin so the front end still works.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { GrammarParse } from './grammar-types.js';

async function load(): Promise<GrammarParse> {
  try {
    const mod = (await import('./generated/keepalived-parser.js' as string)) as { parse: GrammarParse };
    return mod.parse;
  } catch {
    type Plugin = { use(config: unknown, options: unknown): void };
    type Peggy = {
      generate(grammar: string, options: { allowedStartRules: string[]; output: 'parser'; plugins: Plugin[] }): { parse: GrammarParse };
    };
    // peggy is CommonJS: its API is the default export of the ES module view.
    const mod = (await import('peggy')) as unknown as Peggy & { default?: Peggy };
    const peggy = mod.default ?? mod;
    // src/config (sources) or dist/src/config (compiled): the grammar sits at the repo root.
    const candidates = ['../../grammar/keepalived.peggy', '../../../grammar/keepalived.peggy'];
    for (const rel of candidates) {
      let text: string;
      try {
        text = readFileSync(fileURLToPath(new URL(rel, import.meta.url)), 'utf8');
      } catch {
        continue;
      }
      // The same plugin as `npm run build:grammar` (character classes as lookup tables).
      const plugin = (await import(new URL(rel.replace('keepalived.peggy', 'peggy-class-tables.mjs'), import.meta.url).href)) as Plugin;
      const parser = peggy.generate(text, { allowedStartRules: ['*'], output: 'parser', plugins: [plugin] });
      return (input, options) => parser.parse(input, options);
    }
    throw new Error('keepalived grammar not found: run `npm run build:grammar`');
  }
}

/** Parses preprocessed text into the raw block structure. Never throws on bad input. */
export const parseGrammar: GrammarParse = await load();
