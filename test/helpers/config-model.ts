// A config text through the parser and the model builder, as the daemon reads its file: the
// tests that need a model (checkers, the LVS subsystem) build it here; any error diagnostic
// throws, so a test config with a mistake fails loudly instead of testing a half-built model.
import { buildModel } from '../../src/config/build-model.js';
import type { KeepalivedConfig } from '../../src/config/model.js';
import { parseConfigText } from '../../src/config/parse.js';
import { DiagnosticSink } from '../../src/lib/diagnostics.js';

/** The model of `text`, read as if it were the file `file` (include paths resolve from there). */
export function modelOf(text: string, file = 'test.conf'): KeepalivedConfig {
  const sink = new DiagnosticSink();
  const m = buildModel(parseConfigText(text, file, {}, sink), sink);
  const errors = sink.items.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new Error(`config errors: ${errors.map((e) => e.message).join('; ')}`);
  return m;
}
