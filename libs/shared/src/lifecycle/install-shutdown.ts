import { runShutdown, type ShutdownPlan } from './shutdown.js';

export interface InstallShutdownOptions extends ShutdownPlan {
  /** Default SIGTERM (Kubernetes) and SIGINT (Ctrl-C). */
  signals?: readonly NodeJS.Signals[];
  /** Default `process.exit`; tests pass their own. */
  exit?: (code: number) => void;
}

export interface InstalledShutdown {
  /** Runs the shutdown as a signal would (once), then exits: 0 if every step succeeded, 1 otherwise. */
  trigger(reason: string): Promise<void>;
  /** Removes the signal handlers. */
  uninstall(): void;
}

/**
 * Graceful shutdown on SIGTERM/SIGINT for a process's `main`: the first signal runs
 * `runShutdown` and exits with its outcome; a second signal exits at once with 1, for
 * the operator who does not want to wait for the grace period.
 */
export function installShutdown(opts: InstallShutdownOptions): InstalledShutdown {
  const { logger } = opts;
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  const signals = opts.signals ?? ['SIGTERM', 'SIGINT'];
  let running: Promise<void> | undefined;

  const trigger = (reason: string): Promise<void> => {
    if (running !== undefined) {
      logger.warn({ reason }, 'shutdown: second signal, exiting now');
      exit(1);
      return running;
    }
    logger.info({ reason, graceMs: opts.graceMs }, 'shutdown: started');
    running = runShutdown(opts).then(
      ({ failed }) => exit(failed.length === 0 ? 0 : 1),
      (err: unknown) => {
        logger.error({ err }, 'shutdown: crashed');
        exit(1);
      },
    );
    return running;
  };

  const onSignal = (signal: NodeJS.Signals) => void trigger(signal);
  for (const signal of signals) process.on(signal, onSignal);
  return {
    trigger,
    uninstall() {
      for (const signal of signals) process.off(signal, onSignal);
    },
  };
}
