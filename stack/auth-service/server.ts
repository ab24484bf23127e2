/**
 * MatrixRTC auth service speaking lk-jwt-service's HTTP API:
 *  - `POST /sfu/get`   (legacy) `{room, openid_token, device_id}`            -> `{url, jwt}`
 *  - `POST /get_token` `{room_id, slot_id, openid_token, member:{…}}`         -> `{url, jwt}`
 *  - `GET|HEAD /healthz` -> 200
 * Every answer, errors and preflights (`OPTIONS` on any path → 200) included, carries
 * lk-jwt-service's CORS headers.
 *
 * Behaviour follows element-hq/lk-jwt-service (handler.go, requests.go, helper.go at
 * a375b13), re-implemented from its observable behaviour. Differences are listed in
 * stack/README.md.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { AccessToken, RoomServiceClient } from 'livekit-server-sdk';
import type { AuthServiceConfig } from './config.js';
import { DecodeError, decodeStruct, type StructSchema } from './decode.js';
import {
  legacyLiveKitIdentity,
  liveKitIdentity,
  liveKitRoomAlias,
  DEFAULT_SLOT_ID,
} from './hashing.js';
import { lookupOpenIdUser, OpenIdError } from './openid.js';

export interface AuthService {
  /** Base URL of the service, e.g. `http://127.0.0.1:6080`. */
  url: string;
  port: number;
  close(): Promise<void>;
}

interface OpenIdToken {
  access_token: string;
  token_type: string;
  matrix_server_name: string;
  expires_in: number;
}
interface DelayFields {
  delay_id: string;
  delay_timeout: number;
  delay_cs_api_url: string;
}
interface LegacyRequest extends DelayFields {
  room: string;
  openid_token: OpenIdToken;
  device_id: string;
}
interface TokenRequest extends DelayFields {
  room_id: string;
  slot_id: string;
  openid_token: OpenIdToken;
  member: { id: string; claimed_user_id: string; claimed_device_id: string };
}

const OPENID_SCHEMA: StructSchema = {
  access_token: 'string',
  token_type: 'string',
  matrix_server_name: 'string',
  expires_in: 'int',
};
const DELAY_SCHEMA: StructSchema = {
  delay_id: 'string',
  delay_timeout: 'int',
  delay_cs_api_url: 'string',
};
const LEGACY_SCHEMA: StructSchema = {
  room: 'string',
  openid_token: OPENID_SCHEMA,
  device_id: 'string',
  ...DELAY_SCHEMA,
};
const TOKEN_SCHEMA: StructSchema = {
  room_id: 'string',
  slot_id: 'string',
  openid_token: OPENID_SCHEMA,
  member: { id: 'string', claimed_user_id: 'string', claimed_device_id: 'string' },
  ...DELAY_SCHEMA,
};

/** A Matrix-style error answer. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly errcode: string,
    message: string,
    /** Extra detail for the log line only (never contains a token). */
    readonly reason?: string,
  ) {
    super(message);
  }
}

const TOKEN_TTL_SECONDS = 60 * 60;
const ROOM_EMPTY_TIMEOUT_SECONDS = 5 * 60;
const ROOM_DEPARTURE_TIMEOUT_SECONDS = 20;
/** Bodies are drained (and discarded) up to this size before answering 413; beyond, the socket is dropped. */
const DRAIN_LIMIT_BYTES = 16 * 1024 * 1024;

/** lk-jwt-service's CORS headers, here on every response so browsers see real statuses. */
const CORS_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'POST',
  'Access-Control-Allow-Headers':
    'Accept, Content-Type, Content-Length, Accept-Encoding, X-CSRF-Token',
};

const unauthorised = (reason: string) =>
  new HttpError(401, 'M_UNAUTHORIZED', 'The request could not be authorised.', reason);

function validateOpenId(token: OpenIdToken): void {
  if (!token.access_token || !token.matrix_server_name) {
    throw new HttpError(
      400,
      'M_BAD_JSON',
      'openid_token needs access_token and matrix_server_name',
    );
  }
}

function validateDelay(req: DelayFields): void {
  const all = req.delay_id !== '' && req.delay_timeout > 0;
  const any = req.delay_id !== '' || req.delay_timeout > 0;
  if (any && !all) {
    throw new HttpError(400, 'M_BAD_JSON', 'delay_id and delay_timeout must be given together');
  }
}

function validateLegacy(req: LegacyRequest): void {
  if (!req.room) throw new HttpError(400, 'M_BAD_JSON', 'room is missing');
  validateOpenId(req.openid_token);
  validateDelay(req);
}

