// What every subsystem is built from: the model read once through the config pipeline, and the
// parts the daemon shares. A subsystem keeps what it needs of it; it owns none of the shared
// parts (the daemon closes them after the last subsystem stopped).
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/log.js';
import type { ConfigTree } from '../config/ast.js';
import type { KeepalivedConfig } from '../config/model.js';
import type { ProcessRunner } from '../notify/process-runner.js';
import type { DaemonOptions } from './daemon-options.js';
import type { HostIo } from './host-io.js';
import type { SharedFifos } from './shared-fifos.js';

export interface SubsystemContext {
  readonly model: KeepalivedConfig;
  /** The statement tree, for checks that point at file:line:col. */
  readonly tree: ConfigTree;
  /** No vrrp_instance configured: the daemon stays up, idle. */
  readonly empty: boolean;
  /** Kernel and packet io (and, as they join, the other external systems' interfaces). */
  readonly host: HostIo;
  readonly clock: Clock;
  readonly log: Logger;
  /** Runs scripts (notify, vrrp_script, checkers' MISC_CHECK) in child processes. */
  readonly runner: ProcessRunner;
  /** notify_fifo, vrrp_notify_fifo, lvs_notify_fifo: one writer per path, opened by the daemon before start. */
  readonly fifos: Pick<SharedFifos, 'vrrp' | 'lvs'>;
  /** The command-line flags (-V, -a, ...). */
  readonly options: DaemonOptions;
}
