// Interop with keepalived 2.2.7: VRRPv2 unicast (unicast_src_ip / unicast_peer), advert_int 1.
import { describe } from 'vitest';
import { isRoot, itWhen } from '../helpers/require.js';
import { hasKeepalived, hasTcpdump, hasTshark } from './interop-lab.js';
import { runScenario, type Case } from './scenario.js';

const c: Case = { tag: 'iu2', version: 2, family: 'inet', advertInt: 1, unicast: true };
const it = itWhen(isRoot, hasKeepalived, hasTshark, hasTcpdump);

describe('interop VRRPv2 IPv4 unicast (keepalived-ts <-> keepalived 2.2.7)', () => {
  it('keepalived-ts MASTER, keepalived BACKUP: election, SIGTERM and kill -9 failover, wire fields', { timeout: 120_000 }, () => runScenario(c, 'ours'));
  it('keepalived MASTER, keepalived-ts BACKUP: election, SIGTERM and kill -9 failover, wire fields', { timeout: 120_000 }, () => runScenario(c, 'keepalived'));
});
