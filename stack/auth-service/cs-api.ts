/**
 * The user's homeserver client-server API, for delegated delayed leave events: where it is,
 * and the unauthenticated MSC4140 management calls (`restart`, `send`) by delay ID.
 *
 * Where: an override (`LIVEKIT_CS_API_URL_OVERRIDES`, `server=url,…`), else
 * `https://<server_name>/.well-known/matrix/client` (only an `https:` base URL is taken;
 * cached 4 h). Only server names of full-access homeservers get here, after their OpenID
 * check; a client's `delay_cs_api_url` is never used, so the service cannot be pointed at
 * an arbitrary URL.
 */
import { isValidServerName } from './openid.js';

export const DELAYED_EVENTS_PATH = '/_matrix/client/unstable/org.matrix.msc4140/delayed_events';
export type DelayedEventAction = 'restart' | 'send';

const CACHE_MS = 4 * 60 * 60 * 1000;

export class CsApiResolver {
  private readonly cache = new Map<string, { url: string; until: number }>();

  constructor(
    private readonly overrides: ReadonlyMap<string, string>,
    private readonly timeoutMs = 10_000,
  ) {}

  /** The base URL (no trailing slash), or undefined when it cannot be found. */
  async resolve(serverName: string): Promise<string | undefined> {
    const override = this.overrides.get(serverName);
    if (override !== undefined) return override.replace(/\/+$/, '');
    const cached = this.cache.get(serverName);
    if (cached && cached.until > Date.now()) return cached.url;
    if (!isValidServerName(serverName)) return undefined;
    try {
      const res = await fetch(`https://${serverName}/.well-known/matrix/client`, {
        signal: AbortSignal.timeout(this.timeoutMs),
        headers: { accept: 'application/json' },
        redirect: 'error',
      });
      if (!res.ok) return undefined;
      const body = (await res.json()) as { 'm.homeserver'?: { base_url?: unknown } };
      const raw = body['m.homeserver']?.base_url;
      if (typeof raw !== 'string') return undefined;
      const url = new URL(raw);
      if (url.protocol !== 'https:') return undefined;
      const base = url.href.replace(/\/+$/, '');
      this.cache.set(serverName, { url: base, until: Date.now() + CACHE_MS });
      return base;
    } catch {
      return undefined;
    }
  }
}

export type ActionOutcome =
  /** 2xx, or 404 on `send` (already sent or cancelled: MSC4140). */
  | { kind: 'ok'; status: number }
  /** 404 on `restart`: the delayed event is gone. */
  | { kind: 'not-found'; status: number }
  /** 5xx, 429, any other status, or no answer: worth retrying. */
  | { kind: 'retry'; status: number; afterMs?: number };

/** Retry-After (seconds or a date), else the Matrix body's `retry_after_ms`. */
async function retryAfterMs(res: Response): Promise<number | undefined> {
  const header = res.headers.get('retry-after');
  if (header) {
    if (/^\d+$/.test(header.trim())) return Number(header) * 1000;
    const date = Date.parse(header);
    if (!Number.isNaN(date)) return Math.max(0, date - Date.now());
  }
  try {
    const body = (await res.json()) as { retry_after_ms?: unknown };
    if (typeof body.retry_after_ms === 'number' && body.retry_after_ms > 0)
      return body.retry_after_ms;
  } catch {
    // no usable body
  }
  return undefined;
}

/** `POST {base}/…/delayed_events/{delayId}/{action}` with `{}`; no access token needed. */
export async function delayedEventAction(
  baseUrl: string,
  delayId: string,
  action: DelayedEventAction,
  timeoutMs = 5000,
): Promise<ActionOutcome> {
  // The delay ID comes from the client: encoded, it cannot leave its path segment.
  const url = `${baseUrl}${DELAYED_EVENTS_PATH}/${encodeURIComponent(delayId)}/${action}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    });
  } catch {
    return { kind: 'retry', status: 0 };
  }
  const status = res.status;
  if (status === 200 || status === 204) {
    await res.body?.cancel();
    return { kind: 'ok', status };
  }
  if (status === 404) {
    await res.body?.cancel();
    return action === 'send' ? { kind: 'ok', status } : { kind: 'not-found', status };
  }
  if (status === 429) {
    const afterMs = await retryAfterMs(res);
    return afterMs === undefined ? { kind: 'retry', status } : { kind: 'retry', status, afterMs };
  }
  await res.body?.cancel();
  return { kind: 'retry', status };
}
