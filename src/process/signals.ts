// SIGTERM and SIGINT for the server process: the first starts the graceful shutdown under a hard
// deadline, a second one (an impatient operator, a supervisor escalating) exits at once.
// Exit codes: 0 shut down cleanly; 1 a step did not finish or the deadline passed (logged with
// the reason); 128 + the signal's number (SIGINT 130, SIGTERM 143) on a second signal, as a
// shell reports a death by that signal.
import type { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { ShutdownIncomplete } from './shutdown-steps.ts';

export const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;
type ShutdownSignal = keyof typeof SIGNAL_EXIT_CODES;

export interface SignalOptions {
  logger: Logger;
  stop(): Promise<void>;
  /** After this many ms from the first signal the process exits 1, whatever stop() is doing. */
  deadlineMs: number;
  /** Ends the process; called once. */
  exit(code: number): void;
  /** Where signals arrive (tests pass an EventEmitter). */
  signals?: EventEmitter;
}

/** Installs the handlers; returns a function that removes them. */
export function exitOnSignals({ logger, stop, deadlineMs, exit, signals = process }: SignalOptions): () => void {
  let signalled = false;
  let exited = false;
  const exitOnce = (code: number) => {
    if (exited) return;
    exited = true;
    exit(code);
  };
  const onSignal = (signal: ShutdownSignal) => {
    if (signalled) {
      logger.warn({ signal }, 'second signal: exiting now, without finishing the shutdown');
      exitOnce(SIGNAL_EXIT_CODES[signal]);
      return;
    }
    signalled = true;
    logger.info({ signal, deadlineMs }, 'shutting down: finishing in-flight requests');
    // Unreferenced: it must never be what keeps a process alive that has nothing left to do.
    setTimeout(() => {
      logger.error({ deadlineMs }, 'shutdown did not finish within its deadline: exiting');
      exitOnce(1);
    }, deadlineMs).unref();
    stop().then(
      () => {
        logger.info('shutdown complete');
        exitOnce(0);
      },
      (error: unknown) => {
        if (error instanceof ShutdownIncomplete) logger.error({ steps: error.steps }, 'shutdown incomplete');
        else logger.error({ err: error }, 'shutdown failed');
        exitOnce(1);
      },
    );
  };
  const handlers = Object.keys(SIGNAL_EXIT_CODES).map((signal) => {
    const handler = () => onSignal(signal as ShutdownSignal);
    // `on`, not `once`: a second signal must reach us instead of the default disposition.
    signals.on(signal, handler);
    return () => signals.off(signal, handler);
  });
  return () => handlers.forEach((remove) => remove());
}
