/**
 * The demo page and the CDN build on one local HTTP server: `demo/` at `/`, `cdn/` at `/cdn/`.
 * Used by `npm start`, the end-to-end suite, the benchmarks and the screenshot script.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import sirv from 'sirv';

export interface DemoServer {
  /** `http://<host>:<port>` */
  url: string;
  port: number;
  /** Serve the page from now on (before this, requests get 503 "starting"). */
  ready(): void;
  close(): Promise<void>;
}

export interface DemoServerOptions {
  /** Default 0: any free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Repository root; default the working directory. */
  root?: string;
  /** Start serving right away (default true); `npm start` reserves the port first. */
  ready?: boolean;
}

/** Starts the server; rejects with the listen error (e.g. `EADDRINUSE`) if the port is taken. */
export async function serveDemo(opts: DemoServerOptions = {}): Promise<DemoServer> {
  const root = opts.root ?? process.cwd();
  const host = opts.host ?? '127.0.0.1';
  const demo = sirv(join(root, 'demo'), { dev: true, etag: false });
  const cdn = sirv(join(root, 'cdn'), { dev: true, etag: false });
  let serving = opts.ready ?? true;
  const notFound = (res: ServerResponse) => () => {
    res.statusCode = 404;
    res.end('not found');
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (!serving) {
      res.statusCode = 503;
      res.setHeader('retry-after', '5');
      res.end('The demo is still starting (building and starting the local stack); reload soon.');
      return;
    }
    if (req.url?.startsWith('/cdn/')) {
      req.url = req.url.slice(4);
      cdn(req, res, notFound(res));
    } else demo(req, res, notFound(res));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    port,
    ready: () => {
      serving = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** Whether `cdn/` is missing or older than anything it is built from. */
export function cdnIsStale(root = process.cwd()): boolean {
  const entry = join(root, 'cdn', 'matrix-call.js');
  if (!existsSync(entry)) return true;
  const built = statSync(entry).mtimeMs;
  const inputs = ['src', 'package.json', 'package-lock.json', 'rollup.config.mjs'].map((p) =>
    join(root, p),
  );
  return inputs.some((p) => existsSync(p) && newestMtime(p) > built);
}

/** Builds only the CDN bundle (`MC_BUILD=cdn rollup -c`), about half the time of a full build. */
export function buildCdn(root = process.cwd(), quiet = false): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [join(root, 'node_modules', 'rollup', 'dist', 'bin', 'rollup'), '-c', 'rollup.config.mjs'],
      {
        cwd: root,
        env: { ...process.env, MC_BUILD: 'cdn' },
        stdio: quiet ? ['ignore', 'ignore', 'pipe'] : 'inherit',
      },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`building cdn/ failed (exit ${code})${stderr ? `:\n${stderr}` : ''}`));
    });
  });
}
