// Entry point: start on the configured port and stop gracefully on SIGTERM / SIGINT (process/signals.ts).
import { ConfigError, loadConfig } from './config.ts';
import { startServer } from './server.ts';
import { bootstrapNotice } from './bootstrap-notice.ts';
import { exitOnSignals } from './process/signals.ts';
import { withinMs } from './lib/time-bound.ts';

/** How long the last log lines may take to leave before the exit. */
const EXIT_FLUSH_MS = 200;

let config;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}

const running = await startServer(config);
running.logger.info({ url: running.url }, 'jetstack-api listening');
if (running.bootstrap) {
  // Printed once, on the first start only: the password and key are not stored in clear.
  console.log(bootstrapNotice(running.bootstrap, running.url));
}

exitOnSignals({
  logger: running.logger,
  stop: running.stop,
  deadlineMs: running.shutdownDeadlineMs,
  exit(code) {
    // The lines just logged (why we exit) get a moment to leave; then nothing still queued for
    // a stdout nobody reads may hold the exit.
    void withinMs(EXIT_FLUSH_MS, running.logOutput.drain().catch(() => undefined)).then(() => {
      running.logOutput.abandon();
      process.exit(code);
    });
  },
});
