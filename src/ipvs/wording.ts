// The log lines of the LVS director in keepalived 2.2.7's words, so what people grep for keeps
// matching. Facts from keepalived/check/ipwrapper.c (perform_svr_state, update_quorum_state,
// perform_quorum_state, update_svr_wgt, clear_service_rs); the text here is ours only where
// keepalived has no line (a repair, a refused operation).
import type { IpvsOp } from '../kernel/ipvs.js';
import { ipvsOpText, serviceKeyText } from '../kernel/ipvs.js';
import type { LvsEvent } from './desired.js';

/** The lines one event is logged with, in keepalived's order. */
export function eventLines(e: LvsEvent): string[] {
  switch (e.kind) {
    case 'rsUp':
      // perform_svr_state: "Adding service X to VS Y" / "Enabling service X of VS Y".
      return [e.inhibit ? `Enabling service ${e.rs} of VS ${e.vs}` : `Adding service ${e.rs} to VS ${e.vs}`];
    case 'rsDown':
      return [e.inhibit ? `Disabling service ${e.rs} of VS ${e.vs}` : `Removing service ${e.rs} from VS ${e.vs}`];
    case 'rsWeight':
      // update_svr_wgt.
      return [`Changing weight from ${e.from} to ${e.to} for ${e.alive ? '' : 'in'}active service ${e.rs} of VS ${e.vs}`];
    case 'quorumGained': {
      const out = [`Gained quorum ${e.quorum}+${e.hysteresis}=${e.threshold} <= ${e.weightSum} for VS ${e.vs}`];
      if (e.sorry) {
        out.push(`${e.sorry.inhibit ? 'Disabling' : 'Removing'} sorry server ${e.sorry.rs} from VS ${e.vs}`);
        out.push(`Adding alive servers to the pool for VS ${e.vs}`);
      }
      return out;
    }
    case 'quorumLost': {
      const out = [`${e.init ? 'Starting with quorum down' : 'Lost quorum'} ${e.quorum}-${e.hysteresis}=${e.threshold} > ${e.weightSum} for VS ${e.vs}`];
      if (e.sorry) {
        out.push(`${e.sorry.inhibit ? 'Enabling' : 'Adding'} sorry server ${e.sorry.rs} to VS ${e.vs}`);
        out.push(`Removing alive servers from the pool for VS ${e.vs}`);
      }
      return out;
    }
  }
}

/** clear_service_rs at stop: "Shutting down service X from VS Y" ("(inhibited) " for a dead inhibited one). */
export function shutdownLine(rs: string, vs: string, inhibitedDead: boolean): string {
  return `Shutting down ${inhibitedDead ? '(inhibited) ' : ''}service ${rs} from VS ${vs}`;
}

/** clear_service_rs on a reload that dropped the real server: "Removing service X from VS Y". */
export function removedLine(rs: string, vs: string, inhibitedDead: boolean): string {
  return `Removing ${inhibitedDead ? '(inhibited) ' : ''}service ${rs} from VS ${vs}`;
}

/** One op as text for our own lines (repairs, refusals). */
export const opText = ipvsOpText;
