/**
 * Users and rooms on the local homeserver, for tests, benchmarks and the demo.
 * Error messages name the endpoint and Matrix error, never a token or password.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

/** The parts of StackInfo provisioning needs. */
export interface HomeserverInfo {
  /** Handed to clients (in ProvisionedUser); may go through the homeserver proxy. */
  homeserverUrl: string;
  /** Synapse itself: provisioning talks to it directly, so injected faults never hit set-up. */
  synapseUrl?: string;
  registrationSharedSecret: string;
}

type Reachable = Pick<HomeserverInfo, 'homeserverUrl' | 'synapseUrl'>;

/** Where provisioning sends its requests. */
function directUrl(info: Reachable): string {
  return info.synapseUrl ?? info.homeserverUrl;
}

export interface ProvisionedUser {
  userId: string;
  deviceId: string;
  accessToken: string;
  username: string;
  password: string;
  homeserverUrl: string;
}

export interface RegisterOptions {
  username?: string;
  password?: string;
  displayName?: string;
  admin?: boolean;
}

export interface CreateRoomOptions {
  /** Adds m.room.encryption (m.megolm.v1.aes-sha2) to the initial state. */
  encrypted?: boolean;
  name?: string;
  invite?: ProvisionedUser[];
  /** Local part of a room alias (`#<alias>:<server>`). */
  alias?: string;
  /** Invitees join right away. */
  autoJoin?: boolean;
  /**
   * Replaces the default override, which is Synapse's default `events` map plus
   * `org.matrix.msc3401.call.member: 0` (as in rooms Element Call creates), so that
   * every member may join calls.
   */
  powerLevelContentOverride?: object;
}

export interface OpenIdToken {
  access_token: string;
  token_type: string;
  matrix_server_name: string;
  expires_in: number;
}

export class MatrixApiError extends Error {
  override readonly name = 'MatrixApiError';
  constructor(
    readonly endpoint: string,
    readonly status: number,
    readonly errcode: string | undefined,
    message: string,
  ) {
    super(`${endpoint}: HTTP ${status}${errcode ? ` ${errcode}` : ''}: ${message}`);
  }
}

const REQUEST_TIMEOUT_MS = 15_000;

/** Power levels for `events` as Synapse sets them in a room v12, plus call membership for all. */
export const DEFAULT_CALL_POWER_LEVELS = {
  events: {
    'm.room.name': 50,
    'm.room.power_levels': 100,
    'm.room.history_visibility': 100,
    'm.room.canonical_alias': 50,
    'm.room.avatar': 50,
    'm.room.tombstone': 150,
    'm.room.server_acl': 100,
    'm.room.encryption': 100,
    'org.matrix.msc3401.call.member': 0,
  },
};

