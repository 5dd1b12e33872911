// The one place the CLI calls the config pipeline (preprocess + parse -> keyword tables ->
// typed model), so a change in those modules' signatures touches only this file.
import { parseConfigFile, parseConfigText } from '../config/parse.js';
import { buildModel, modelRetain } from '../config/build-model.js';
import type { ConfigTree } from '../config/ast.js';
import type { DiagnosticSink } from '../lib/diagnostics.js';

export type KeepalivedModel = ReturnType<typeof buildModel>;

export interface LoadOptions {
  /** Config id for `@id` conditional lines. */
  readonly configId: string;
}

export interface Loaded {
  readonly tree: ConfigTree;
  readonly model: KeepalivedModel;
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
