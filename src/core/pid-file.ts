// keepalived-style pid files: refuse to start when the file names a live process, remove the
// file at exit only if it still holds our pid. Mode 0644 whatever the umask (-u), as keepalived
// 2.2.7's (observed with -u 027 and -u 0).
import { chmodSync, readFileSync, unlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export class PidFileError extends Error {
  constructor(
    message: string,
    readonly code: 'RUNNING' | 'WRITE',
  ) {
    super(message);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function acquirePidFile(path: string): () => void {
  try {
    const old = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    if (Number.isInteger(old) && old > 0 && old !== process.pid && alive(old)) {
      throw new PidFileError(`daemon is already running (pid ${old} in ${path})`, 'RUNNING');
    }
  } catch (e) {
    if (e instanceof PidFileError) throw e;
  }
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${process.pid}\n`);
    chmodSync(path, 0o644);
  } catch (e) {
    throw new PidFileError(`cannot write pid file ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, 'WRITE');
  }
  return () => {
    try {
      if (readFileSync(path, 'utf8').trim() === String(process.pid)) unlinkSync(path);
    } catch {
      /* already gone */
    }
  };
}
