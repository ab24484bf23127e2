/**
 * A latency and fault proxy in front of Synapse's client API (httpxy does the forwarding).
 *
 * Per request it draws one delay `d = latencyMs + U(0, jitterMs)` and applies `d/2` before
 * forwarding the request and `d/2` before returning the response's headers, so a client sees
 * `d` added to every round trip, and an event that wakes a long-polling `/sync` reaches the
 * client `d/2` later, as over a network with round-trip time `d`. Bodies stream through.
 *
 * `dropPercent` of requests fail, the way `dropMode` says:
 *  - `reset`: the client's connection is reset after `d/2`; Synapse never sees the request;
 *  - `bad-gateway`: 502 after `d/2`; Synapse never sees the request;
 *  - `gateway-timeout`: forwarded, Synapse's answer thrown away, 504 after `d`: the request
 *    may have taken effect although the client saw a failure.
 * `blockPath`, a regular expression tested against `METHOD /path?query`, makes every request
 * that matches fail that way too: one kind of request lost on an otherwise working path
 * (`^PUT ` leaves a browser's `OPTIONS` preflight of the same URL alone).
 * Error answers of the proxy carry Synapse's CORS headers, so a browser sees the status.
 *
 * Control (never delayed or dropped): `GET|PUT /_mc_proxy/faults`, `GET /_mc_proxy/stats`,
 * `GET /_mc_proxy/health`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createProxyServer } from 'httpxy';

export type DropMode = 'reset' | 'bad-gateway' | 'gateway-timeout';
export const DROP_MODES: readonly DropMode[] = ['reset', 'bad-gateway', 'gateway-timeout'];

export interface HomeserverFaults {
  /** Added to every round trip, in ms (half on the way in, half on the way out). */
  latencyMs: number;
  /** A uniformly random extra in [0, jitterMs] per request, split the same way. */
  jitterMs: number;
  /** Share of requests that fail, 0–100. */
  dropPercent: number;
  /** How a dropped request fails; default `reset`. */
  dropMode: DropMode;
  /** Seed for the drop and jitter draws (for reproducible tests); default: random. */
  seed?: number;
  /** Requests whose `METHOD /path?query` matches this regular expression are all dropped; '' for none. */
  blockPath?: string;
}

export const NO_FAULTS: Readonly<HomeserverFaults> = {
  latencyMs: 0,
  jitterMs: 0,
  dropPercent: 0,
  dropMode: 'reset',
};

export interface ProxyStats {
  /** Client requests seen (control requests excluded). */
  requests: number;
  /** Requests passed on to Synapse (including `gateway-timeout` drops). */
  forwarded: number;
  dropped: Record<DropMode, number>;
  /** Synapse unreachable (answered 502). */
  upstreamErrors: number;
}

export class FaultsError extends Error {
  override readonly name = 'FaultsError';
}

/** Validates a partial fault setting merged over `base`; throws FaultsError naming the field. */
export function mergeFaults(base: HomeserverFaults, patch: unknown): HomeserverFaults {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    throw new FaultsError('faults must be a JSON object');
  }
  const out: HomeserverFaults = { ...base };
  for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
    if (key === 'latencyMs' || key === 'jitterMs') {
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 600_000)
        throw new FaultsError(`${key} must be a number of ms in [0, 600000]`);
      out[key] = value;
    } else if (key === 'dropPercent') {
      if (typeof value !== 'number' || !(value >= 0 && value <= 100))
        throw new FaultsError('dropPercent must be a number in [0, 100]');
      out.dropPercent = value;
    } else if (key === 'dropMode') {
      if (!DROP_MODES.includes(value as DropMode))
        throw new FaultsError(`dropMode must be one of ${DROP_MODES.join(', ')}`);
      out.dropMode = value as DropMode;
    } else if (key === 'blockPath') {
      if (value === undefined || value === null || value === '') delete out.blockPath;
      else if (typeof value !== 'string' || !isRegExp(value))
        throw new FaultsError('blockPath must be a regular expression');
      else out.blockPath = value;
    } else if (key === 'seed') {
      if (value === undefined || value === null) delete out.seed;
      else if (typeof value !== 'number' || !Number.isInteger(value))
        throw new FaultsError('seed must be an integer');
      else out.seed = value;
    } else {
      throw new FaultsError(`unknown fault setting ${JSON.stringify(key)}`);
    }
  }
  return out;
}

function isRegExp(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}

/** No timer at all for 0 ms, so that a proxy without faults adds as little as it can. */
const delay = (ms: number): Promise<unknown> => (ms > 0 ? sleep(ms) : Promise.resolve());

/** mulberry32: a small seeded PRNG, so that a seeded run drops the same requests. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Synapse's own CORS headers (synapse/http/server.py), for the proxy's error answers.
const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, HEAD, POST, PUT, DELETE, OPTIONS',
  'Access-Control-Allow-Headers': 'X-Requested-With, Content-Type, Authorization, Date',
};
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);
const CONTROL_PREFIX = '/_mc_proxy/';

export interface HomeserverProxyOptions {
  /** Synapse's base URL, e.g. `http://127.0.0.1:8008`. */
  target: string;
  host?: string;
  /** Default 0 (ephemeral). */
  port?: number;
  faults?: Partial<HomeserverFaults>;
  /** Called after every change of the faults through the control endpoint. */
  onFaultsChanged?: (faults: HomeserverFaults) => void;
}

