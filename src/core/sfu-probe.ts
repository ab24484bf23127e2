import type { ReconnectContext, ReconnectPolicy } from 'livekit-client';

export type SfuProbe = 'ok' | 'no-room' | 'refused' | 'unreachable';

const PROBE_TIMEOUT_MS = 3000;

/**
 * Asks the SFU whether a grant can join right now, through LiveKit's
 * `/rtc/validate` with the JWT in a header. A WebSocket that fails puts its
 * URL, and with it the JWT, in the browser console; this request never does.
 */
export async function probeSfu(
  grant: { url: string; jwt: string },
  signal?: AbortSignal,
): Promise<SfuProbe> {
  const url = new URL(grant.url);
  url.protocol =
    url.protocol === 'wss:' ? 'https:' : url.protocol === 'ws:' ? 'http:' : url.protocol;
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/rtc/validate`;
  url.search = '';
  const timeout = AbortSignal.timeout(PROBE_TIMEOUT_MS);
  try {
    const response = await fetch(url, {
      headers: { Authorization: `Bearer ${grant.jwt}` },
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      cache: 'no-store',
    });
    if (response.ok) return 'ok';
    if (response.status === 404) return 'no-room';
    if (response.status === 401 || response.status === 403) return 'refused';
    return 'unreachable';
  } catch {
    signal?.throwIfAborted();
    return 'unreachable';
  }
}

/**
 * Whether a LiveKit server answers at all, without any token: a cheap check
 * before asking the homeserver and the auth service for a new grant.
 */
export async function livekitAnswers(livekitUrl: string, signal?: AbortSignal): Promise<boolean> {
  const url = new URL(livekitUrl);
  url.protocol =
    url.protocol === 'wss:' ? 'https:' : url.protocol === 'ws:' ? 'http:' : url.protocol;
  url.search = '';
  const timeout = AbortSignal.timeout(PROBE_TIMEOUT_MS);
  try {
    // An opaque answer is enough: it came from a server that is up.
    await fetch(url, {
      mode: 'no-cors',
      cache: 'no-store',
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    return true;
  } catch {
    signal?.throwIfAborted();
    return false;
  }
}

/** Delays between LiveKit's own attempts to resume; after the last it gives up. */
const RESUME_DELAYS_MS = [600, 1200, 2700];

/**
 * LiveKit's resume, with a probe before the first attempt: if the SFU is down
 * or lost the room (it restarted), `onDead` runs before any attempt is made,
 * so the caller can close the room and reconnect with a fresh grant. The first
 * delay leaves the probe time to answer.
 */
export class ProbingReconnectPolicy implements ReconnectPolicy {
  constructor(private readonly onFirstRetry: () => void) {}

  nextRetryDelayInMs(context: ReconnectContext): number | null {
    if (context.retryCount === 0) this.onFirstRetry();
    return RESUME_DELAYS_MS[context.retryCount] ?? null;
  }
}