async function matrixRequest<T>(
  baseUrl: string,
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  opts: { accessToken?: string; body?: unknown; endpoint?: string } = {},
): Promise<T> {
  const endpoint = opts.endpoint ?? `${method} ${path}`;
  for (let attempt = 0; ; attempt++) {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    if (opts.accessToken) headers['authorization'] = `Bearer ${opts.accessToken}`;
    let res: Response;
    try {
      res = await fetch(new URL(path, baseUrl), {
        method,
        headers,
        ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (err) {
      const why = err instanceof Error && err.name === 'TimeoutError' ? 'timed out' : 'failed';
      throw new MatrixApiError(endpoint, 0, undefined, `request ${why} (is the stack running?)`);
    }
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      // non-JSON error page
    }
    if (res.ok) return json as T;
    const errcode = typeof json['errcode'] === 'string' ? json['errcode'] : undefined;
    if (res.status === 429 && attempt < 5) {
      const wait = typeof json['retry_after_ms'] === 'number' ? json['retry_after_ms'] : 500;
      await sleep(Math.min(wait, 5000));
      continue;
    }
    const message = typeof json['error'] === 'string' ? json['error'] : text.slice(0, 200);
    throw new MatrixApiError(endpoint, res.status, errcode, message);
  }
}

function randomName(prefix: string): string {
  return `${prefix}${randomBytes(6).toString('hex')}`;
}

/**
 * Registers a user through Synapse's shared-secret admin API
 * (`/_synapse/admin/v1/register`, nonce + HMAC-SHA1). Username is random by default.
 */
export async function registerUser(
  info: HomeserverInfo,
  opts: RegisterOptions = {},
): Promise<ProvisionedUser> {
  const username = opts.username ?? randomName('user-');
  const password = opts.password ?? randomBytes(12).toString('base64url');
  const admin = opts.admin ?? false;
  const path = '/_synapse/admin/v1/register';
  const { nonce } = await matrixRequest<{ nonce: string }>(directUrl(info), 'GET', path);
  const mac = createHmac('sha1', info.registrationSharedSecret)
    .update(`${nonce}\0${username}\0${password}\0${admin ? 'admin' : 'notadmin'}`)
    .digest('hex');
  const res = await matrixRequest<{ user_id: string; device_id: string; access_token: string }>(
    directUrl(info),
    'POST',
    path,
    {
      body: {
        nonce,
        username,
        password,
        admin,
        mac,
        ...(opts.displayName === undefined ? {} : { displayname: opts.displayName }),
      },
    },
  );
  return {
    userId: res.user_id,
    deviceId: res.device_id,
    accessToken: res.access_token,
    username,
    password,
    homeserverUrl: info.homeserverUrl,
  };
}

/** Password login, giving a fresh device (or the given device ID). */
export async function loginUser(
  info: Reachable,
  username: string,
  password: string,
  deviceId?: string,
): Promise<ProvisionedUser> {
  const res = await matrixRequest<{ user_id: string; device_id: string; access_token: string }>(
    directUrl(info),
    'POST',
    '/_matrix/client/v3/login',
    {
      body: {
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: username },
        password,
        initial_device_display_name: 'matrix-call stack provisioning',
        ...(deviceId === undefined ? {} : { device_id: deviceId }),
      },
    },
  );
  return {
    userId: res.user_id,
    deviceId: res.device_id,
    accessToken: res.access_token,
    username,
    password,
    homeserverUrl: info.homeserverUrl,
  };
}

/** Joins a room by ID or alias (over federation through `via` servers); returns the room ID. */
export async function joinRoom(
  info: Reachable,
  user: ProvisionedUser,
  roomIdOrAlias: string,
  via: readonly string[] = [],
): Promise<string> {
  const query = via.map((server) => `server_name=${encodeURIComponent(server)}`).join('&');
  const res = await matrixRequest<{ room_id: string }>(
    directUrl(info),
    'POST',
    `/_matrix/client/v3/join/${encodeURIComponent(roomIdOrAlias)}${query ? `?${query}` : ''}`,
    { accessToken: user.accessToken, body: {}, endpoint: 'POST /_matrix/client/v3/join' },
  );
  return res.room_id;
}

/** Creates a private room (encrypted if asked), invites, and optionally joins the invitees. */
export async function createRoom(
  info: Reachable,
  creator: ProvisionedUser,
  opts: CreateRoomOptions = {},
): Promise<{ roomId: string; alias?: string }> {
  const invite = opts.invite ?? [];
  const body: Record<string, unknown> = {
    preset: 'private_chat',
    visibility: 'private',
    invite: invite.map((u) => u.userId),
    power_level_content_override: opts.powerLevelContentOverride ?? DEFAULT_CALL_POWER_LEVELS,
    initial_state: opts.encrypted
      ? [
          {
            type: 'm.room.encryption',
            state_key: '',
            content: { algorithm: 'm.megolm.v1.aes-sha2' },
          },
        ]
      : [],
  };
  if (opts.name !== undefined) body['name'] = opts.name;
  if (opts.alias !== undefined) body['room_alias_name'] = opts.alias;
  const res = await matrixRequest<{ room_id: string; room_alias?: string }>(
    directUrl(info),
    'POST',
    '/_matrix/client/v3/createRoom',
    { accessToken: creator.accessToken, body },
  );
  if (opts.autoJoin) {
    for (const user of invite) await joinRoom(info, user, res.room_id);
  }
  return {
    roomId: res.room_id,
    ...(res.room_alias === undefined ? {} : { alias: res.room_alias }),
  };
}

/** `POST /_matrix/client/v3/user/{userId}/openid/request_token`. */
export async function requestOpenIdToken(
  info: Reachable,
  user: ProvisionedUser,
): Promise<OpenIdToken> {
  return matrixRequest<OpenIdToken>(
    directUrl(info),
    'POST',
    `/_matrix/client/v3/user/${encodeURIComponent(user.userId)}/openid/request_token`,
    {
      accessToken: user.accessToken,
      body: {},
      endpoint: 'POST /_matrix/client/v3/user/{userId}/openid/request_token',
    },
  );
}
