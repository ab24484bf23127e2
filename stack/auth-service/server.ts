/**
 * MatrixRTC auth service speaking lk-jwt-service's HTTP API:
 *  - `POST /sfu/get`   (legacy) `{room, openid_token, device_id, delay_*?}`      -> `{url, jwt}`
 *  - `POST /get_token` `{room_id, slot_id, openid_token, member, delay_*?}`      -> `{url, jwt}`
 *  - `POST /delegate_delayed_leave` `{room_id, slot_id, openid_token, member, delay_*}` -> `{}`
 *  - `POST /sfu_webhook` (LiveKit's signed webhook)
 *  - `GET|HEAD /healthz` -> 200
 * Every answer, errors and preflights (`OPTIONS` on any path → 200) included, carries
 * lk-jwt-service's CORS headers.
 *
 * Behaviour follows element-hq/lk-jwt-service (handler.go, requests.go, helper.go,
 * delayedEventManager.go at a375b13), re-implemented from its observable behaviour.
 * Differences are listed in stack/README.md.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { AuthServiceConfig } from './config.js';
import { CsApiResolver, delayedEventAction } from './cs-api.js';
import { DelayedLeaveManager } from './delayed-leave.js';
import {
  legacyLiveKitIdentity,
  liveKitIdentity,
  liveKitRoomAlias,
  DEFAULT_SLOT_ID,
} from './hashing.js';
import { HttpError, unauthorised } from './http-error.js';
import { LiveKit } from './livekit.js';
import { MembershipCheck } from './membership.js';
import { lookupOpenIdUser, OpenIdError } from './openid.js';
import { RoomCreationLimit } from './room-creation-limit.js';
import {
  DELEGATE_SCHEMA,
  LEGACY_SCHEMA,
  TOKEN_SCHEMA,
  decodeOrThrow,
  validateDelegate,
  validateLegacy,
  validateToken,
  type DelayFields,
  type DelegateRequest,
  type LegacyRequest,
  type OpenIdToken,
  type TokenRequest,
} from './requests.js';
import { SfuWebhook } from './webhook.js';

export interface AuthService {
  /** Base URL of the service, e.g. `http://127.0.0.1:6080`. */
  url: string;
  port: number;
  /** Delegated delayed leave events being looked after. */
  delayedLeaves: Pick<DelayedLeaveManager, 'state' | 'size'>;
  close(): Promise<void>;
}

/** Bodies are drained (and discarded) up to this size before answering 413; beyond, the socket is dropped. */
const DRAIN_LIMIT_BYTES = 16 * 1024 * 1024;

/** lk-jwt-service's CORS headers, here on every response so browsers see real statuses. */
const CORS_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'POST',
  'Access-Control-Allow-Headers':
    'Accept, Content-Type, Content-Length, Accept-Encoding, X-CSRF-Token',
};

const JSON_POST_PATHS = new Set(['/sfu/get', '/get_token', '/delegate_delayed_leave']);

interface RequestLog {
  method: string;
  path: string;
  status?: number;
  user?: string;
  access?: 'full' | 'restricted';
  lk_room?: string;
  lk_identity?: string;
  /** A delayed leave event was handed over with this request. */
  delegated?: boolean;
  webhook?: string;
  errcode?: string;
  reason?: string;
}

