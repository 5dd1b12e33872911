#!/usr/bin/env node
// The `keepalived-ts` executable: binds the dispatcher in run.ts to this process. Bad input
// never shows a stack trace; an unexpected exception is reported in one line and exits 70
// (keepalived's "program error"), with the stack only when KEEPALIVED_TS_DEBUG is set.
import { hostname } from 'node:os';
import { run } from './run.js';
import { controlCommand, parseArgv, refusedFlagsLine, EXIT_UNSUPPORTED_FLAG, type CliOptions } from './argv.js';

const EXIT_PROGRAM_ERROR = 70;

// A closed pipe (`keepalived-ts --dump-config | head`) is not an error worth a trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  });
}

function fail(e: unknown): void {
  const msg = e instanceof Error ? e.message : String(e);
  process.stderr.write(`keepalived-ts: internal error: ${msg}\n`);
  if (process.env.KEEPALIVED_TS_DEBUG && e instanceof Error && e.stack) process.stderr.write(e.stack + '\n');
  process.exitCode = EXIT_PROGRAM_ERROR;
}

/** Everything that is not a one-shot command (-t, --dump-config, -v, -h, --signum, genhash) runs the daemon. */
function isDaemonMode(o: CliOptions): boolean {
  return !o.configTest && !o.dumpConfig && !o.version && !o.help && o.signum === undefined && o.genhash === undefined && controlCommand(o) === undefined;
}

const argv = process.argv.slice(2);
// `keepalived-ts genhash ...` is keepalived's `genhash` program (a link to keepalived there);
// `-T` / `--genhash` switch to it from the main program's options (argv.ts).
const asGenhash = argv[0] === 'genhash';
const parsed = parseArgv(asGenhash ? [] : argv, hostname());
const genhash: CliOptions['genhash'] = asGenhash ? { args: argv.slice(1) } : parsed.ok ? parsed.options.genhash : undefined;
const refused = genhash === undefined && parsed.ok && isDaemonMode(parsed.options) ? refusedFlagsLine(parsed.options) : undefined;
const command = genhash === undefined && parsed.ok && !parsed.options.help && !parsed.options.version ? controlCommand(parsed.options) : undefined;
if (genhash !== undefined) {
  if (genhash.ignored !== undefined) process.stderr.write(`Warning -- \`${genhash.ignored}\` not used as first option, previous options ignored\n`);
  import('./genhash.js')
    .then(({ runGenhash }) =>
      runGenhash(genhash.args, { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) }, asGenhash ? 'keepalived-ts genhash' : 'keepalived-ts --genhash'),
    )
    .then(
      (code) => {
        process.exitCode = code;
      },
      (e: unknown) => fail(e),
    );
} else if (parsed.ok && command !== undefined) {
  // `status` / `reload`: a client of a running daemon's control socket (src/cli/status.ts).
  const o = parsed.options;
  import('./status.js')
    .then(({ runControlCommand }) => runControlCommand(command, o, { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) }))
    .then(
      (code) => {
        process.exitCode = code;
      },
      (e: unknown) => fail(e),
    );
} else if (refused !== undefined) {
  // A flag we do not implement yet: one line and exit 4, never a silent start without it.
  process.stderr.write(refused + '\n');
  process.exitCode = EXIT_UNSUPPORTED_FLAG;
} else if (parsed.ok && isDaemonMode(parsed.options)) {
  const o = parsed.options;
  // keepalived prints these and carries on.
  for (const w of o.warnings) process.stderr.write(`keepalived-ts: ${w}\n`);
  if (o.operands.length > 0) process.stderr.write(`keepalived-ts: Unexpected argument(s): ${o.operands.join(' ')}\n`);
  // -u: before any file (pid files, dumps, log file) is created.
  if (o.umask !== undefined) process.umask(o.umask);
  // keepalived-ts always stays in the foreground (as with -n): run it under systemd Type=simple.
  // Loaded only in daemon mode: the daemon's modules (sockets, netlink, logger) cost ~300 ms of
  // startup that `-t` and the other one-shot commands do not need.
  // Signals from the first moment: until the daemon's handlers are in place they are remembered
  // (USR2 and the realtime ones would otherwise kill the process; a TERM stops it once started).
  import('../core/signals.js')
    .then(async ({ EarlySignals, nativeSignalWatcher }) => new EarlySignals(await nativeSignalWatcher().catch(() => undefined)))
    .then(async (earlySignals) => ({ earlySignals, ...(await import('../core/daemon.js')) }))
    .then(({ runDaemon, earlySignals }) =>
      runDaemon({
        earlySignals,
        configFile: o.configFile,
        configId: o.configId,
        pidFile: o.pidFile ?? '/run/keepalived.pid',
        vrrpPidFile: o.vrrpPidFile ?? '/run/vrrp.pid',
        checkersPidFile: o.checkersPidFile ?? '/run/checkers.pid',
        vrrpOnly: o.vrrpOnly,
        checkOnly: o.checkOnly,
        dontReleaseIpvs: o.dontReleaseIpvs,
        logConsole: o.logConsole || Boolean(process.stderr.isTTY),
        noSyslog: o.noSyslog,
        logFacility: o.logFacility,
        logFormat: o.logFormat,
        ...(o.syslogSocket !== undefined ? { syslogSocket: o.syslogSocket } : {}),
        logLevel: o.logDetail ? 'debug' : 'info',
        ...(o.logFile !== undefined ? { logFile: o.logFile } : {}),
        dontReleaseVrrp: o.dontReleaseVrrp,
        dumpConf: o.dumpConf,
        addressMonitoring: o.addressMonitoring,
        watchConfig: o.watchConfig,
        all: o.all,
        allConfig: o.allConfig,
        ...(o.umask !== undefined ? { umask: o.umask } : {}),
        ...(o.controlSocket !== undefined ? { controlSocket: o.controlSocket } : {}),
        ...(o.metrics !== undefined ? { metrics: o.metrics } : {}),
      }),
    )
    .then(
      (code) => {
        process.exitCode = code;
        // The daemon has stopped and released everything it owns. If a handle still holds the
        // process (a config reader thread terminated while it was still loading its modules was
        // seen to), end it anyway after the 1 s the syslog queue may take to drain, as keepalived
        // exits when its stop is done. Unref'd: a process with nothing left exits at once.
        setTimeout(() => process.exit(code), 1500).unref();
      },
      (e: unknown) => fail(e),
    );
} else {
  try {
    process.exitCode = run(argv, {
      stdout: (t) => process.stdout.write(t),
      stderr: (t) => process.stderr.write(t),
      hostname: hostname(),
      pathEnv: process.env.PATH,
    });
  } catch (e) {
    fail(e);
  }
}
