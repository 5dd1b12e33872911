// Shared by the IPVS tests: a config model from keepalived text, and a HealthSource the test
// drives by hand (the checkers' contract, src/check/health.ts).
import type { HealthSource, RealServerHealth } from '../../../src/check/health.js';
export { modelOf } from '../../helpers/config-model.js';

/** A HealthSource whose results the test sets. */
export class ScriptedHealth implements HealthSource {
  private readonly map = new Map<string, RealServerHealth>();
  private readonly listeners: ((h: RealServerHealth) => void)[] = [];
  started = 0;
  stopped = 0;

  async start(): Promise<void> {
    this.started++;
  }
  async stop(): Promise<void> {
    this.stopped++;
  }
  current(): ReadonlyMap<string, RealServerHealth> {
    return this.map;
  }
  onChange(listener: (h: RealServerHealth) => void): void {
    this.listeners.push(listener);
  }
  set(key: string, up: boolean, weight?: number): void {
    const h: RealServerHealth = { key, up, checkers: 1, checkersUp: up ? 1 : 0, lastResult: up ? 'ok' : 'connect refused', ...(weight !== undefined ? { weight } : {}) };
    this.map.set(key, h);
    for (const l of this.listeners) l(h);
  }
}
