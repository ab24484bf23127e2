import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sirv from 'sirv';

export interface StaticServer {
  url: string;
  /** Every request so far: its path and the status it got. */
  requests: { path: string; status: number }[];
  /** Resolves once no request has been open for `quietMs` (what a browser's "network idle" is). */
  idle(quietMs?: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** A plain static file server on 127.0.0.1: no import maps, no module rewriting. */
export async function serveStatic(dir: string): Promise<StaticServer> {
  const handler = sirv(dir, { dev: true, etag: false });
  const requests: StaticServer['requests'] = [];
  let open = 0;
  let lastActivity = Date.now();
  const server: Server = createServer((req, res) => {
    open++;
    lastActivity = Date.now();
    res.once('close', () => {
      open--;
      lastActivity = Date.now();
      requests.push({ path: new URL(req.url ?? '/', 'http://x').pathname, status: res.statusCode });
    });
    handler(req, res, () => {
      res.statusCode = 404;
      res.end('not found');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    async idle(quietMs = 500, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (open > 0 || Date.now() - lastActivity < quietMs) {
        if (Date.now() > deadline) throw new Error(`still loading after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
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
