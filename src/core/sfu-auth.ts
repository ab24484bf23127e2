import pRetry from 'p-retry';
import type { DiagnosticsLog } from './diagnostics.js';
import { anySignal, describe } from './discovery.js';
import { MatrixCallError, STALLED_ANSWER, type HttpErrorDetails } from './errors.js';
import { isWorthRetrying, mapMatrixError } from './matrix-errors.js';
import { hashedRtcIdentity } from './membership.js';

/** What `/_matrix/client/v3/user/{userId}/openid/request_token` returns. */
export interface OpenIdToken {
  access_token: string;
  token_type: string;
  matrix_server_name: string;
  expires_in: number;
}

/** A LiveKit connection grant from an lk-jwt-service. */
export interface SfuGrant {
  /** LiveKit websocket URL. */
  url: string;
  jwt: string;
  /** `video.room` claim: the LiveKit room (alias) the service chose. */
  livekitAlias: string;
  /** `sub` claim: our identity on that SFU. */
  livekitIdentity: string;
  /** Which endpoint granted it. */
  endpoint: 'sfu/get' | 'get_token';
}

/** The slot every Element Call room call uses. */
export const CALL_SLOT_ID = 'm.call#ROOM';

/**
 * Parses a Matrix-style error envelope `{errcode, error}` from a failed
 * response. Bodies that are not JSON still give status and endpoint.
 */
export function parseErrorEnvelope(
  status: number,
  body: string,
  endpoint: string,
): HttpErrorDetails {
  const details: HttpErrorDetails = { status, endpoint: stripQuery(endpoint) };
  try {
    const json = JSON.parse(body) as unknown;
    if (typeof json === 'object' && json !== null) {
      const { errcode, error } = json as Record<string, unknown>;
      if (typeof errcode === 'string') details.errcode = errcode;
      if (typeof error === 'string') details.error = error.slice(0, 300);
    }
  } catch {
    // not JSON: status and endpoint are all we have
  }
  return details;
}

function stripQuery(url: string): string {
  const i = url.search(/[?#]/);
  return i < 0 ? url : url.slice(0, i);
}

/** Reads the claims we need from a JWT payload, without trusting or logging the token. */
export function readJwtClaims(jwt: string): { room: string; sub: string } {
  const payload = jwt.split('.')[1];
  if (!payload) throw new Error('malformed JWT');
  const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
  const claims = JSON.parse(json) as { sub?: unknown; video?: { room?: unknown } };
  if (typeof claims.sub !== 'string' || typeof claims.video?.room !== 'string') {
    throw new Error('JWT lacks sub or video.room');
  }
  return { room: claims.video.room, sub: claims.sub };
}

export interface SfuAuthInput {
  serviceUrl: string;
  roomId: string;
  userId: string;
  deviceId: string;
  /** Homeserver base URL, for error messages. */
  homeserver: string;
  /** The membership's member ID (a UUID per join), sent to `/get_token`. */
  memberId: string;
  /** Fetches a fresh OpenID token: each one is used for a single request. */
  getOpenIdToken: () => Promise<OpenIdToken>;
  log: DiagnosticsLog;
  fetch?: typeof fetch;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** A failed JWT request that says whether the endpoint exists at all. */
class JwtRequestError extends Error {
  constructor(readonly http: HttpErrorDetails) {
    super(`JWT request failed with HTTP ${http.status}`);
  }
}

async function requestGrant(
  input: SfuAuthInput,
  endpoint: SfuGrant['endpoint'],
  body: Record<string, unknown>,
): Promise<SfuGrant> {
  const url = `${input.serviceUrl}/${endpoint}`;
  const doFetch = input.fetch ?? fetch.bind(globalThis);
  let response: Response;
  try {
    response = await doFetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      signal: anySignal(input.signal, AbortSignal.timeout(input.timeoutMs ?? 10_000)),
    });
  } catch (error) {
    input.signal?.throwIfAborted();
    throw new JwtRequestError({ status: 0, endpoint: url, error: describe(error) });
  }
  let text: string;
  try {
    text = await response.text(); // the timeout above covers the body too
  } catch {
    input.signal?.throwIfAborted();
    throw new JwtRequestError({ status: response.status, endpoint: url, error: STALLED_ANSWER });
  }
  if (!response.ok) throw new JwtRequestError(parseErrorEnvelope(response.status, text, url));
  let grant: { url?: unknown; jwt?: unknown };
  try {
    grant = JSON.parse(text) as { url?: unknown; jwt?: unknown };
  } catch {
    throw new JwtRequestError({
      status: response.status,
      endpoint: url,
      error: 'response is not JSON',
    });
  }
  if (typeof grant.url !== 'string' || typeof grant.jwt !== 'string') {
    throw new JwtRequestError({
      status: response.status,
      endpoint: url,
      error: 'response lacks url or jwt',
    });
  }
  input.log.addSecret(grant.jwt);
  let claims: { room: string; sub: string };
  try {
    claims = readJwtClaims(grant.jwt);
  } catch (error) {
    throw new JwtRequestError({ status: response.status, endpoint: url, error: describe(error) });
  }
  return {
    url: grant.url,
    jwt: grant.jwt,
    livekitAlias: claims.room,
    livekitIdentity: claims.sub,
    endpoint,
  };
}

/** Tries of the OpenID request: a lossy homeserver's 504 or reset should not end the call. */
const OPENID_RETRIES = 3;

async function openIdToken(input: SfuAuthInput): Promise<OpenIdToken> {
  try {
    const token = await pRetry(() => input.getOpenIdToken(), {
      retries: OPENID_RETRIES,
      minTimeout: 500,
      maxTimeout: 2000,
      signal: input.signal,
      shouldRetry: ({ error }) => isWorthRetrying(error) && !input.signal?.aborted,
      onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
        if (retriesLeft > 0)
          input.log.warn('auth', 'OpenID token request failed; trying again', {
            attempt: attemptNumber,
            error: describe(error),
          });
      },
    });
    input.log.addSecret(token.access_token);
    return token;
  } catch (error) {
    input.signal?.throwIfAborted();
    input.log.error('auth', 'could not get an OpenID token from the homeserver', {
      error: describe(error),
    });
    throw mapMatrixError(error, input.homeserver);
  }
}

