// Interop with keepalived 2.2.7: VRRPv3 over IPv6 multicast (link-local source, ff02::12), advert_int 0.3 s.
import { describe } from 'vitest';
import { isRoot, itWhen } from '../helpers/require.js';
import { hasKeepalived, hasTcpdump, hasTshark } from './interop-lab.js';
import { runScenario, type Case } from './scenario.js';

const c: Case = { tag: 'iv36', version: 3, family: 'inet6', advertInt: 0.3 };
const it = itWhen(isRoot, hasKeepalived, hasTshark, hasTcpdump);

describe('interop VRRPv3 IPv6 multicast (keepalived-ts <-> keepalived 2.2.7)', () => {
  it('keepalived-ts MASTER, keepalived BACKUP: election, SIGTERM and kill -9 failover, wire fields', { timeout: 120_000 }, () => runScenario(c, 'ours'));
  it('keepalived MASTER, keepalived-ts BACKUP: election, SIGTERM and kill -9 failover, wire fields', { timeout: 120_000 }, () => runScenario(c, 'keepalived'));
});
