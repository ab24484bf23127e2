/** Shared helpers for the stack tests (node:test). */
import { createServer, type Server } from 'node:net';
import { readStackInfo, startStack, stopStack, type StackInfo } from '../../stack/index.js';

export interface AcquiredStack {
  info: StackInfo;
  /** Stops the stack only if this process started it. */
  release(): Promise<void>;
}

/**
 * Uses the running stack (npm run stack:up) or starts one, which `release()` then
 * stops again. Refuses a running stack in no-transport mode.
 */
export async function acquireStack(): Promise<AcquiredStack> {
  const running = await readStackInfo();
  if (running) {
    if (running.noTransport) {
      throw new Error('The running stack advertises no transport; these tests need a normal one.');
    }
    return { info: running, release: () => Promise.resolve() };
  }
  const info = await startStack({
    log: (line) => {
      process.stderr.write(`[stack] ${line}\n`);
    },
  });
  return { info, release: () => stopStack() };
}

export interface JsonResponse {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed body; `{}` when the body is not a JSON object. */
  json: Record<string, unknown>;
}

/** fetch with a timeout, returning status, headers and the parsed body. */
export async function request(
  url: string,
  init: RequestInit & { json?: unknown } = {},
  timeoutMs = 10_000,
): Promise<JsonResponse> {
  const { json: body, ...rest } = init;
  const res = await fetch(url, {
    ...rest,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null) json = parsed as Record<string, unknown>;
  } catch {
    // not JSON
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** The payload of a JWT (no signature check). */
export function jwtPayload(jwt: string): Record<string, unknown> {
  const part = jwt.split('.')[1];
  if (part === undefined) throw new Error('not a JWT');
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** A TCP port that was free a moment ago. */
const handedOut = new Set<number>();

/** A port nothing listens on; never the same one twice in a process (the OS may reuse a just-closed one). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await probePort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

async function probePort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
