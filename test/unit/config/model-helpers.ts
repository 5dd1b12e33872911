// Test helper: config text -> model + diagnostics through the real parser.
import { buildModel } from '../../../src/config/build-model.js';
import type { KeepalivedConfig } from '../../../src/config/model.js';
import { parseConfigText } from '../../../src/config/parse.js';
import { DiagnosticSink, type Diagnostic } from '../../../src/lib/diagnostics.js';

export interface Built {
  readonly model: KeepalivedConfig;
  readonly diags: Diagnostic[];
  codes(): string[];
  only(code: string): Diagnostic[];
}

export function build(text: string): Built {
  const sink = new DiagnosticSink();
  const model = buildModel(parseConfigText(text, 't.conf', {}, sink), sink);
  return {
    model,
    diags: sink.items,
    // Without keepalived's second wording of a problem already listed (src/config/keywords/table.ts).
    codes: () => sink.items.filter((d) => d.code !== 'keepalived-wording').map((d) => d.code),
    only: (code) => sink.items.filter((d) => d.code === code),
  };
}

/** A minimal valid instance with extra body lines. */
export const vi = (body = '', name = 'VI_1', vrid = 51) =>
  `vrrp_instance ${name} {\n interface eth0\n virtual_router_id ${vrid}\n virtual_ipaddress {\n  10.0.0.1\n }\n${body}\n}\n`;
