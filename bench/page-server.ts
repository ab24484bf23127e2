/**
 * Serves the repository (TypeScript compiled on the fly, as the browser tests see it) on a free
 * port of 127.0.0.1, for bench pages that run the core's real code in Chromium.
 */
import { startDevServer } from '@web/dev-server';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { cjsAsEsm, e2eeWorkerUrl } from '../scripts/wtr-plugins.mjs';

export interface PageServer {
  origin: string;
  stop(): Promise<void>;
}

/** `isolated`: cross-origin isolated pages, whose performance.now() has 5 µs, not 100 µs. */
export async function servePages(opts: { isolated?: boolean } = {}): Promise<PageServer> {
  const server = await startDevServer({
    config: {
      rootDir: process.cwd(),
      port: 0,
      hostname: '127.0.0.1',
      nodeResolve: { browser: true },
      middleware: opts.isolated
        ? [
            (ctx, next) => {
              ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
              ctx.set('Cross-Origin-Embedder-Policy', 'require-corp');
              return next();
            },
          ]
        : [],
      plugins: [
        e2eeWorkerUrl(),
        cjsAsEsm(),
        esbuildPlugin({ ts: true, target: 'es2022', tsconfig: './tsconfig.json' }),
      ],
    },
    readCliArgs: false,
    readFileConfig: false,
    logStartMessage: false,
  });
  const address = server.server?.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    origin: `http://127.0.0.1:${String(port)}`,
    stop: async () => {
      await server.stop();
    },
  };
}
