// Control for the interop suite's "keepalived logged no complaint about our packets" check: with a
// deliberately wrong auth_pass on our side, keepalived 2.2.7 must complain and the detector must
// see it (and both routers then claim the VIP). Without this, an empty complaint list could mean
// the grep matches nothing keepalived ever prints.
import { describe, expect } from 'vitest';
import { Lab } from '../../src/lab/lab.js';
import { isRoot, itWhen } from '../helpers/require.js';
import { hasAddr, hasKeepalived, keepalivedComplaints, startOurs, startTheirs, waitUntil, type Node } from './interop-lab.js';
import { caseConfig, type Case } from './scenario.js';

const c: Case = { tag: 'icc', version: 2, family: 'inet', advertInt: 1, auth: { type: 'PASS', pass: 'secret12' } };

describe('interop control', () => {
  itWhen(isRoot, hasKeepalived)('keepalived complains about our adverts with a wrong PASS, and the detector sees it', { timeout: 60_000 }, async () => {
    const lab = new Lab(c.tag);
    const nodes: Node[] = [];
    try {
      lab.addHost({ name: 't', addresses: ['192.0.2.11/24'] });
      lab.addHost({ name: 'k', addresses: ['192.0.2.12/24'] });
      const k = startTheirs(lab, 'k', caseConfig(c, 'k', 100));
      nodes.push(k);
      const o = startOurs(lab, 't', caseConfig(c, 't', 150).replace('auth_pass secret12', 'auth_pass wrong123'));
      nodes.push(o);
      await o.waitFor(/Entering MASTER STATE/, 20_000);
      await waitUntil('a keepalived complaint', () => keepalivedComplaints(k.lines).length > 0, 10_000);
      expect(keepalivedComplaints(k.lines).some((l) => /invalid passwd/.test(l))).toBe(true);
      // Neither accepts the other: split brain, both hold the VIP.
      await waitUntil('both hold the VIP', () => hasAddr(lab, 't', '192.0.2.100') && hasAddr(lab, 'k', '192.0.2.100'), 10_000);
    } finally {
      for (const n of nodes) n.cleanup();
      lab.destroy();
    }
  });
});
