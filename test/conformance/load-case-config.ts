// Builds the FSM configs for a conformance case from its keepalived.conf.
import { loadConf, type LoadedConf } from './temp-conf-loader.js';

export function loadCaseConfig(text: string): LoadedConf {
  return loadConf(text);
}
