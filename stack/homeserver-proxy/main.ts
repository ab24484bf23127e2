/**
 * Standalone entry point of the homeserver proxy:
 * `MC_PROXY_TARGET=http://127.0.0.1:8008 MC_PROXY_BIND=127.0.0.1:8009 [MC_PROXY_FAULTS='{…}']
 *  node --import tsx stack/homeserver-proxy/main.ts`. Logs one JSON line when listening and one
 * per fault change; never a request URL (query strings can carry tokens).
 */
import { createHomeserverProxy, FaultsError, type HomeserverFaults } from './proxy.js';

function fail(message: string): never {
  process.stderr.write(`homeserver-proxy: ${message}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const target = process.env['MC_PROXY_TARGET'] ?? fail('MC_PROXY_TARGET must be set');
  const bind = process.env['MC_PROXY_BIND'] ?? fail('MC_PROXY_BIND (host:port) must be set');
  const colon = bind.lastIndexOf(':');
  const port = Number(bind.slice(colon + 1));
  if (colon < 1 || !Number.isInteger(port)) fail(`MC_PROXY_BIND ${bind} is not host:port`);
  let faults: Partial<HomeserverFaults> = {};
  try {
    faults = JSON.parse(process.env['MC_PROXY_FAULTS'] ?? '{}') as Partial<HomeserverFaults>;
  } catch {
    fail('MC_PROXY_FAULTS is not JSON');
  }
  let proxy;
  try {
    proxy = await createHomeserverProxy({
      target,
      host: bind.slice(0, colon),
      port,
      faults,
      onFaultsChanged: (now) => {
        process.stdout.write(
          `${JSON.stringify({ ts: new Date().toISOString(), msg: 'faults', faults: now })}\n`,
        );
      },
    });
  } catch (err) {
    if (err instanceof FaultsError) fail(err.message);
    throw err;
  }
  process.stdout.write(
    `${JSON.stringify({ ts: new Date().toISOString(), msg: 'listening', url: proxy.url, target, faults: proxy.faults() })}\n`,
  );
  const stop = () => {
    const force = setTimeout(() => process.exit(0), 2000);
    force.unref();
    void proxy.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(
    `homeserver-proxy: failed to start: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
});
