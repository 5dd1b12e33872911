// What every benchmark script starts with: the repository root, its command-line words and
// options, and the refusal to run without root or a tool it needs (a clear line and an exit
// code, never a half-run).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The benchmark's command-line words. */
export const args = process.argv.slice(2);

const position = (name) => args.indexOf(name.startsWith('--') ? name : `--${name}`);

/** The word after option `name` (`--runs` or `runs`), else `dflt` (also when the word is missing). */
export function optText(name, dflt) {
  const i = position(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
}

/** optText as a number. */
export function optNumber(name, dflt) {
  const i = position(name);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : dflt;
}

/** Whether option `name` was given. */
export function hasFlag(name) {
  return position(name) >= 0;
}

/** Exits with `code` and `<bench> bench: needs root (<why>)` unless running as root. */
export function requireRoot(bench, why = 'network namespaces', code = 2) {
  if (process.getuid?.() === 0) return;
  console.error(`${bench} bench: needs root (${why})`);
  process.exit(code);
}

/**
 * Runs each [command, argv] and exits 2 with `<bench> bench: <problem>` at the first that does
 * not exit 0; `problem` words it (default `<command> not found`).
 */
export function requireCommands(bench, commands, problem = (cmd) => `${cmd} not found`) {
  for (const [cmd, a] of commands) {
    if (spawnSync(cmd, a).status !== 0) {
      console.error(`${bench} bench: ${problem(cmd, a)}`);
      process.exit(2);
    }
  }
}
