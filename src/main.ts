// Entry point: start on the configured port and stop gracefully on SIGTERM / SIGINT.
import { ConfigError, loadConfig } from './config.ts';
import { startServer } from './server.ts';
import { bootstrapNotice } from './bootstrap-notice.ts';

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

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    running.logger.info({ signal }, 'shutting down: finishing in-flight requests');
    running.stop().then(
      () => process.exit(0),
      (error) => {
        running.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
