/**
 * Builds the widget host page (esbuild, into .artifacts/widget-host/) and serves it with the
 * published Element Call build on one loopback server, for tests only:
 *
 * - `/` the host page, its bundle and the crypto wasm;
 * - `/element-call/` `@element-hq/element-call-embedded`'s `dist/` as published (AGPL: a test
 *   devDependency, never bundled or served by the demo);
 * - `/element-call-matrix2/` the same files with `matrix_rtc_mode: "matrix_2_0"` in config.json.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { build } from 'esbuild';
import sirv from 'sirv';

const require = createRequire(import.meta.url);
const HERE = resolve('test/widget-host');
export const OUT = resolve('.artifacts/widget-host');
/** The Element Call version the tests pin (package.json has it exactly). */
export const ELEMENT_CALL_VERSION = (
  JSON.parse(
    readFileSync(require.resolve('@element-hq/element-call-embedded/package.json'), 'utf8'),
  ) as { version: string }
).version;
const EC_DIST = join(
  dirname(require.resolve('@element-hq/element-call-embedded/package.json')),
  'dist',
);

/** Bundles host-page.ts for the browser; the Rust crypto wasm goes beside it. */
export async function buildHostPage(): Promise<void> {
  mkdirSync(join(OUT, 'pkg'), { recursive: true });
  await build({
    entryPoints: [join(HERE, 'host-page.ts')],
    outfile: join(OUT, 'host-page.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    sourcemap: true,
    logLevel: 'warning',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  copyFileSync(join(HERE, 'host-page.html'), join(OUT, 'index.html'));
  // matrix-sdk-crypto-wasm loads `./pkg/…wasm` relative to the module that imports it.
  const wasmPkg = dirname(
    createRequire(require.resolve('matrix-js-sdk')).resolve('@matrix-org/matrix-sdk-crypto-wasm'),
  );
  copyFileSync(
    join(wasmPkg, 'pkg', 'matrix_sdk_crypto_wasm_bg.wasm'),
    join(OUT, 'pkg', 'matrix_sdk_crypto_wasm_bg.wasm'),
  );
}

export interface WidgetHostServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** The host page. */
  hostUrl: string;
  /** Element Call's index.html in its default (compatibility) mode. */
  elementCallUrl: string;
  /** Element Call's index.html with `matrix_rtc_mode: "matrix_2_0"`. */
  elementCallMatrix2Url: string;
  /** <matrix-call>'s widget page from the CDN build (`cdn/widget.html`). */
  matrixCallWidgetUrl: string;
  close(): Promise<void>;
}

function packageConfig(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(EC_DIST, 'config.json'), 'utf8')) as Record<string, unknown>;
}

export async function serveWidgetHost(): Promise<WidgetHostServer> {
  const stale =
    !existsSync(join(OUT, 'host-page.js')) ||
    [
      'host-page.ts',
      'widget-host.ts',
      'widget-driver.ts',
      'element-call-url.ts',
      'host-page.html',
    ].some((f) => statSync(join(HERE, f)).mtimeMs > statSync(join(OUT, 'host-page.js')).mtimeMs);
  if (stale) await buildHostPage();
  const hostFiles = sirv(OUT, { dev: true, etag: false });
  const ecFiles = sirv(EC_DIST, { dev: true, etag: false });
  const ourFiles = sirv(resolve('cdn'), { dev: true, etag: false });
  const configs: Record<string, Record<string, unknown>> = {
    '/element-call/': packageConfig(),
    '/element-call-matrix2/': { ...packageConfig(), matrix_rtc_mode: 'matrix_2_0' },
  };
  const notFound = (res: ServerResponse) => () => {
    res.statusCode = 404;
    res.end('not found');
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '/';
    if (path.startsWith('/matrix-call/')) {
      req.url = path.slice('/matrix-call'.length);
      ourFiles(req, res, notFound(res));
      return;
    }
    for (const [mount, config] of Object.entries(configs)) {
      if (!path.startsWith(mount)) continue;
      const rest = path.slice(mount.length - 1);
      if (rest.split('?')[0] === '/config.json') {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(config));
        return;
      }
      req.url = rest;
      ecFiles(req, res, notFound(res));
      return;
    }
    hostFiles(req, res, notFound(res));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    hostUrl: `${url}/`,
    elementCallUrl: `${url}/element-call/index.html`,
    elementCallMatrix2Url: `${url}/element-call-matrix2/index.html`,
    matrixCallWidgetUrl: `${url}/matrix-call/widget.html`,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => {
          ok();
        });
      }),
  };
}
