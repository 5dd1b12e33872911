// Builds the FSM configs for a conformance case from its keepalived.conf through the real
// pipeline: parseConfigText -> buildModel -> instanceConfigFromModel.
import { buildModel } from '../../src/config/build-model.js';
import type { KeepalivedConfig } from '../../src/config/model.js';
import { parseConfigText } from '../../src/config/parse.js';
import { DiagnosticSink, formatDiagnostic } from '../../src/lib/diagnostics.js';
import type { InstanceConfig } from '../../src/vrrp/fsm/config.js';
import { instanceConfigFromModel, syncGroupConfigFromModel } from '../../src/vrrp/model-adapter.js';
import type { SyncGroupConfig } from '../../src/vrrp/sync-group.js';

export interface LoadedConf {
  /** The typed model (the daemon wires instances from it: core/instance-wiring.ts). */
  readonly model: KeepalivedConfig;
  readonly instances: InstanceConfig[];
  readonly groups: SyncGroupConfig[];
}

export function loadCaseConfig(text: string): LoadedConf {
  const sink = new DiagnosticSink();
  const tree = parseConfigText(text, 'keepalived.conf', {}, sink);
  const model = buildModel(tree, sink);
  // keepalived logs config errors such as a weighted tracker on an owner and runs anyway; a
  // case config that is unusable fails through its expected actions instead.
  if (model.vrrpInstances.length === 0) throw new Error(sink.items.map(formatDiagnostic).join('\n'));
  return {
    model,
    instances: model.vrrpInstances.map((vi) => instanceConfigFromModel(model, vi)),
    groups: model.vrrpSyncGroups.map((sg) => syncGroupConfigFromModel(model, sg)),
  };
}
