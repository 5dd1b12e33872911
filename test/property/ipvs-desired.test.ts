// Properties of desired() over random directors and random checker results (fast-check):
// the pool is what keepalived's rules give (live real servers, inhibited ones at weight 0, the
// sorry server alone while quorum is lost), and quorum only changes when the live weight crosses
// quorum -/+ hysteresis (keepalived-behaviour.md 5.3).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EMPTY_MEMORY, desired, type DesiredMemory, type RsHealth } from '../../src/ipvs/desired.js';
import { modelOf } from '../unit/ipvs/lvs-fixtures.js';

const director = fc
  .record({
    weights: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 5 }),
    quorum: fc.integer({ min: 1, max: 12 }),
    hysteresis: fc.integer({ min: 0, max: 5 }),
    sorry: fc.boolean(),
    sorryInhibit: fc.boolean(),
    inhibit: fc.boolean(),
  })
  .map((d) => {
    const conf = `
virtual_server 192.0.2.1 80 {
  protocol TCP
  quorum ${d.quorum}
  hysteresis ${d.hysteresis}
  ${d.inhibit ? 'inhibit_on_failure' : ''}
  ${d.sorry ? 'sorry_server 198.51.100.99 80' : ''}
  ${d.sorry && d.sorryInhibit ? 'sorry_server_inhibit' : ''}
${d.weights.map((w, i) => `  real_server 192.0.2.${10 + i} 80 {\n    weight ${w}\n    TCP_CHECK { }\n  }`).join('\n')}
}`;
    return { ...d, model: modelOf(conf) };
  });

describe('desired (property)', () => {
  it('pool and quorum follow keepalived rules over any sequence of results', () => {
    fc.assert(
      fc.property(director, fc.array(fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }), { minLength: 1, maxLength: 8 }), (d, seq) => {
        const vs = d.model.virtualServers[0];
        // The config layer clamps quorum and hysteresis as keepalived does; use what it settled.
        const q = vs.quorum;
        const h = vs.hysteresis;
        let memory: DesiredMemory = EMPTY_MEMORY;
        let prevUp: boolean | undefined;
        for (const ups of seq) {
          const health = new Map<string, RsHealth>(vs.realServers.map((rs, i) => [`tcp|192.0.2.1|80#${rs.ip.text}|80`, { up: ups[i] }]));
          const out = desired({ virtualServers: d.model.virtualServers, groups: [], health, memory });
          memory = out.memory;
          const v = out.virtuals[0];
          const sum = vs.realServers.reduce((a, rs, i) => a + (ups[i] ? rs.weight : 0), 0);
          expect(v.weightSum).toBe(sum);
          if (prevUp === undefined) expect(v.quorumUp).toBe(sum >= q + h);
          else if (prevUp && !v.quorumUp) expect(sum === 0 || sum < q - h).toBe(true);
          else if (!prevUp && v.quorumUp) expect(sum >= q + h).toBe(true);
          else if (prevUp) expect(sum > 0 && sum >= q - h).toBe(true);
          else expect(sum < q + h).toBe(true);
          prevUp = v.quorumUp;

          const dests = new Map(out.entries[0].dests.map((x) => [x.address, x.weight]));
          const sorryActive = d.sorry && !v.quorumUp;
          const want = new Map<string, number>();
          if (d.sorry && !sorryActive && d.sorryInhibit) want.set('198.51.100.99', 0);
          vs.realServers.forEach((rs, i) => {
            if (ups[i] && !sorryActive) want.set(rs.ip.text, rs.weight);
            else if (d.inhibit) want.set(rs.ip.text, 0);
          });
          if (sorryActive) want.set('198.51.100.99', 1);
          expect(dests).toEqual(want);
        }
      }),
      { numRuns: 150 },
    );
  });
});