function validateToken(req: TokenRequest): void {
  if (!req.room_id || !req.slot_id) {
    throw new HttpError(400, 'M_BAD_JSON', 'room_id or slot_id is missing');
  }
  const m = req.member;
  if (!m.id || !m.claimed_user_id || !m.claimed_device_id) {
    throw new HttpError(
      400,
      'M_BAD_JSON',
      'member needs id, claimed_user_id and claimed_device_id',
    );
  }
  validateOpenId(req.openid_token);
  validateDelay(req);
}

interface RequestLog {
  method: string;
  path: string;
  status?: number;
  user?: string;
  access?: 'full' | 'restricted';
  lk_room?: string;
  lk_identity?: string;
  errcode?: string;
  reason?: string;
}

export async function createAuthService(config: AuthServiceConfig): Promise<AuthService> {
  const overrides =
    config.homeserverUrlOverrides instanceof Map
      ? (config.homeserverUrlOverrides as ReadonlyMap<string, string>)
      : new Map(Object.entries(config.homeserverUrlOverrides ?? {}));
  const maxBody = config.maxBodyBytes ?? 64 * 1024;
  const openIdTimeoutMs = config.openIdTimeoutMs ?? 10_000;
  const livekitTimeoutMs = config.livekitTimeoutMs ?? 10_000;
  const log = config.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const apiUrl = config.livekitApiUrl ?? config.livekitUrl.replace(/^ws/, 'http');
  const roomService = new RoomServiceClient(apiUrl, config.livekitKey, config.livekitSecret, {
    requestTimeout: Math.max(1, Math.ceil(livekitTimeoutMs / 1000)),
    failover: false,
  });
  const fullAccess = config.fullAccessHomeservers;
  const isFullAccess = (serverName: string) =>
    (fullAccess.length === 1 && fullAccess[0] === '*') || fullAccess.includes(serverName);

  async function verify(
    entry: RequestLog,
    token: OpenIdToken,
    claimedUserId: string | undefined,
  ): Promise<string> {
    let sub: string;
    try {
      sub = await lookupOpenIdUser(
        token.access_token,
        token.matrix_server_name,
        overrides,
        openIdTimeoutMs,
      );
    } catch (err) {
      throw unauthorised(err instanceof OpenIdError ? err.message : 'userinfo lookup failed');
    }
    entry.user = sub;
    if (claimedUserId !== undefined && claimedUserId !== sub) {
      throw unauthorised(
        `claimed_user_id ${JSON.stringify(claimedUserId)} is not ${JSON.stringify(sub)}`,
      );
    }
    return sub;
  }

  async function issue(
    entry: RequestLog,
    token: OpenIdToken,
    delay: DelayFields,
    claimedUserId: string | undefined,
    names: (sub: string) => { room: string; identity: string },
  ): Promise<{ url: string; jwt: string }> {
    const sub = await verify(entry, token, claimedUserId);
    const full = isFullAccess(token.matrix_server_name);
    entry.access = full ? 'full' : 'restricted';
    if (delay.delay_id !== '') {
      // lk-jwt-service answers this for restricted users; for full-access users it would
      // take over the delayed leave event, which this service does not implement. Element
      // Call retries without the delay_* fields on 400 M_BAD_JSON.
      throw new HttpError(
        400,
        'M_BAD_JSON',
        full
          ? 'Delegation of delayed events is not supported by this service'
          : 'Delegation of delayed events is only supported for full access users',
      );
    }
    const { room, identity } = names(sub);
    entry.lk_room = room;
    entry.lk_identity = identity;

    let jwt: string;
    try {
      const at = new AccessToken(config.livekitKey, config.livekitSecret, {
        identity,
        ttl: TOKEN_TTL_SECONDS,
      });
      at.addGrant({
        roomJoin: true,
        room,
        canPublish: true,
        canSubscribe: true,
        canUpdateOwnMetadata: true,
      });
      jwt = await at.toJwt();
    } catch {
      throw new HttpError(500, 'M_UNKNOWN', 'Internal Server Error', 'signing the token failed');
    }

    if (full) {
      try {
        await roomService.createRoom({
          name: room,
          emptyTimeout: ROOM_EMPTY_TIMEOUT_SECONDS,
          departureTimeout: ROOM_DEPARTURE_TIMEOUT_SECONDS,
          maxParticipants: 0,
        });
      } catch (err) {
        const detail = err instanceof Error ? err.message.slice(0, 200) : 'unknown error';
        throw new HttpError(
          500,
          'M_UNKNOWN',
          'Unable to create room on SFU',
          `createRoom: ${detail}`,
        );
      }
    }
    return { url: config.livekitUrl, jwt };
  }

  async function handlePost(req: IncomingMessage, entry: RequestLog): Promise<object> {
    const body = await readBody(req, maxBody);
    if (entry.path === '/sfu/get') {
      const r = decodeOrThrow(body, LEGACY_SCHEMA) as LegacyRequest;
      validateLegacy(r);
      return issue(entry, r.openid_token, r, undefined, (sub) => ({
        room: liveKitRoomAlias(r.room, DEFAULT_SLOT_ID),
        identity: legacyLiveKitIdentity(sub, r.device_id),
      }));
    }
    const r = decodeOrThrow(body, TOKEN_SCHEMA) as TokenRequest;
    validateToken(r);
    return issue(entry, r.openid_token, r, r.member.claimed_user_id, (sub) => ({
      room: liveKitRoomAlias(r.room_id, r.slot_id),
      identity: liveKitIdentity(sub, r.member.claimed_device_id, r.member.id),
    }));
  }

  async function handle(req: IncomingMessage, res: ServerResponse, entry: RequestLog) {
    const method = req.method ?? '';
    // Before anything else, so that 404/405/413/500 and preflights all carry them.
    for (const [k, v] of Object.entries(CORS_HEADERS)) res.setHeader(k, v);
    if (method === 'OPTIONS') {
      // A preflight on any path succeeds: the browser then sends the real request and
      // sees its real status (e.g. 404) instead of a CORS error.
      res.writeHead(200).end();
      return;
    }
    if (entry.path === '/healthz') {
      if (method === 'GET' || method === 'HEAD') {
        res.writeHead(200).end();
      } else {
        sendError(res, entry, new HttpError(405, 'M_UNRECOGNIZED', 'Method not allowed'), {
          Allow: 'GET, HEAD, OPTIONS',
        });
      }
      return;
    }
    if (entry.path !== '/sfu/get' && entry.path !== '/get_token') {
      sendError(res, entry, new HttpError(404, 'M_UNRECOGNIZED', 'Unrecognized request'));
      return;
    }
    res.setHeader('Content-Type', 'application/json');
    if (method !== 'POST') {
      sendError(res, entry, new HttpError(405, 'M_UNRECOGNIZED', 'Method not allowed'), {
        Allow: 'POST, OPTIONS',
      });
      return;
    }
    try {
      const result = await handlePost(req, entry);
      res.writeHead(200).end(`${JSON.stringify(result)}\n`);
    } catch (err) {
      if (err instanceof HttpError) {
        sendError(res, entry, err, err.status === 413 ? { Connection: 'close' } : {});
      } else {
        const detail = err instanceof Error ? err.name : 'unknown';
        sendError(res, entry, new HttpError(500, 'M_UNKNOWN', 'Internal Server Error', detail));
      }
    }
  }

  const server = createServer((req, res) => {
    const started = performance.now();
    const entry: RequestLog = {
      method: req.method ?? '',
      // Path only: a query string is never logged.
      path: new URL(req.url ?? '/', 'http://x').pathname,
    };
    res.on('close', () => {
      log(
        JSON.stringify({
          ts: new Date().toISOString(),
          msg: 'request',
          ...entry,
          status: res.statusCode,
          ms: Math.round((performance.now() - started) * 10) / 10,
        }),
      );
    });
    handle(req, res, entry).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port ?? 0, config.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  log(
    JSON.stringify({
      ts: new Date().toISOString(),
      msg: 'listening',
      url,
      livekit_url: config.livekitUrl,
      full_access_homeservers: fullAccess,
      homeserver_url_overrides: Object.fromEntries(overrides),
    }),
  );

  return {
    url,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}

function decodeOrThrow(body: Buffer, schema: StructSchema): unknown {
  try {
    return decodeStruct(body, schema);
  } catch (err) {
    const reason = err instanceof DecodeError ? err.message : 'decode failed';
    throw new HttpError(400, 'M_NOT_JSON', 'Error reading request', reason);
  }
}

function sendError(
  res: ServerResponse,
  entry: RequestLog,
  err: HttpError,
  headers: Record<string, string> = {},
): void {
  entry.errcode = err.errcode;
  if (err.reason !== undefined) entry.reason = err.reason;
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(err.status, { 'Content-Type': 'application/json', ...headers });
  res.end(`${JSON.stringify({ errcode: err.errcode, error: err.message })}\n`);
}

/**
 * Reads the body, answering 413 (as an HttpError) when it exceeds `limit`. Oversized
 * bodies are drained and discarded first, so the client reliably sees the 413.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () =>
    new HttpError(413, 'M_TOO_LARGE', `Request body exceeds ${limit} bytes`, 'body too large');
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > DRAIN_LIMIT_BYTES) {
    req.resume();
    return Promise.reject(tooLarge());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else if (size > DRAIN_LIMIT_BYTES) req.destroy();
    });
    req.on('end', () => {
      if (size > limit) reject(tooLarge());
      else resolve(Buffer.concat(chunks));
    });
    req.on('error', () => {
      reject(new HttpError(400, 'M_NOT_JSON', 'Error reading request', 'body read error'));
    });
    req.on('close', () => {
      if (!req.complete)
        reject(new HttpError(400, 'M_NOT_JSON', 'Error reading request', 'aborted'));
    });
  });
}
