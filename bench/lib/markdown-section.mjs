// Replaces (or appends) one marked section of a markdown file, so re-running a benchmark
// rewrites its own figures and leaves everyone else's sections alone.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * @param {string} file
 * @param {string} id  marker id, e.g. `config-parse`
 * @param {string} body markdown without the markers
 */
export function writeSection(file, id, body) {
  const start = `<!-- bench:${id}:start -->`;
  const end = `<!-- bench:${id}:end -->`;
  const block = `${start}\n${body.trim()}\n${end}`;
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  const next = i >= 0 && j > i ? text.slice(0, i) + block + text.slice(j + end.length) : text.replace(/\n*$/, '\n\n') + block + '\n';
  writeFileSync(file, next);
}
