// The CLI's dispatcher: argv -> one of version / help / signum / config test / dump / daemon.
// Kept free of process globals (argv, streams, host name come in through `CliIo`) so tests run it
// in-process; src/cli/main.ts binds it to the real process.
import { appendFileSync } from 'node:fs';
import { formatDiagnostic } from '../lib/diagnostics.js';
import { parseArgv, SIGNUMS, usageText, type CliOptions } from './argv.js';
import { COMPAT_VERSION, packageVersion } from '../lib/version.js';
import { EXIT_CONFIG_ERRORS, modelToJson, runConfigTest, thisHost } from './config-test.js';
import type { HostFacts } from '../config/host-checks.js';

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly hostname: string;
  readonly pathEnv?: string;
  /** The host `-t` checks against; default this one. */
  readonly host?: HostFacts;
}

export { COMPAT_VERSION, packageVersion } from '../lib/version.js';

function configCommand(o: CliOptions, io: CliIo): number {
  // -t checks the config against this host like keepalived -t; --dump-config alone does not.
  const result = runConfigTest(o.configFile, { configId: o.configId, pathEnv: io.pathEnv, ...(o.configTest ? { host: io.host ?? thisHost() } : {}) });
  const lines: string[] = [...o.warnings];
  if (o.operands.length > 0) lines.push(`Unexpected argument(s): ${o.operands.join(' ')}`);
  if (result.fatal) lines.push(result.fatal);
  for (const d of result.diagnostics) lines.push(formatDiagnostic(d));
  // -t=LOG_FILE appends the report to that file instead of stderr, as keepalived does.
  if (lines.length > 0) {
    const text = lines.join('\n') + '\n';
    let logged = false;
    if (o.configTest && o.configTestLog) {
      try {
        appendFileSync(o.configTestLog, text);
        logged = true;
      } catch (e) {
        io.stderr(`Unable to open config-test log file ${o.configTestLog} (${(e as NodeJS.ErrnoException).code ?? String(e)}); reporting on stderr\n`);
      }
    }
    if (!logged) io.stderr(text);
  }
  if (o.dumpConfig && result.model !== undefined) io.stdout(modelToJson(result.model, { ...(result.disabledScripts ? { disabledScripts: result.disabledScripts } : {}) }) + '\n');
  // An invalid -S value is reported as a config warning by keepalived -t (exit 5).
  if (result.exitCode === 0 && o.warnings.length > 0) return EXIT_CONFIG_ERRORS;
  return result.exitCode;
}

/** Runs the CLI; returns the process exit code. Throws only on internal bugs. */
export function run(argv: readonly string[], io: CliIo): number {
  const parsed = parseArgv(argv, io.hostname);
  if (!parsed.ok) {
    io.stderr(parsed.message + '\n');
    return parsed.exitCode;
  }
  const o = parsed.options;
  if (o.version) {
    // keepalived prints its version banner on stderr.
    io.stderr(`keepalived-ts v${packageVersion()} (keepalived ${COMPAT_VERSION} compatible)\n`);
    return 0;
  }
  if (o.help) {
    io.stderr(usageText() + '\n');
    return 0;
  }
  if (o.signum !== undefined) {
    io.stdout(`${SIGNUMS[o.signum]}\n`);
    return 0;
  }
  if (o.configTest || o.dumpConfig) return configCommand(o, io);
  if (o.genhash) {
    // genhash fetches over the network, asynchronously: main.ts runs it (src/cli/genhash.ts).
    io.stderr('keepalived-ts: genhash mode is run by the executable (src/cli/main.ts), not here\n');
    return 1;
  }
  // Daemon mode is dispatched by main.ts (src/core/daemon.ts); run() only handles one-shot commands.
  io.stderr('keepalived-ts: daemon mode is not handled here (see src/cli/main.ts); use -t to check a configuration or --dump-config to print it\n');
  return 1;
}