export async function createAuthService(config: AuthServiceConfig): Promise<AuthService> {
  const toMap = (m: AuthServiceConfig['homeserverUrlOverrides']) =>
    m instanceof Map ? (m as ReadonlyMap<string, string>) : new Map(Object.entries(m ?? {}));
  const overrides = toMap(config.homeserverUrlOverrides);
  const csApi = new CsApiResolver(toMap(config.csApiUrlOverrides), config.csApiTimeoutMs);
  const maxBody = config.maxBodyBytes ?? 64 * 1024;
  const openIdTimeoutMs = config.openIdTimeoutMs ?? 10_000;
  const log = config.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const logJson = (entry: Record<string, unknown>) => {
    log(JSON.stringify({ ts: new Date().toISOString(), ...entry }));
  };
  const livekit = new LiveKit({
    apiUrl: config.livekitApiUrl ?? config.livekitUrl.replace(/^ws/, 'http'),
    key: config.livekitKey,
    secret: config.livekitSecret,
    timeoutMs: config.livekitTimeoutMs ?? 10_000,
  });
  const webhook = new SfuWebhook(config.livekitKey, config.livekitSecret);
  const delayedLeaves = new DelayedLeaveManager({
    resolveCsApi: (serverName) => csApi.resolve(serverName),
    action: (base, delayId, action) => delayedEventAction(base, delayId, action),
    participantExists: (room, identity) => livekit.participantExists(room, identity),
    log: logJson,
    sanityCheckIntervalMs: config.sanityCheckIntervalMs ?? 0,
  });
  const membership = config.membershipCheck
    ? new MembershipCheck(config.membershipCheck)
    : undefined;
  const roomLimit = new RoomCreationLimit(config.roomCreationLimitPerMinute ?? 0);
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

  /** The CS API a delegation will talk to must be known before anything is created. */
  async function requireCsApi(serverName: string): Promise<void> {
    if ((await csApi.resolve(serverName)) === undefined) {
      throw new HttpError(
        400,
        'M_BAD_JSON',
        'Unable to resolve client-server API',
        `no CS API URL for ${serverName}`,
      );
    }
  }

  function delegate(
    entry: RequestLog,
    sub: string,
    token: OpenIdToken,
    delay: DelayFields,
    room: string,
    identity: string,
  ): void {
    try {
      delayedLeaves.add({
        serverName: token.matrix_server_name,
        delayId: delay.delay_id,
        delayTimeoutMs: delay.delay_timeout,
        livekitRoom: room,
        livekitIdentity: identity,
        userId: sub,
      });
    } catch {
      throw new HttpError(503, 'M_UNKNOWN', 'Service is shutting down');
    }
    entry.delegated = true;
  }

  /** Creates the LiveKit room, within the per-user cap. */
  async function createRoom(sub: string, room: string): Promise<void> {
    const waitMs = roomLimit.waitMs(sub);
    if (waitMs > 0 && !(await livekit.roomExists(room))) {
      throw new HttpError(
        429,
        'M_LIMIT_EXCEEDED',
        `Too many new call rooms: at most ${roomLimit.perMinute} per minute. Try again later.`,
        'room creation cap',
        { retry_after_ms: waitMs },
      );
    }
    if (await livekit.createRoom(room)) roomLimit.record(sub);
  }

  async function issue(
    entry: RequestLog,
    token: OpenIdToken,
    delay: DelayFields,
    claimedUserId: string | undefined,
    matrixRoomId: string,
    names: (sub: string) => { room: string; identity: string },
  ): Promise<{ url: string; jwt: string }> {
    const sub = await verify(entry, token, claimedUserId);
    const full = isFullAccess(token.matrix_server_name);
    entry.access = full ? 'full' : 'restricted';
    await membership?.assertJoined(matrixRoomId, sub);
    const delegating = delay.delay_id !== '';
    if (delegating && !full) {
      // Element Call retries without the delay_* fields on 400 M_BAD_JSON.
      throw new HttpError(
        400,
        'M_BAD_JSON',
        'Delegation of delayed events is only supported for full access users',
      );
    }
    const { room, identity } = names(sub);
    entry.lk_room = room;
    entry.lk_identity = identity;
    const jwt = await livekit.token(room, identity);
    if (full) {
      // Before the room, so that a failed delegation leaves no room behind (as upstream).
      if (delegating) await requireCsApi(token.matrix_server_name);
      await createRoom(sub, room);
      if (delegating) delegate(entry, sub, token, delay, room, identity);
    }
    return { url: config.livekitUrl, jwt };
  }

  async function handleDelegate(body: Buffer, entry: RequestLog): Promise<object> {
    const r = decodeOrThrow(body, DELEGATE_SCHEMA) as DelegateRequest;
    validateDelegate(r);
    const sub = await verify(entry, r.openid_token, r.member.claimed_user_id);
    const full = isFullAccess(r.openid_token.matrix_server_name);
    entry.access = full ? 'full' : 'restricted';
    if (!full) {
      throw new HttpError(
        403,
        'M_FORBIDDEN',
        'Delegation of delayed events is only supported for full access users',
      );
    }
    await membership?.assertJoined(r.room_id, sub);
    const room = liveKitRoomAlias(r.room_id, r.slot_id);
    const identity = liveKitIdentity(sub, r.member.claimed_device_id, r.member.id);
    entry.lk_room = room;
    entry.lk_identity = identity;
    await requireCsApi(r.openid_token.matrix_server_name);
    delegate(entry, sub, r.openid_token, r, room, identity);
    return {};
  }

  async function handlePost(req: IncomingMessage, entry: RequestLog): Promise<object> {
    const body = await readBody(req, maxBody);
    if (entry.path === '/delegate_delayed_leave') return handleDelegate(body, entry);
    if (entry.path === '/sfu/get') {
      const r = decodeOrThrow(body, LEGACY_SCHEMA) as LegacyRequest;
      validateLegacy(r);
      return issue(entry, r.openid_token, r, undefined, r.room, (sub) => ({
        room: liveKitRoomAlias(r.room, DEFAULT_SLOT_ID),
        identity: legacyLiveKitIdentity(sub, r.device_id),
      }));
    }
    const r = decodeOrThrow(body, TOKEN_SCHEMA) as TokenRequest;
    validateToken(r);
    return issue(entry, r.openid_token, r, r.member.claimed_user_id, r.room_id, (sub) => ({
      room: liveKitRoomAlias(r.room_id, r.slot_id),
      identity: liveKitIdentity(sub, r.member.claimed_device_id, r.member.id),
    }));
  }

  async function handleWebhook(req: IncomingMessage, entry: RequestLog): Promise<void> {
    const body = await readBody(req, maxBody);
    const event = await webhook.receive(body, req.headers.authorization);
    entry.webhook = event.event;
    if (event.identity) entry.lk_identity = event.identity;
    if (event.room) entry.lk_room = event.room;
    if (event.signal) delayedLeaves.onSfuEvent(event.room, event.identity, event.signal);
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
    const isWebhook = entry.path === '/sfu_webhook';
    if (!isWebhook && !JSON_POST_PATHS.has(entry.path)) {
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
      if (isWebhook) {
        await handleWebhook(req, entry);
        res.writeHead(200).end('{}\n');
      } else {
        const result = await handlePost(req, entry);
        res.writeHead(200).end(`${JSON.stringify(result)}\n`);
      }
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
      logJson({
        msg: 'request',
        ...entry,
        status: res.statusCode,
        ms: Math.round((performance.now() - started) * 10) / 10,
      });
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
  logJson({
    msg: 'listening',
    url,
    livekit_url: config.livekitUrl,
    full_access_homeservers: fullAccess,
    homeserver_url_overrides: Object.fromEntries(overrides),
    cs_api_url_overrides: Object.fromEntries(toMap(config.csApiUrlOverrides)),
    membership_check: membership ? config.membershipCheck?.homeserverUrl : false,
    room_creation_limit_per_minute: roomLimit.perMinute,
  });

  return {
    url,
    port: address.port,
    delayedLeaves,
    close: () =>
      new Promise<void>((resolve) => {
        delayedLeaves.close();
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };
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
  res.end(`${JSON.stringify({ errcode: err.errcode, error: err.message, ...err.extra })}\n`);
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
