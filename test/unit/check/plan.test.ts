// The checker plan from a real config: keepalived's texts for servers (FMT_RS / FMT_VS), targets
// and their overrides, misc_timeout's default, the not-run warnings, the MISC_CHECK user.
import { describe, expect, it } from 'vitest';
import { buildCheckPlan, notRunWarnings, type MiscCheckerPlan, type TcpCheckerPlan } from '../../../src/check/plan.js';
import { endpointText } from '../../../src/notify/fifo-format.js';
import { configuredScripts } from '../../../src/notify/script-security.js';
import { build } from '../config/model-helpers.js';

const all = () => ({ argv: ['/bin/x'] });

describe('checker plan', () => {
  it('texts, targets and timing per real server', () => {
    const { model } = build(`
virtual_server 192.0.2.1 80 {
  delay_loop 6
  protocol TCP
  real_server 192.0.2.10 8080 {
    weight 3
    TCP_CHECK {
      connect_ip 198.51.100.7
      connect_port 9000
      bindto 192.0.2.99
      bind_port 4000
      connect_timeout 2
      retry 4
      delay_before_retry 3
    }
    MISC_CHECK {
      misc_path "/bin/x -a"
      misc_dynamic
      delay_loop 2
    }
  }
}
virtual_server fwmark 5 {
  real_server 2001:db8::10 {
    TCP_CHECK {
      alpha
    }
  }
}
`);
    const plan = buildCheckPlan(model, { scripts: all });
    const [a, b] = plan.realServers;
    expect(endpointText(a!.rs)).toBe('[192.0.2.10]:tcp:8080');
    expect(endpointText(a!.vs)).toBe('[192.0.2.1]:tcp:80');
    expect(a!.weight).toBe(3);
    const tcp = a!.checkers[0] as TcpCheckerPlan;
    expect(tcp).toMatchObject({ host: '198.51.100.7', port: 9000, bindto: '192.0.2.99', bindPort: 4000, connectTimeoutMs: 2000, family: 4 });
    expect(tcp.params).toMatchObject({ rsText: '[192.0.2.10]:tcp:8080', vsText: '[192.0.2.1]:tcp:80', retry: 4, delayBeforeRetry: 3000, delayLoop: 6000, warmup: 6000, alpha: false });
    const misc = a!.checkers[1] as MiscCheckerPlan;
    // misc_timeout unset: the virtual server's delay_loop (6 s), not the checker's own (2 s).
    expect(misc).toMatchObject({ timeoutMs: 6000, script: { argv: ['/bin/x'] } });
    expect(misc.params).toMatchObject({ script: '/bin/x', dynamic: true, retry: 0, delayLoop: 2000 });
    // fwmark: protocol 0 prints as `none`; the port is 0.
    expect(endpointText(b!.rs)).toBe('[2001:db8::10]:none:0');
    expect(endpointText(b!.vs)).toBe('FWM 5');
    expect(b!.checkers[0]).toMatchObject({ family: 6, host: '2001:db8::10', params: { alpha: true } });
  });

  it('a misc script that failed the security check takes its checker with it', () => {
    const { model } = build(`virtual_server 192.0.2.1 80 {\n protocol TCP\n real_server 192.0.2.10 80 {\n  MISC_CHECK {\n   misc_path /bin/x\n  }\n  TCP_CHECK {\n  }\n }\n}\n`);
    const plan = buildCheckPlan(model, { scripts: () => undefined });
    expect(plan.realServers[0]!.checkers.map((c) => c.kind)).toEqual(['TCP_CHECK']);
  });

  it('a misc script is logged by the path the start-up check resolved (a bare name found in PATH)', () => {
    const { model } = build(`virtual_server 192.0.2.1 80 {\n protocol TCP\n real_server 192.0.2.10 80 {\n  MISC_CHECK {\n   misc_path "chk -v"\n  }\n }\n}\n`);
    const plan = buildCheckPlan(model, { scripts: () => ({ argv: ['/usr/local/bin/chk', '-v'], mode: 'exec' }) });
    expect((plan.realServers[0]!.checkers[0] as MiscCheckerPlan).params.script).toBe('/usr/local/bin/chk');
  });

  it('one warning per kind not run, naming the first server and how many more; such checkers count as configured but not run', () => {
    const { model } = build(`
virtual_server 192.0.2.1 80 {
  protocol TCP
  real_server 192.0.2.10 80 {
    HTTP_GET {
      url {
        path /
        regex "a b"
        regex_options extended
      }
    }
    UDP_CHECK {
      fwmark 3
    }
  }
  real_server 192.0.2.11 80 {
    HTTP_GET {
      url {
        path /
        regex "a b"
        regex_options extended
      }
    }
    TCP_CHECK {
      fwmark 7
    }
    TCP_CHECK {
    }
  }
}
`);
    expect(notRunWarnings(model)).toEqual([
      'HTTP_GET with regex_options on [192.0.2.10]:tcp:80 (and 1 more) is not run yet by keepalived-ts (regex_options extended has no equivalent in the JavaScript regular expressions this checker uses): the real server is treated as up by this checker, as if it were not configured; its other checkers still decide',
      'UDP_CHECK with fwmark on [192.0.2.10]:tcp:80 is not run yet by keepalived-ts (fwmark (SO_MARK) is not available to its sockets): the real server is treated as up by this checker, as if it were not configured; its other checkers still decide',
    ]);
    const plan = buildCheckPlan(model, { scripts: all });
    expect(plan.realServers.map((r) => [r.checkers.length, r.notRun])).toEqual([
      [0, 2],
      [2, 1],
    ]);
  });

  it("MISC_CHECK's own `user` is the user its script is checked and run as", () => {
    const { model } = build(`virtual_server 192.0.2.1 80 {\n protocol TCP\n real_server 192.0.2.10 80 {\n  MISC_CHECK {\n   misc_path /bin/x\n   user nobody nogroup\n  }\n }\n}\n`);
    expect(configuredScripts(model).find((s) => s.keyword === 'misc_path')?.user).toEqual({ user: 'nobody', group: 'nogroup' });
  });
});
