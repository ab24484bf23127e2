/** The first wait after a remote lk-jwt-service failed to grant us a JWT. */
export const FIRST_GRANT_BACKOFF_MS = 1000;
/** The longest wait between grant requests to a remote lk-jwt-service that keeps failing. */
export const MAX_GRANT_BACKOFF_MS = 60_000;

/**
 * How often we may ask each remote lk-jwt-service for a JWT, which sends it
 * a fresh OpenID token: after each failure the wait doubles, from 1 s up to a
 * minute, and a grant resets it. It lives as long as the call, so a member
 * who keeps rewriting memberships that name a service that never answers
 * cannot make us ask it any faster.
 */
export class ForeignGrants {
  readonly #failing = new Map<string, { failures: number; notBefore: number }>();

  constructor(
    private readonly firstMs = FIRST_GRANT_BACKOFF_MS,
    private readonly maxMs = MAX_GRANT_BACKOFF_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** How long to wait before asking `serviceUrl` again; 0 if we may now. */
  waitMs(serviceUrl: string): number {
    const failing = this.#failing.get(serviceUrl);
    return failing ? Math.max(0, failing.notBefore - this.now()) : 0;
  }

  /** Resolves once we may ask `serviceUrl`; rejects if `signal` aborts first. */
  async turn(serviceUrl: string, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    const ms = this.waitMs(serviceUrl);
    if (ms === 0) return;
    await new Promise<void>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        reject(signal.reason as Error);
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', done);
        resolve();
      }, ms);
      signal.addEventListener('abort', done, { once: true });
    });
    signal.throwIfAborted();
  }

  failed(serviceUrl: string): void {
    const failures = (this.#failing.get(serviceUrl)?.failures ?? 0) + 1;
    const wait = Math.min(this.maxMs, this.firstMs * 2 ** (failures - 1));
    this.#failing.set(serviceUrl, { failures, notBefore: this.now() + wait });
  }

  granted(serviceUrl: string): void {
    this.#failing.delete(serviceUrl);
  }
}