function toCallError(error: unknown): MatrixCallError {
  if (error instanceof JwtRequestError) return MatrixCallError.jwtFetchFailed(error.http, error);
  return MatrixCallError.from(error);
}

/**
 * Our publishing grant: legacy `POST /sfu/get` `{room, openid_token, device_id}`,
 * as Element Call does in its default (compatibility) mode, so our LiveKit
 * identity is `@user:server:DEVICE`, the identity media keys are mapped to.
 */
export async function fetchPublishGrant(input: SfuAuthInput): Promise<SfuGrant> {
  const token = await openIdToken(input);
  input.log.info('auth', 'requesting a publishing JWT (legacy /sfu/get)', {
    service: input.serviceUrl,
  });
  try {
    const grant = await requestGrant(input, 'sfu/get', {
      room: input.roomId,
      openid_token: token,
      device_id: input.deviceId,
    });
    input.log.info('auth', 'got a publishing JWT', {
      service: input.serviceUrl,
      alias: grant.livekitAlias,
    });
    const expected = `${input.userId}:${input.deviceId}`;
    if (grant.livekitIdentity !== expected) {
      input.log.warn(
        'auth',
        'the JWT identity differs from our membership identity; peers may not decrypt us',
        { expected, got: grant.livekitIdentity },
      );
    }
    return grant;
  } catch (error) {
    if (error instanceof JwtRequestError) {
      input.log.error('auth', '/sfu/get failed', { ...error.http });
    }
    throw toCallError(error);
  }
}

/** Our delayed leave event, handed to the auth service that granted our publishing JWT. */
export interface DelayedLeaveHandover {
  delayId: string;
  delayTimeoutMs: number;
  /** Our homeserver's client-server API, where the service restarts and sends the event. */
  csApiUrl: string;
}

/**
 * Asks our SFU's auth service to keep our delayed leave event alive while our LiveKit
 * participant is connected, and to send it when LiveKit says we left: lk-jwt-service's
 * delegation, `/sfu/get` with `delay_id`, `delay_timeout` and `delay_cs_api_url`, as
 * Element Call sends it. Resolves `false` when the service does not delegate (400
 * M_BAD_JSON, as lk-jwt-service answers for users without full access, or 404); the JWT
 * it returns is not used.
 */
export async function handOverDelayedLeave(
  input: SfuAuthInput,
  handover: DelayedLeaveHandover,
): Promise<boolean> {
  input.log.addSecret(handover.delayId);
  const token = await openIdToken(input);
  try {
    await requestGrant(input, 'sfu/get', {
      room: input.roomId,
      openid_token: token,
      device_id: input.deviceId,
      delay_id: handover.delayId,
      delay_timeout: handover.delayTimeoutMs,
      delay_cs_api_url: handover.csApiUrl,
    });
    return true;
  } catch (error) {
    if (
      error instanceof JwtRequestError &&
      ((error.http.status === 400 && error.http.errcode === 'M_BAD_JSON') ||
        error.http.status === 404)
    ) {
      input.log.info('auth', 'the auth service does not take over delayed leave events', {
        service: input.serviceUrl,
        status: error.http.status,
        error: error.http.error,
      });
      return false;
    }
    if (error instanceof JwtRequestError)
      input.log.warn('auth', 'handing over the delayed leave failed', { ...error.http });
    throw toCallError(error);
  }
}

/**
 * A subscribe-only grant on another member's SFU: `POST /get_token` first,
 * falling back to `/sfu/get` when the service answers 404 (an older
 * lk-jwt-service). Each request gets a fresh OpenID token; the fallback is logged.
 */
export async function fetchSubscribeGrant(input: SfuAuthInput): Promise<SfuGrant> {
  const token = await openIdToken(input);
  input.log.info('auth', 'requesting a JWT for a remote SFU (/get_token)', {
    service: input.serviceUrl,
  });
  try {
    const grant = await requestGrant(input, 'get_token', {
      room_id: input.roomId,
      slot_id: CALL_SLOT_ID,
      openid_token: token,
      member: {
        id: input.memberId,
        claimed_user_id: input.userId,
        claimed_device_id: input.deviceId,
      },
    });
    const expected = await hashedRtcIdentity(input.userId, input.deviceId, input.memberId);
    if (grant.livekitIdentity !== expected) {
      input.log.warn('auth', 'remote SFU identity is not the MSC4195 hash we expected', {
        sfu: input.serviceUrl,
      });
    }
    return grant;
  } catch (error) {
    if (!(error instanceof JwtRequestError) || error.http.status !== 404) {
      if (error instanceof JwtRequestError)
        input.log.error('auth', '/get_token failed', { ...error.http });
      throw toCallError(error);
    }
    input.log.warn('auth', '/get_token is not supported (404); falling back to legacy /sfu/get', {
      service: input.serviceUrl,
    });
  }
  const fresh = await openIdToken(input);
  try {
    return await requestGrant(input, 'sfu/get', {
      room: input.roomId,
      openid_token: fresh,
      device_id: input.deviceId,
    });
  } catch (error) {
    if (error instanceof JwtRequestError)
      input.log.error('auth', 'fallback /sfu/get failed', { ...error.http });
    throw toCallError(error);
  }
}
