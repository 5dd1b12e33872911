// Config front end: preprocess (include, @id, $NAME, ~SEQ/~LST) -> Peggy grammar (block
// structure) -> ConfigTree with every location pointing into the original files. Structural
// mistakes are diagnostics, never exceptions; parsing always continues.
import type { ConfigTree } from './ast.js';
import type { DiagnosticSink, SourceLoc } from '../lib/diagnostics.js';
import { parseGrammar } from './grammar.js';
import type { BlockKeywords, GrammarErrorCode, Retain } from './grammar-types.js';
import { nodeConfigFiles } from './node-files.js';
import { preprocessFileJoined, preprocessTextJoined, type JoinedResult } from './preprocess.js';
import type { ConfigFiles } from './preprocess/config-files.js';

export type { ConfigFiles, ConfigFileStat } from './preprocess/config-files.js';
export type { BlockKeywords } from './grammar-types.js';

export interface ParseOptions {
  /** `@id` conditionals; the caller computes keepalived's default (host name up to '.'). */
  readonly configId?: string;
  /** Random source for `${_RANDOM}`, uniform in [0, 1). */
  readonly random?: () => number;
  /** File access for the main file and includes. Default: node:fs. */
  readonly files?: ConfigFiles;
  /**
   * Keywords that always open a block, used to recover from a missing '{' the way keepalived
   * does (the following lines up to '}' become the block). A set of names, or a function of the
   * keyword and its enclosing block keywords (outermost first) for exact per-block tables.
   * Default DEFAULT_BLOCK_KEYWORDS.
   */
  readonly blockKeywords?: BlockKeywords;
  /**
   * Which finished statements the tree keeps (see GrammarOptions.retain). Default: all. Callers
   * that only build the model pass build-model.ts modelRetain(sink), which drops what buildModel
   * would skip or only count (unknown keywords past the diagnostics cap, unknown blocks' content).
   */
  readonly retain?: Retain;
}

/**
 * Keywords that open a block wherever they appear in keepalived 2.2.7's keyword tables (block
 * headers and `{ ... }` value lists). A keyword that is a block in one place and a plain value
 * in another is deliberately absent.
 */
export const DEFAULT_BLOCK_KEYWORDS: ReadonlySet<string> = new Set([
  'global_defs',
  'vrrp_instance',
  'vrrp_sync_group',
  'vrrp_script',
  'vrrp_track_file',
  'track_file',
  'vrrp_track_process',
  'track_process',
  'garp_group',
  'virtual_server',
  'virtual_server_group',
  'real_server',
  'TCP_CHECK',
  'UDP_CHECK',
  'HTTP_GET',
  'SSL_GET',
  'MISC_CHECK',
  'SMTP_CHECK',
  'DNS_CHECK',
  'PING_CHECK',
  'FILE_CHECK',
  'BFD_CHECK',
  'bfd_instance',
  'url',
  'authentication',
  'virtual_ipaddress',
  'virtual_ipaddress_excluded',
  'virtual_routes',
  'virtual_rules',
  'static_ipaddress',
  'static_routes',
  'static_rules',
  'track_interface',
  'track_script',
  'track_bfd',
  'unicast_peer',
]);

/** DEFAULT_BLOCK_KEYWORDS, less `track_file NAME` inside FILE_CHECK (a value there, check_file.c). */
function defaultBlockKeyword(name: string, parents: readonly string[]): boolean {
  if (name === 'track_file' && parents[parents.length - 1] === 'FILE_CHECK') return false;
  return DEFAULT_BLOCK_KEYWORDS.has(name);
}

const MESSAGES: Record<GrammarErrorCode, string> = {
  'extra-close-brace': "Extra '}' found",
  'missing-close-brace': "missing '}' for the block opened here (keepalived: missing '}'s or extra '{'s)",
  'missing-open-brace': "Missing '{' at beginning of configuration block",
  'nesting-too-deep': "blocks nested too deep (more than 100 levels) - '{' ignoring, its content read at this level",
  'unexpected-open-brace': "Unexpected '{' - ignoring",
  'unmatched-quote': 'Unmatched quote',
};

function buildTree(pre: JoinedResult, mainFile: string, options: ParseOptions, sink: DiagnosticSink): ConfigTree {
  const { text, map } = pre;
  const loc = (offset: number): SourceLoc => map.loc(offset, mainFile);
  // The grammar's actions build the final statements, locations included (see the grammar).
  const retain = options.retain;
  const result = parseGrammar(text, { blockKeywords: options.blockKeywords ?? defaultBlockKeyword, loc, ...(retain ? { retain } : {}) });
  const errors = [...result.errors].sort((a, b) => a.start - b.start);
  for (const e of errors) {
    sink.error(e.code, MESSAGES[e.code], loc(e.start), { text: text.slice(e.start, Math.max(e.end, e.start + 1)).split('\n')[0] });
  }
  return { statements: result.statements, files: pre.files };
}

/** Parses keepalived config text as if it were the file `fileName`. */
export function parseConfigText(text: string, fileName: string, options: ParseOptions, sink: DiagnosticSink): ConfigTree {
  const pre = preprocessTextJoined(text, fileName, { ...pickPre(options) }, sink);
  return buildTree(pre, fileName, options, sink);
}

/** Reads and parses the config file at `path` (includes resolve relative to each file). */
export function parseConfigFile(path: string, options: ParseOptions, sink: DiagnosticSink): ConfigTree {
  const pre = preprocessFileJoined(path, pickPre(options), sink);
  return buildTree(pre, path, options, sink);
}

function pickPre(options: ParseOptions) {
  return {
    files: options.files ?? nodeConfigFiles,
    ...(options.configId !== undefined ? { configId: options.configId } : {}),
    ...(options.random !== undefined ? { random: options.random } : {}),
  };
}
