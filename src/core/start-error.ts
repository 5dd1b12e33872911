// How the daemon refuses to start: one line to print and keepalived's exit code.

/** keepalived's exit codes (lib/scheduler.h). */
export const EXIT = { OK: 0, FATAL: 1, CONFIG: 2, PERMISSION: 4, NO_CONFIG: 6 } as const;

/** A start-up failure with the one line to print and keepalived's exit code. */
export class StartError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}
