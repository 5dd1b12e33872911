// SMTP_CHECK probe: the dialogue of keepalived 2.2.7 check_smtp.c over node:net. Each step (the
// connect and every read) is bounded by connect_timeout; a failure answers with keepalived's
// words (smtp-check.ts turns them into log lines and a verdict).
import { Socket } from 'node:net';
import type { ProbeResult } from './checker-state.js';
import type { SmtpCheckerPlan } from './plan.js';
import type { ProbeHandle } from './probes.js';
import { smtpServerText, smtpStatus } from './smtp-check.js';
import { probeEnd, tcpConnectOptions } from './probe-end.js';

/** check_smtp.h SMTP_BUFF_MAX: a line longer than this is cut. */
const SMTP_BUFF_MAX = 512;

type Stage = 'connect' | 'banner' | 'helo' | 'quit';

export function smtpProbe(plan: SmtpCheckerPlan, done: (r: ProbeResult) => void): ProbeHandle {
  const server = smtpServerText(plan.host, plan.port);
  const sock = new Socket();
  let stage: Stage = 'connect';
  let buf = '';
  const end = probeEnd(done, () => sock.destroy());
  const finish = end.finish;
  const fail = (detail: string): void => finish({ kind: 'failed', detail });
  const arm = (): void =>
    end.arm(plan.connectTimeoutMs, () => ({ kind: 'failed', detail: stage === 'connect' ? `Connection timeout to server ${server}` : `Read timeout from server ${server}` }));
  const write = (line: string): void => {
    sock.write(line, (e) => {
      if (e) fail(`Write failure to server ${server}`);
    });
  };
  const onLine = (line: string): void => {
    switch (stage) {
      case 'banner':
        if (smtpStatus(line) !== 220) return fail(`Bad greeting banner from server ${server}`);
        stage = 'helo';
        write(`HELO ${plan.heloName}\r\n`);
        arm();
        return;
      case 'helo':
        if (smtpStatus(line) !== 250) return fail(`Bad HELO response from server ${server}`);
        stage = 'quit';
        write('QUIT\r\n');
        arm();
        return;
      case 'quit':
        // Any line after QUIT completes the check.
        return finish({ kind: 'connected' });
      case 'connect':
        return;
    }
  };
  sock.on('connect', () => {
    stage = 'banner';
    arm();
  });
  sock.on('data', (d: Buffer) => {
    buf += d.toString('latin1');
    if (buf.length >= SMTP_BUFF_MAX - 1) buf = buf.slice(0, SMTP_BUFF_MAX - 1);
    const nl = buf.indexOf('\n');
    if (nl < 0) return;
    // keepalived reads once per step and keeps the first line; the rest of that read is dropped.
    const line = buf.slice(0, nl);
    buf = '';
    onLine(line);
  });
  sock.on('end', () => fail(`Read failure from server ${server}`));
  sock.on('error', (e: NodeJS.ErrnoException) => {
    if (e.syscall === 'bind') return finish({ kind: 'bindFailed', detail: e.code ?? e.message });
    if (stage === 'connect') return fail(`Error connecting to server ${server}`);
    return fail(`Read failure from server ${server}`);
  });
  arm();
  try {
    sock.connect(tcpConnectOptions(plan));
  } catch {
    end.later({ kind: 'failed', detail: `Could not connect to server ${server}` });
  }
  return end.handle;
}
