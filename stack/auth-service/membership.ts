/**
 * Room membership check before a token is issued (beyond lk-jwt-service, which issues a
 * token to anyone with a valid OpenID token): the service asks its own homeserver, through
 * Synapse's admin API (`GET /_synapse/admin/v1/rooms/{roomId}/members`, joined members,
 * local and remote), whether the user is joined to the Matrix room. Errors name what to do
 * and never contain the service account's token.
 */
import { HttpError } from './http-error.js';

export interface MembershipCheckConfig {
  /** The homeserver to ask (its client API), e.g. `http://127.0.0.1:8008`. */
  homeserverUrl: string;
  /** Access token of a server admin (the stack creates `@mc-auth-service`). */
  accessToken: string;
  /** Default 10 s. */
  timeoutMs?: number;
}

export class MembershipCheck {
  constructor(private readonly config: MembershipCheckConfig) {}

  /** Resolves if `userId` is joined to `roomId`; else throws 403 (or 503 if it cannot tell). */
  async assertJoined(roomId: string, userId: string): Promise<void> {
    const base = this.config.homeserverUrl.replace(/\/+$/, '');
    const url = `${base}/_synapse/admin/v1/rooms/${encodeURIComponent(roomId)}/members`;
    let res: Response;
    try {
      res = await fetch(url, {
        headers: { authorization: `Bearer ${this.config.accessToken}`, accept: 'application/json' },
        signal: AbortSignal.timeout(this.config.timeoutMs ?? 10_000),
      });
    } catch {
      throw unavailable('the membership check could not reach the homeserver');
    }
    const text = await res.text();
    if (res.status === 404 || res.status === 400) {
      throw notJoined(`room ${JSON.stringify(roomId)} unknown to the homeserver`);
    }
    if (!res.ok) throw unavailable(`membership check: homeserver answered HTTP ${res.status}`);
    let members: unknown;
    try {
      members = (JSON.parse(text) as { members?: unknown }).members;
    } catch {
      throw unavailable('membership check: the homeserver answer was not JSON');
    }
    if (!Array.isArray(members)) throw unavailable('membership check: no member list');
    if (!members.includes(userId)) throw notJoined('not a joined member');
  }
}

function notJoined(reason: string): HttpError {
  return new HttpError(
    403,
    'M_FORBIDDEN',
    'You are not joined to this room. Join the Matrix room first, then ask for a token again.',
    reason,
  );
}

function unavailable(reason: string): HttpError {
  return new HttpError(
    503,
    'M_UNKNOWN',
    'The room membership could not be checked right now; try again shortly.',
    reason,
  );
}
