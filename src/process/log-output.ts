// The server's log output: pino's asynchronous stdout writer, made safe for a stdout that nobody
// reads any more. A write error never throws or crashes the process, a stalled reader holds at
// most MAX_QUEUED_BYTES of lines in memory, and waiting for the output to drain is the caller's
// to bound. What is still queued at exit is dropped (abandon()): pino's exit-time flushSync
// retries a full pipe (EAGAIN) and a closed one (EPIPE) forever, which hung shutdowns for good.
// On a terminal the lines can be made human-readable (pino-pretty) on their way to that writer.
import { pino, type DestinationStream } from 'pino';
import { isColorSupported, prettyFactory } from 'pino-pretty';

/** Lines beyond this while stdout does not keep up are dropped (~50k request lines). */
export const MAX_QUEUED_BYTES = 16 * 1024 * 1024;

export interface LogOutput {
  /** Resolves once every line written so far has left the process; rejects when stdout failed. Never times out by itself. */
  drain(): Promise<void>;
  /** Drops whatever is still queued, so that exiting cannot block on it: call right before process.exit. */
  abandon(): void;
}

export type LogFormat = 'auto' | 'json' | 'pretty';

/** `auto`: human-readable on a terminal, JSON lines when stdout is a pipe or a file (collectors parse those). */
export function prettyLogs(format: LogFormat, stdoutIsTTY: boolean): boolean {
  return format === 'pretty' || (format === 'auto' && stdoutIsTTY);
}

/**
 * pino's JSON line → one human-readable line (errors with their stack below it). pino-pretty
 * runs as a function in this thread rather than as its transport: a transport's worker thread
 * writes stdout on its own, outside the bounded queue and the abandon() below.
 */
function prettyLine(): (line: string) => string {
  const format = prettyFactory({ colorize: isColorSupported, singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
  return (line) => {
    try {
      return format(line);
    } catch {
      // A line it cannot shape still goes out, as it came.
      return line;
    }
  };
}

export function stdoutLog(options: { pretty?: boolean } = {}): { stream: DestinationStream; output: LogOutput } {
  const shape = options.pretty ? prettyLine() : null;
  // Asynchronous writes: under load, lines queue while a write is in flight and go out together
  // (a synchronous write per request cost ~15% of a small request's throughput).
  const sonic = pino.destination({ dest: 1, sync: false, maxLength: MAX_QUEUED_BYTES });
  let pending = false;
  let failure: Error | null = null;
  let abandoned = false;
  // sonic-boom emits 'drain' each time its queue empties after a write.
  sonic.on('drain', () => (pending = false));
  sonic.on('write', () => (failure = null));
  // pino's own listener turns an EPIPE into no-op writes and re-emits anything else, which would
  // crash the process without a listener of ours.
  sonic.on('error', (error: Error) => (failure = error));

  const stream: DestinationStream = {
    write(line: string) {
      if (abandoned) return;
      pending = true;
      sonic.write(shape ? shape(line) : line);
    },
  };
  const output: LogOutput = {
    drain() {
      if (!pending) return Promise.resolve();
      if (failure) return Promise.reject(failure);
      return new Promise<void>((resolve, reject) => {
        const onDrain = () => {
          sonic.off('error', onError);
          resolve();
        };
        const onError = (error: Error) => {
          sonic.off('drain', onDrain);
          reject(error);
        };
        sonic.once('drain', onDrain);
        sonic.once('error', onError);
      });
    },
    abandon() {
      abandoned = true;
      // destroy() drops the queue and marks the stream destroyed, so pino's exit hook skips its
      // flushSync (after an EPIPE pino has already made both no-ops).
      sonic.destroy();
    },
  };
  return { stream, output };
}

/** For a logger the caller brings (tests): its flush, and nothing to drop. */
export function loggerOutput(logger: pino.Logger): LogOutput {
  return {
    drain: () => new Promise<void>((resolve, reject) => logger.flush((error) => (error ? reject(error) : resolve()))),
    abandon: () => undefined,
  };
}
