// Interop with keepalived 2.2.7: VRRPv2 over IPv4 multicast with PASS authentication, advert_int 1.
import { describe } from 'vitest';
import { isRoot, itWhen } from '../helpers/require.js';
import { hasKeepalived, hasTcpdump, hasTshark } from './interop-lab.js';
import { runScenario, type Case } from './scenario.js';

const c: Case = { tag: 'iv2p', version: 2, family: 'inet', advertInt: 1, auth: { type: 'PASS', pass: 'secret12' } };
const it = itWhen(isRoot, hasKeepalived, hasTshark, hasTcpdump);

describe('interop VRRPv2 IPv4 PASS auth (keepalived-ts <-> keepalived 2.2.7)', () => {
  it('keepalived-ts MASTER, keepalived BACKUP: election, SIGTERM and kill -9 failover, wire fields', { timeout: 120_000 }, () => runScenario(c, 'ours'));
  it('keepalived MASTER, keepalived-ts BACKUP: election, SIGTERM and kill -9 failover, wire fields', { timeout: 120_000 }, () => runScenario(c, 'keepalived'));
});
