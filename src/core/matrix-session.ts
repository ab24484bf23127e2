import {
  ClientEvent,
  createClient,
  KnownMembership,
  RoomEvent,
  SyncState,
  type MatrixClient,
  type Room,
} from 'matrix-js-sdk/lib/matrix.js';
import type { Logger } from 'matrix-js-sdk/lib/logger.js';
import type { DiagnosticsCategory, DiagnosticsLog } from './diagnostics.js';
import { describe } from './discovery.js';
import { MatrixCallError } from './errors.js';
import { mapMatrixError, matrixErrorInfo } from './matrix-errors.js';
import type { MatrixCredentials, SessionSource } from './types.js';
import { withTimeout } from './with-timeout.js';

export interface MatrixSession {
  client: MatrixClient;
  /** A widget host's client: it keeps the crypto, and we have no access token. */
  widget: boolean;
  /** We created the client, so we stop it on dispose. */
  owned: boolean;
  homeserver: string;
  userId: string;
  deviceId: string;
}

/**
 * matrix-js-sdk logs into our diagnostics (redacted) instead of the console,
 * so nothing it prints can leak a token onto the page's console.
 */
export function diagnosticsLogger(
  log: DiagnosticsLog,
  category: DiagnosticsCategory,
  prefix = '',
): Logger {
  const text = (msg: unknown[]) =>
    `${prefix}${msg.map((m) => (m instanceof Error ? describe(m) : typeof m === 'string' ? m : safeJson(m))).join(' ')}`;
  const logger: Logger = {
    trace: () => undefined,
    debug: () => undefined,
    info: () => undefined,
    warn: (...msg: unknown[]) => void log.warn(category, text(msg)),
    error: (...msg: unknown[]) => void log.error(category, text(msg)),
    getChild: (namespace: string) => diagnosticsLogger(log, category, `${prefix}${namespace} `),
  };
  return logger;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value).slice(0, 500);
  } catch {
    return String(value);
  }
}

function checkHomeserver(url: string): string {
  try {
    const u = new URL(url);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('not http(s)');
    return u.href.replace(/\/+$/, '');
  } catch {
    throw MatrixCallError.invalidConfig(`homeserver URL "${url}"`);
  }
}

/** Logs in with a password, creating a new device. */
async function passwordLogin(
  source: Extract<SessionSource, { kind: 'password' }>,
  log: DiagnosticsLog,
  debug: boolean,
): Promise<MatrixCredentials> {
  const homeserver = checkHomeserver(source.login.homeserver);
  const anon = createClient({
    baseUrl: homeserver,
    logger: diagnosticsLogger(log, 'matrix'),
    localTimeoutMs: 15_000,
  });
  const user = source.login.username.trim();
  log.addSecret(source.login.password);
  try {
    const response = await anon.loginRequest({
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user },
      password: source.login.password,
      initial_device_display_name: source.login.deviceDisplayName ?? 'matrix-call',
    });
    log.addSecret(response.access_token);
    log.info('matrix', 'signed in with a password', {
      userId: response.user_id,
      deviceId: response.device_id,
    });
    return {
      homeserver,
      userId: response.user_id,
      deviceId: response.device_id,
      accessToken: response.access_token,
    };
  } catch (error) {
    const { status, errcode } = matrixErrorInfo(error);
    log.error('matrix', 'password login failed', {
      status: status ?? 0,
      errcode: errcode ?? null,
      debug,
    });
    if (errcode === 'M_FORBIDDEN' || errcode === 'M_INVALID_USERNAME' || status === 403) {
      throw MatrixCallError.loginFailed(
        { status: status ?? 403, errcode, endpoint: `${homeserver}/_matrix/client/v3/login` },
        error,
      );
    }
    throw mapMatrixError(error, homeserver);
  }
}

/**
 * Creates and starts a client from credentials: checks the token first
 * (fast, clear 401), then Rust crypto with an IndexedDB store scoped to this
 * user and device, then the first sync.
 */
