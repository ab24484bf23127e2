import { readFileSync } from 'node:fs';
import type { MembershipCheckConfig } from './membership.js';

/** Configuration of one auth service instance. */
export interface AuthServiceConfig {
  /** LiveKit URL handed to clients in every response, e.g. `ws://127.0.0.1:7880`. */
  livekitUrl: string;
  /** URL for LiveKit's server API (room creation); default: `livekitUrl` with ws→http. */
  livekitApiUrl?: string;
  livekitKey: string;
  livekitSecret: string;
  /**
   * `matrix_server_name`s whose users may create LiveKit rooms. A lone `*` means all.
   * Everyone else gets a token too, but LiveKit refuses it unless the room exists.
   */
  fullAccessHomeservers: readonly string[];
  /** server name -> homeserver base URL for the OpenID userinfo check (else `https://<name>`). */
  homeserverUrlOverrides?: ReadonlyMap<string, string> | Readonly<Record<string, string>>;
  /**
   * server name -> client-server API base URL for delegated delayed leave events (else
   * `.well-known/matrix/client` discovery over https), like `LIVEKIT_CS_API_URL_OVERRIDES`.
   */
  csApiUrlOverrides?: ReadonlyMap<string, string> | Readonly<Record<string, string>>;
  /**
   * Check with the homeserver that the user is joined to the room before issuing a token
   * (beyond lk-jwt-service). Default: off.
   */
  membershipCheck?: MembershipCheckConfig;
  /** LiveKit rooms one user may have the service create per minute (beyond lk-jwt-service); 0 = no cap (default). */
  roomCreationLimitPerMinute?: number;
  /** While a delegated participant is connected, check LiveKit this often that it still is; 0 = off (default). */
  sanityCheckIntervalMs?: number;
  /** Listen address; default 127.0.0.1. */
  host?: string;
  /** Listen port; default 0 (ephemeral). */
  port?: number;
  /** Bodies above this many bytes get 413; default 64 KiB. */
  maxBodyBytes?: number;
  /** Timeout for the OpenID userinfo request; default 10 s. */
  openIdTimeoutMs?: number;
  /** Timeout for finding a homeserver's client API (`.well-known`); default 10 s. */
  csApiTimeoutMs?: number;
  /** Timeout for LiveKit server API calls; default 10 s. */
  livekitTimeoutMs?: number;
  /** Receives one structured (JSON) line per request; default: stdout. */
  log?: (line: string) => void;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Parses `server=url,server2=url2` (lk-jwt-service's override syntax). */
export function parseOverrides(raw: string | undefined): Map<string, string> {
  const map = new Map<string, string>();
  if (!raw) return map;
  for (const entry of raw.split(',')) {
    const eq = entry.indexOf('=');
    const server = eq < 0 ? '' : entry.slice(0, eq).trim();
    const url = eq < 0 ? '' : entry.slice(eq + 1).trim();
    if (!server || !url) {
      throw new ConfigError(
        `invalid override entry ${JSON.stringify(entry)}, expected server_name=url`,
      );
    }
    map.set(server, url);
  }
  return map;
}

function readTrimmed(path: string): string {
  return readFileSync(path, 'utf8').replace(/^[ \r\n]+|[ \r\n]+$/g, '');
}

/**
 * Configuration from the environment, with lk-jwt-service's variable names:
 * `LIVEKIT_URL`, `LIVEKIT_KEY`/`LIVEKIT_SECRET` (or `LIVEKIT_KEY_FROM_FILE`,
 * `LIVEKIT_SECRET_FROM_FILE`, `LIVEKIT_KEY_FILE` with `key:secret`),
 * `LIVEKIT_JWT_BIND` (`host:port`; default `127.0.0.1:8080`) or the deprecated
 * `LIVEKIT_JWT_PORT`, `LIVEKIT_FULL_ACCESS_HOMESERVERS` (required; comma or space
 * separated, `*` = all), `LIVEKIT_CS_API_URL_OVERRIDES` (`server=url,…`),
 * `LIVEKIT_SANITY_CHECK_INTERVAL_SECONDS`, plus `MC_HOMESERVER_URL_OVERRIDES` (`server=url,…`)
 * and, beyond lk-jwt-service, `MC_MEMBERSHIP_CHECK_HOMESERVER_URL` with
 * `MC_MEMBERSHIP_CHECK_TOKEN_FILE` (a server admin's access token) and
 * `MC_ROOM_CREATION_LIMIT_PER_MINUTE`.
 */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): AuthServiceConfig {
  let key = env['LIVEKIT_KEY'] ?? '';
  let secret = env['LIVEKIT_SECRET'] ?? '';
  const keySecretFile = env['LIVEKIT_KEY_FILE'];
  if (keySecretFile) {
    const parts = readTrimmed(keySecretFile).split(':');
    if (parts.length !== 2) throw new ConfigError('LIVEKIT_KEY_FILE must contain key:secret');
    [key, secret] = parts as [string, string];
  } else {
    if (env['LIVEKIT_KEY_FROM_FILE']) key = readTrimmed(env['LIVEKIT_KEY_FROM_FILE']);
    if (env['LIVEKIT_SECRET_FROM_FILE']) secret = readTrimmed(env['LIVEKIT_SECRET_FROM_FILE']);
  }
  key = key.trim();
  secret = secret.trim();
  const livekitUrl = env['LIVEKIT_URL'] ?? '';
  if (!key || !secret || !livekitUrl) {
    throw new ConfigError(
      'LIVEKIT_KEY / LIVEKIT_SECRET (or their *_FILE forms) and LIVEKIT_URL must be set',
    );
  }

  const fullAccess = env['LIVEKIT_FULL_ACCESS_HOMESERVERS'] ?? '';
  if (!fullAccess.trim()) {
    throw new ConfigError(
      'LIVEKIT_FULL_ACCESS_HOMESERVERS must be set (server names, or * for all)',
    );
  }

  let bind = env['LIVEKIT_JWT_BIND'];
  const legacyPort = env['LIVEKIT_JWT_PORT'];
  if (bind && legacyPort)
    throw new ConfigError('LIVEKIT_JWT_BIND and LIVEKIT_JWT_PORT must not be set together');
  bind ??= `127.0.0.1:${legacyPort ?? '8080'}`;
  const colon = bind.lastIndexOf(':');
  const host = (colon < 0 ? '' : bind.slice(0, colon)).replace(/^\[|\]$/g, '') || '127.0.0.1';
  const port = Number(bind.slice(colon + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`LIVEKIT_JWT_BIND ${JSON.stringify(bind)} is not host:port`);
  }

  const sanity = env['LIVEKIT_SANITY_CHECK_INTERVAL_SECONDS'];
  if (sanity !== undefined && sanity !== '' && !/^\d+$/.test(sanity)) {
    throw new ConfigError(
      `LIVEKIT_SANITY_CHECK_INTERVAL_SECONDS must be a non-negative integer, got ${JSON.stringify(sanity)}`,
    );
  }

  const checkUrl = env['MC_MEMBERSHIP_CHECK_HOMESERVER_URL'];
  const checkTokenFile = env['MC_MEMBERSHIP_CHECK_TOKEN_FILE'];
  if (Boolean(checkUrl) !== Boolean(checkTokenFile)) {
    throw new ConfigError(
      'MC_MEMBERSHIP_CHECK_HOMESERVER_URL and MC_MEMBERSHIP_CHECK_TOKEN_FILE go together',
    );
  }
  let membershipCheck: MembershipCheckConfig | undefined;
  if (checkUrl && checkTokenFile) {
    const accessToken = readTrimmed(checkTokenFile);
    if (!accessToken)
      throw new ConfigError(`${checkTokenFile} (MC_MEMBERSHIP_CHECK_TOKEN_FILE) is empty`);
    membershipCheck = { homeserverUrl: checkUrl, accessToken };
  }
  const limit = env['MC_ROOM_CREATION_LIMIT_PER_MINUTE'];
  if (limit !== undefined && limit !== '' && !/^\d+$/.test(limit)) {
    throw new ConfigError(
      `MC_ROOM_CREATION_LIMIT_PER_MINUTE must be a non-negative integer, got ${JSON.stringify(limit)}`,
    );
  }

  return {
    livekitUrl,
    livekitKey: key,
    livekitSecret: secret,
    fullAccessHomeservers: fullAccess.replace(/,/g, ' ').split(/\s+/).filter(Boolean),
    homeserverUrlOverrides: parseOverrides(env['MC_HOMESERVER_URL_OVERRIDES']),
    csApiUrlOverrides: parseOverrides(env['LIVEKIT_CS_API_URL_OVERRIDES']),
    sanityCheckIntervalMs: Number(sanity || '0') * 1000,
    ...(membershipCheck ? { membershipCheck } : {}),
    roomCreationLimitPerMinute: Number(limit || '0'),
    host,
    port,
  };
}
