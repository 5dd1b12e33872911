// The one place the CLI calls the config pipeline (preprocess + parse -> keyword tables ->
// typed model), so a change in those modules' signatures touches only this file.
import { parseConfigFile } from '../config/parse.js';
import { buildModel } from '../config/build-model.js';
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
  const tree = parseConfigFile(path, { configId: options.configId }, sink);
  const model = buildModel(tree, sink);
  return { tree, model };
}