async function startOwnedClient(
  creds: MatrixCredentials,
  log: DiagnosticsLog,
  signal: AbortSignal | undefined,
): Promise<MatrixClient> {
  const homeserver = checkHomeserver(creds.homeserver);
  log.addSecret(creds.accessToken);
  const client = createClient({
    baseUrl: homeserver,
    userId: creds.userId,
    deviceId: creds.deviceId,
    accessToken: creds.accessToken,
    localTimeoutMs: 15_000,
    logger: diagnosticsLogger(log, 'matrix'),
  });
  const stopOnAbort = () => {
    client.stopClient();
  };
  signal?.addEventListener('abort', stopOnAbort, { once: true });
  try {
    let whoami: { user_id: string; device_id?: string };
    try {
      whoami = await client.whoami();
    } catch (error) {
      log.error('matrix', 'the access token was not accepted', { error: describe(error) });
      throw mapMatrixError(error, homeserver);
    }
    if (
      whoami.user_id !== creds.userId ||
      (whoami.device_id && whoami.device_id !== creds.deviceId)
    ) {
      throw MatrixCallError.invalidConfig(
        `credentials: the token belongs to ${whoami.user_id}, not ${creds.userId}`,
      );
    }
    signal?.throwIfAborted();
    try {
      await client.initRustCrypto({
        cryptoDatabasePrefix: `matrix-call:${creds.userId}:${creds.deviceId}`,
      });
    } catch (error) {
      log.error('matrix', 'Rust crypto failed to start', { error: describe(error) });
      throw MatrixCallError.cryptoInitFailed(error);
    }
    signal?.throwIfAborted();
    await startAndSync(client, homeserver, log, signal);
    return client;
  } catch (error) {
    client.stopClient();
    throw error;
  } finally {
    signal?.removeEventListener('abort', stopOnAbort);
  }
}

async function startAndSync(
  client: MatrixClient,
  homeserver: string,
  log: DiagnosticsLog,
  signal: AbortSignal | undefined,
): Promise<void> {
  const started = performance.now();
  const synced = new Promise<void>((resolve, reject) => {
    const onSync = (state: SyncState, _prev: SyncState | null, data?: { error?: Error }) => {
      if (state === SyncState.Prepared || state === SyncState.Syncing) {
        client.off(ClientEvent.Sync, onSync);
        resolve();
      } else if (state === SyncState.Error && data?.error) {
        const mapped = mapMatrixError(data.error, homeserver);
        if (mapped.reason === 'unknown-token') {
          client.off(ClientEvent.Sync, onSync);
          reject(mapped);
        }
      }
    };
    client.on(ClientEvent.Sync, onSync);
  });
  await client.startClient({ initialSyncLimit: 20, lazyLoadMembers: false });
  await withTimeout(synced, 60_000, signal, () =>
    MatrixCallError.homeserverUnreachable(homeserver),
  );
  log.info('matrix', 'first sync done', { ms: Math.round(performance.now() - started) });
}

