// The one path from `-f PATTERN` to the typed model, shared by `-t`, `--dump-config` and the
// daemon:
//
//   -f PATTERN ─▶ main files (glob, braces) ─▶ main-file checks ─▶ preprocess (include, @id,
//   $NAME, ~SEQ) ─▶ Peggy grammar ─▶ statement tree ─▶ keyword tables ─▶ model
//
// Every problem is a diagnostic in one sink, never an exception. What each caller does with a
// main file it cannot read differs (our -t exits 4 for any of them; the daemon exits 6, as
// keepalived does, for a missing file only), so those problems are returned, not acted on.
import { parseConfigFile, parseConfigText } from './parse.js';
import { buildModel, modelRetain } from './build-model.js';
import { inFileOrder } from './host-checks.js';
import { expandBraces } from './preprocess.js';
import { mainFileCheck, nodeConfigFiles, type MainFileProblem } from './node-files.js';
import type { ConfigTree } from './ast.js';
import type { KeepalivedConfig } from './model.js';
import type { Diagnostic, DiagnosticSink } from '../lib/diagnostics.js';

export type KeepalivedModel = KeepalivedConfig;
export type { MainFileProblem } from './node-files.js';

export interface LoadOptions {
  /** Config id for `@id` conditional lines. */
  readonly configId: string;
}

export interface Loaded {
  readonly tree: ConfigTree;
  readonly model: KeepalivedModel;
}

/** Why the main file cannot be read as given (keepalived's wording), or undefined when it can. */
export function mainFileProblem(path: string): string | undefined {
  return mainFileCheck(path)?.message;
}

/**
 * The files `-f PATTERN` names: keepalived accepts a glob for the main config; every match is
 * read, in sorted order. A name that exists as written is taken literally.
 */
export function resolveMainFiles(pattern: string, cwd: string = process.cwd()): string[] {
  if (!/[*?[{]/.test(pattern) || nodeConfigFiles.stat?.(pattern) !== undefined) return [pattern];
  const seen = new Set<string>();
  for (const p of expandBraces(pattern)) for (const m of nodeConfigFiles.glob(p, cwd)) seen.add(m);
  return seen.size > 0 ? [...seen] : [pattern];
}

/** Parses `path` and builds the model; every problem goes to `sink`, nothing is thrown. */
export function loadConfig(path: string, options: LoadOptions, sink: DiagnosticSink): Loaded {
  const tree = parseConfigFile(path, { configId: options.configId, retain: modelRetain(sink) }, sink);
  const model = buildModel(tree, sink);
  return { tree, model };
}

/**
 * Several main files (keepalived's `-f GLOB` with more than one match): read as one stream, in
 * order, as if a file held one `include` line per match, so `$NAME` definitions and `@id`
 * lines carry across files like in keepalived. `label` names that virtual file.
 */
export function loadConfigFiles(paths: readonly string[], label: string, options: LoadOptions, sink: DiagnosticSink): Loaded {
  if (paths.length === 1) return loadConfig(paths[0], options, sink);
  const text = paths.map((p) => `include ${p}`).join('\n') + '\n';
  const tree = parseConfigText(text, label, { configId: options.configId, retain: modelRetain(sink) }, sink);
  const model = buildModel(tree, sink);
  return { tree, model };
}

/** The main files `-f PATTERN` resolved to, each with what stops it being read (if anything). */
export interface MainFiles {
  readonly pattern: string;
  readonly files: readonly string[];
  /** The first main file that cannot be read, in file order. */
  readonly problem?: MainFileProblem;
}

/** Stage one: which files the pattern names, and whether each can be read as a config file. */
export function mainFiles(pattern: string, cwd?: string): MainFiles {
  const files = resolveMainFiles(pattern, cwd);
  for (const f of files) {
    const problem = mainFileCheck(f);
    if (problem) return { pattern, files, problem };
  }
  return { pattern, files };
}

export interface ReadConfig extends Loaded {
  /** Everything reported so far (the sink's items, also what callers added after loading), in file order. */
  diagnostics(): Diagnostic[];
}

/**
 * Stage two: preprocess, parse and build the model of the main files (one stream when there are
 * several, with keepalived's "multiple configuration file matches" warning first).
 */
export function readConfig(main: MainFiles, options: LoadOptions, sink: DiagnosticSink): ReadConfig {
  const { files, pattern } = main;
  if (files.length > 1) {
    sink.warning('multiple-config-files', `multiple configuration file matches of ${pattern}, starting with ${files[0]}`, { file: files[0], line: 1, column: 1 }, {
      hint: `all ${files.length} files are read, in this order: ${files.join(', ')}`,
    });
  }
  const { tree, model } = loadConfigFiles(files, pattern, options, sink);
  return { tree, model, diagnostics: () => inFileOrder(sink.items, tree) };
}
