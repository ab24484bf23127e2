/**
 * Standalone entry point: `node --import tsx stack/auth-service/main.ts`, configured
 * from the environment like lk-jwt-service (see configFromEnv). Logs one JSON line
 * per request to stdout; never logs a token.
 */
import { ConfigError, configFromEnv } from './config.js';
import { createAuthService } from './server.js';

async function main(): Promise<void> {
  let config;
  try {
    config = configFromEnv();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`auth-service: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const service = await createAuthService(config);
  const stop = (signal: string) => {
    process.stdout.write(
      `${JSON.stringify({ ts: new Date().toISOString(), msg: 'stopping', signal })}\n`,
    );
    const force = setTimeout(() => process.exit(0), 3000);
    force.unref();
    void service.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', () => {
    stop('SIGTERM');
  });
  process.once('SIGINT', () => {
    stop('SIGINT');
  });
}

main().catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`auth-service: failed to start: ${message}\n`);
  process.exit(1);
});
