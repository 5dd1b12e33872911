// The LVS director's lines operators grep and alert on, as keepalived 2.2.7 prints them
// (check/ipwrapper.c: perform_svr_state, update_quorum_state, perform_quorum_state,
// update_svr_wgt, clear_service_rs), for the same events. Checked against keepalived's source
// text; the checker lines ("TCP connection to ... success.", "TCP_CHECK on service ... failed
// after N retries.", "Misc check for [...] ...") are in test/unit/check/checker-state.test.ts,
// the VRRP ones against a running keepalived in test/integration/daemon/syslog.test.ts.
import { describe, expect, it } from 'vitest';
import { eventLines, removedLine, shutdownLine } from '../../../src/ipvs/wording.js';

const VS = '[192.0.2.1]:tcp:3306';
const RS = '[192.0.2.10]:tcp:3306';
const SORRY = '[192.0.2.99]:tcp:3306';
const base = { vsId: 'v', vs: VS, rsKey: 'r', rs: RS };
const q = { vsId: 'v', vs: VS, quorum: 3, hysteresis: 1 };

describe("grep-worthy LVS lines in keepalived 2.2.7's words", () => {
  it.each([
    [eventLines({ kind: 'rsDown', ...base, inhibit: false }), [`Removing service ${RS} from VS ${VS}`]],
    [eventLines({ kind: 'rsUp', ...base, inhibit: false }), [`Adding service ${RS} to VS ${VS}`]],
    [eventLines({ kind: 'rsDown', ...base, inhibit: true }), [`Disabling service ${RS} of VS ${VS}`]],
    [eventLines({ kind: 'rsUp', ...base, inhibit: true }), [`Enabling service ${RS} of VS ${VS}`]],
    [eventLines({ kind: 'rsWeight', ...base, from: 1, to: 5, alive: true }), [`Changing weight from 1 to 5 for active service ${RS} of VS ${VS}`]],
    [eventLines({ kind: 'rsWeight', ...base, from: 5, to: 0, alive: false }), [`Changing weight from 5 to 0 for inactive service ${RS} of VS ${VS}`]],
    [eventLines({ kind: 'quorumLost', init: false, ...q, threshold: 2, weightSum: 1 }), [`Lost quorum 3-1=2 > 1 for VS ${VS}`]],
    [eventLines({ kind: 'quorumLost', init: true, ...q, threshold: 2, weightSum: 0 }), [`Starting with quorum down 3-1=2 > 0 for VS ${VS}`]],
    [
      eventLines({ kind: 'quorumLost', init: false, ...q, threshold: 2, weightSum: 1, sorry: { rs: SORRY, inhibit: false } }),
      [`Lost quorum 3-1=2 > 1 for VS ${VS}`, `Adding sorry server ${SORRY} to VS ${VS}`, `Removing alive servers from the pool for VS ${VS}`],
    ],
    [
      eventLines({ kind: 'quorumGained', ...q, threshold: 4, weightSum: 4, sorry: { rs: SORRY, inhibit: false } }),
      [`Gained quorum 3+1=4 <= 4 for VS ${VS}`, `Removing sorry server ${SORRY} from VS ${VS}`, `Adding alive servers to the pool for VS ${VS}`],
    ],
    [[shutdownLine(RS, VS, false)], [`Shutting down service ${RS} from VS ${VS}`]],
    [[shutdownLine(RS, VS, true)], [`Shutting down (inhibited) service ${RS} from VS ${VS}`]],
    [[removedLine(RS, VS, false)], [`Removing service ${RS} from VS ${VS}`]],
  ])('%j', (ours, keepalived) => {
    expect(ours).toEqual(keepalived);
  });
});