export interface HomeserverProxy {
  url: string;
  port: number;
  faults(): HomeserverFaults;
  setFaults(patch: Partial<HomeserverFaults>): HomeserverFaults;
  stats(): ProxyStats;
  close(): Promise<void>;
}

export async function createHomeserverProxy(
  opts: HomeserverProxyOptions,
): Promise<HomeserverProxy> {
  let faults = mergeFaults({ ...NO_FAULTS }, opts.faults ?? {});
  let dropRandom = prng(faults.seed ?? Math.floor(Math.random() * 2 ** 32));
  let jitterRandom = prng((faults.seed ?? Math.floor(Math.random() * 2 ** 32)) ^ 0x5bd1e995);
  const stats: ProxyStats = {
    requests: 0,
    forwarded: 0,
    dropped: { reset: 0, 'bad-gateway': 0, 'gateway-timeout': 0 },
    upstreamErrors: 0,
  };
  const setFaults = (patch: unknown) => {
    const next = mergeFaults(faults, patch);
    if (next.seed !== undefined && next.seed !== faults.seed) {
      dropRandom = prng(next.seed);
      jitterRandom = prng(next.seed ^ 0x5bd1e995);
    }
    faults = next;
    return faults;
  };

  const proxy = createProxyServer({ target: opts.target, selfHandleResponse: true, xfwd: true });
  // Which fate the response of a forwarded request has, and its outbound delay.
  const pending = new WeakMap<IncomingMessage, { delay: number; timeout: boolean }>();

  const jsonError = (res: ServerResponse, status: number, error: string) => {
    if (res.headersSent || res.destroyed) return;
    res
      .writeHead(status, { ...CORS, 'Content-Type': 'application/json' })
      .end(JSON.stringify({ errcode: 'M_UNKNOWN', error }));
  };

  proxy.on('proxyRes', (proxyRes, req, res) => {
    const fate = pending.get(req) ?? { delay: 0, timeout: false };
    if (fate.timeout) proxyRes.resume(); // the answer is lost on the way back
    void delay(fate.delay).then(() => {
      if (res.destroyed) {
        proxyRes.destroy();
        return;
      }
      if (fate.timeout) {
        stats.dropped['gateway-timeout']++;
        jsonError(res, 504, 'Gateway timeout (injected by the stack homeserver proxy)');
        return;
      }
      res.statusCode = proxyRes.statusCode ?? 502;
      for (const [name, value] of Object.entries(proxyRes.headers)) {
        if (value !== undefined && !HOP_BY_HOP.has(name)) res.setHeader(name, value);
      }
      proxyRes.pipe(res);
    });
  });
  proxy.on('error', (_err, _req, res) => {
    stats.upstreamErrors++;
    if (res && 'writeHead' in res) jsonError(res, 502, 'The homeserver is unreachable');
    else res?.destroy();
  });

  async function handleClient(req: IncomingMessage, res: ServerResponse) {
    stats.requests++;
    const f = faults;
    const total = f.latencyMs + (f.jitterMs > 0 ? jitterRandom() * f.jitterMs : 0);
    const blocked =
      f.blockPath !== undefined &&
      new RegExp(f.blockPath).test(`${req.method ?? ''} ${req.url ?? ''}`);
    const drop = (f.dropPercent > 0 && dropRandom() * 100 < f.dropPercent) || blocked;
    await delay(total / 2);
    if (res.destroyed) return;
    if (drop && f.dropMode === 'reset') {
      stats.dropped.reset++;
      req.socket.resetAndDestroy();
      return;
    }
    if (drop && f.dropMode === 'bad-gateway') {
      stats.dropped['bad-gateway']++;
      jsonError(res, 502, 'Bad gateway (injected by the stack homeserver proxy)');
      return;
    }
    stats.forwarded++;
    pending.set(req, { delay: total / 2, timeout: drop });
    await proxy.web(req, res);
  }

  function handleControl(req: IncomingMessage, res: ServerResponse, path: string): void {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    };
    if (path === 'health') {
      send(200, { ok: true });
    } else if (path === 'stats' && req.method === 'GET') {
      send(200, stats);
    } else if (path === 'faults' && req.method === 'GET') {
      send(200, faults);
    } else if (path === 'faults' && req.method === 'PUT') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          send(200, setFaults(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
          opts.onFaultsChanged?.(faults);
        } catch (err) {
          send(400, { error: err instanceof Error ? err.message : 'bad request' });
        }
      });
    } else {
      send(404, { error: `unknown control request ${req.method ?? ''} ${CONTROL_PREFIX}${path}` });
    }
  }

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path.startsWith(CONTROL_PREFIX)) {
      handleControl(req, res, path.slice(CONTROL_PREFIX.length));
      return;
    }
    handleClient(req, res).catch(() => {
      jsonError(res, 502, 'The homeserver proxy failed');
    });
  });
  // Long-polling /sync waits up to its own timeout; Synapse and the client decide.
  server.requestTimeout = 0;
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    port,
    faults: () => faults,
    setFaults: (patch) => setFaults(patch),
    stats: () => structuredClone(stats),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}
