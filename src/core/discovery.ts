import type { DiagnosticsLog } from './diagnostics.js';
import { MatrixCallError } from './errors.js';

/** Where our own SFU's lk-jwt-service was found. */
export type TransportSource = 'override' | 'rtc-transports' | 'well-known';

export interface DiscoveredTransport {
  livekitServiceUrl: string;
  source: TransportSource;
}

/** The LiveKit transport object as it appears in memberships and discovery answers. */
export interface LivekitTransport {
  type: 'livekit';
  livekit_service_url: string;
  [key: string]: unknown;
}

export function isLivekitTransport(value: unknown): value is LivekitTransport {
  if (typeof value !== 'object' || value === null) return false;
  const t = value as Record<string, unknown>;
  return t['type'] === 'livekit' && isHttpUrl(t['livekit_service_url']);
}

function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

/** Removes a trailing slash so `${url}/sfu/get` never has a double slash. */
export function normalizeServiceUrl(url: string): string {
  return url.replace(/\/+$/, '');
}

/** First usable LiveKit transport in an MSC4143 `rtc_transports` list, or a well-known `rtc_foci` list. */
export function pickLivekitTransport(list: unknown): string | undefined {
  if (!Array.isArray(list)) return undefined;
  const found = list.find(isLivekitTransport);
  return found ? normalizeServiceUrl(found.livekit_service_url) : undefined;
}

/** `.well-known/matrix/client` → the `org.matrix.msc4143.rtc_foci` LiveKit service URL. */
export function parseWellKnownFoci(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  return pickLivekitTransport((body as Record<string, unknown>)['org.matrix.msc4143.rtc_foci']);
}

/** The server name is everything after the first colon of the user ID (it may carry a port). */
export function serverNameOf(userId: string): string {
  const i = userId.indexOf(':');
  if (i < 0 || i === userId.length - 1) throw MatrixCallError.invalidConfig(`user ID ${userId}`);
  return userId.slice(i + 1);
}

const loopbackHosts = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d+)?$/;

/**
 * The well-known URL for a server name. Matrix requires https; loopback
 * server names (local development stacks) are fetched over http instead.
 */
export function wellKnownUrl(serverName: string): string {
  const scheme = loopbackHosts.test(serverName) ? 'http' : 'https';
  return `${scheme}://${serverName}/.well-known/matrix/client`;
}

export interface DiscoveryInput {
  userId: string;
  /** Explicit lk-jwt-service URL from the page; wins over everything. */
  override?: string;
  /** `client._unstable_getRTCTransports()`. */
  getRtcTransports: () => Promise<unknown>;
  fetch?: typeof fetch;
  log: DiagnosticsLog;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/**
 * Finds our SFU: the override, then MSC4143 `/rtc/transports`, then
 * `.well-known` `rtc_foci` from the user's server name. Both lookups start at
 * once (they are independent round trips); the first in priority order wins.
 */
export async function discoverTransport(input: DiscoveryInput): Promise<DiscoveredTransport> {
  const { log } = input;
  if (input.override) {
    if (!isHttpUrl(input.override)) throw MatrixCallError.invalidConfig('livekit-service-url');
    log.info('discovery', 'using the configured SFU override', { url: input.override });
    return { livekitServiceUrl: normalizeServiceUrl(input.override), source: 'override' };
  }
  const serverName = serverNameOf(input.userId);
  const doFetch = input.fetch ?? fetch.bind(globalThis);
  const timeout = input.timeoutMs ?? 10_000;

  const fromTransports = (async () => {
    try {
      const url = pickLivekitTransport(await input.getRtcTransports());
      if (!url) log.info('discovery', '/rtc/transports lists no LiveKit transport');
      return url;
    } catch (error) {
      log.info('discovery', '/rtc/transports unavailable, trying .well-known', {
        error: describe(error),
      });
      return undefined;
    }
  })();

  const fromWellKnown = (async () => {
    const url = wellKnownUrl(serverName);
    try {
      const signal = anySignal(input.signal, AbortSignal.timeout(timeout));
      const response = await doFetch(url, { signal });
      if (!response.ok) {
        log.info('discovery', '.well-known/matrix/client not found', {
          url,
          status: response.status,
        });
        return undefined;
      }
      const found = parseWellKnownFoci(await response.json());
      if (!found)
        log.info('discovery', '.well-known has no org.matrix.msc4143.rtc_foci LiveKit entry', {
          url,
        });
      return found;
    } catch (error) {
      log.info('discovery', '.well-known lookup failed', { url, error: describe(error) });
      return undefined;
    }
  })();

  const transports = await fromTransports;
  if (transports) {
    log.info('discovery', 'found SFU via /rtc/transports (MSC4143)', { url: transports });
    return { livekitServiceUrl: transports, source: 'rtc-transports' };
  }
  const wellKnown = await fromWellKnown;
  if (wellKnown) {
    log.warn('discovery', 'found SFU via legacy .well-known rtc_foci (fallback)', {
      url: wellKnown,
    });
    return { livekitServiceUrl: wellKnown, source: 'well-known' };
  }
  input.signal?.throwIfAborted();
  log.error('discovery', 'no MatrixRTC transport advertised', { serverName });
  throw MatrixCallError.noRtcTransport(serverName);
}

/** A signal that aborts when any of the given ones does. */
export function anySignal(...signals: (AbortSignal | undefined)[]): AbortSignal {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  return present.length === 1 && present[0] ? present[0] : AbortSignal.any(present);
}

export function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { errcode?: unknown }).errcode;
    return typeof code === 'string'
      ? `${error.name} ${code}: ${error.message}`
      : `${error.name}: ${error.message}`;
  }
  return String(error);
}