/** Opens a Matrix session from any of the three sources. */
export async function openMatrixSession(
  source: SessionSource,
  log: DiagnosticsLog,
  signal?: AbortSignal,
  debug = false,
): Promise<MatrixSession> {
  if (source.kind === 'client') {
    const client = source.client;
    const userId = client.getUserId();
    const deviceId = client.getDeviceId();
    if (!userId || !deviceId)
      throw MatrixCallError.invalidConfig('client: it has no user or device ID');
    if (!client.getCrypto()) {
      throw new MatrixCallError(
        'crypto-init-failed',
        'The Matrix client has no end-to-end encryption.',
        {
          hint: 'Call `await client.initRustCrypto()` before handing the client to matrix-call.',
          audience: 'admin',
        },
      );
    }
    if (!client.isInitialSyncComplete()) {
      await withTimeout(
        new Promise<void>((resolve) => {
          const onSync = () => {
            if (client.isInitialSyncComplete()) {
              client.off(ClientEvent.Sync, onSync);
              resolve();
            }
          };
          client.on(ClientEvent.Sync, onSync);
        }),
        60_000,
        signal,
        () => MatrixCallError.invalidConfig('client: it must be started (`client.startClient()`)'),
      );
    }
    log.info('matrix', 'using the page’s Matrix client', { userId, deviceId });
    return {
      client,
      widget: false,
      owned: false,
      homeserver: client.getHomeserverUrl(),
      userId,
      deviceId,
    };
  }
  if (source.kind === 'widget') {
    const { userId, deviceId, baseUrl } = source.widget;
    const homeserver = checkHomeserver(baseUrl);
    // Only widgets load the widget client (matrix-widget-api and matrix-js-sdk's embedded client).
    const { startWidgetClient } = await import('./widget-session.js');
    const client = await startWidgetClient(source.widget, log, signal);
    return { client, widget: true, owned: true, homeserver, userId, deviceId };
  }
  const creds =
    source.kind === 'credentials' ? source.credentials : await passwordLogin(source, log, debug);
  if (!creds.userId || !creds.deviceId || !creds.accessToken)
    throw MatrixCallError.invalidConfig('credentials');
  const client = await startOwnedClient(creds, log, signal);
  return {
    client,
    widget: false,
    owned: true,
    homeserver: checkHomeserver(creds.homeserver),
    userId: creds.userId,
    deviceId: creds.deviceId,
  };
}

/**
 * Finds the room by ID or alias and joins it if we are not in it yet. Waits
 * until sync has delivered the room, since MatrixRTC reads its state.
 */
export async function resolveRoom(
  session: MatrixSession,
  roomIdOrAlias: string,
  log: DiagnosticsLog,
  signal?: AbortSignal,
): Promise<Room> {
  const { client, homeserver } = session;
  const wanted = roomIdOrAlias.trim();
  // Room IDs from room version 12 on have no server part (`!hash`); aliases always do.
  if (!/^(![^\s]+|#[^\s:]+:\S+)$/.test(wanted)) {
    throw MatrixCallError.invalidConfig(`room "${roomIdOrAlias}"`);
  }
  let roomId = wanted;
  if (wanted.startsWith('#')) {
    try {
      roomId = (await client.getRoomIdForAlias(wanted)).room_id;
      log.info('matrix', 'resolved room alias', { alias: wanted, roomId });
    } catch (error) {
      throw mapMatrixError(error, homeserver, (e) =>
        matrixErrorInfo(e).errcode === 'M_NOT_FOUND'
          ? MatrixCallError.roomNotFound(wanted, e)
          : MatrixCallError.unknown(e),
      );
    }
  }
  const existing = client.getRoom(roomId);
  if (existing?.getMyMembership() === KnownMembership.Join) return existing;

  log.info('matrix', 'not in the room yet; joining', {
    roomId,
    membership: existing?.getMyMembership() ?? 'none',
  });
  try {
    await client.joinRoom(roomId);
  } catch (error) {
    log.error('matrix', 'could not join the room', { roomId, error: describe(error) });
    throw mapMatrixError(error, homeserver, (e) => {
      const { errcode, status } = matrixErrorInfo(e);
      if (errcode === 'M_NOT_FOUND' || status === 404)
        return MatrixCallError.roomNotFound(wanted, e);
      if (errcode === 'M_FORBIDDEN' || status === 403) return MatrixCallError.notInRoom(wanted, e);
      return MatrixCallError.unknown(e);
    });
  }
  return withTimeout(
    new Promise<Room>((resolve) => {
      const check = () => {
        const room = client.getRoom(roomId);
        if (room?.getMyMembership() === KnownMembership.Join) {
          client.off(ClientEvent.Room, check);
          client.off(RoomEvent.MyMembership, check);
          resolve(room);
        }
      };
      client.on(ClientEvent.Room, check);
      client.on(RoomEvent.MyMembership, check);
      check();
    }),
    30_000,
    signal,
    () => MatrixCallError.homeserverUnreachable(homeserver),
  );
}
