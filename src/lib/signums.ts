// Signal numbers by keepalived --signum name: the CLI prints them, the daemon handles them.

/** keepalived --signum names and the numbers 2.2.7 prints for them (x86-64 Linux). */
export const SIGNUMS: Readonly<Record<string, number>> = {
  STOP: 15,
  RELOAD: 1,
  DATA: 10,
  STATS: 12,
  STATS_CLEAR: 63, // SIGRTMAX - 1
  JSON: 36, // SIGRTMIN + 2
};
