// checker_priority (global_defs): the nice value of the checker child, as keepalived sets its
// checker process's priority. The child is started through the daemon's own LVS parts and its
// nice value read from /proc/PID/stat (field 19); without the keyword it is our default, 10.
import { readFileSync } from 'node:fs';
import { describe, expect } from 'vitest';
import type { CheckerHost } from '../../../src/check/checker-host.js';
import { defaultLvsParts } from '../../../src/core/lvs-default-parts.js';
import { createLogger } from '../../../src/lib/log.js';
import { modelOf } from '../../unit/ipvs/lvs-fixtures.js';
import { isRoot, itWhen } from '../../helpers/require.js';

const VS = `virtual_server 192.0.2.1 80 {\n protocol TCP\n delay_loop 30\n real_server 127.0.0.9 80 {\n  TCP_CHECK {\n   connect_timeout 1\n  }\n }\n}\n`;

/** Field 19 of /proc/PID/stat (after the parenthesised command name). */
const niceOf = (pid: number): number => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[16]);

async function childNice(conf: string): Promise<number> {
  const host = defaultLvsParts().health({ model: modelOf(conf), log: createLogger({ level: 'silent' }), onFifoLine: () => undefined }) as CheckerHost;
  await host.start();
  try {
    const pid = host.checkerId;
    if (pid === undefined) throw new Error('no checker child');
    expect(pid).not.toBe(process.pid);
    return niceOf(pid);
  } finally {
    await host.stop();
  }
}

describe('checker_priority', () => {
  // A negative nice value needs root (CAP_SYS_NICE), as for keepalived.
  itWhen(isRoot)('sets the checker child nice value; without it the child runs at 10', async () => {
    expect(await childNice(`global_defs {\n checker_priority -3\n}\n${VS}`)).toBe(-3);
    expect(await childNice(`global_defs {\n checker_priority 7\n}\n${VS}`)).toBe(7);
    expect(await childNice(VS)).toBe(10);
  }, 60_000);

  itWhen(isRoot)('a value outside -20..19 is a config error naming the place', () => {
    expect(() => modelOf(`global_defs {\n checker_priority 20\n}\n${VS}`)).toThrow(/checker_priority|20/);
  });
});
