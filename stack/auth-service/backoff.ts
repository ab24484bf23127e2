/**
 * Exponential backoff with the shape lk-jwt-service uses for delayed-event calls and
 * participant lookups: first retry after 1 s, ×1.5 each time, ±50 % randomised, at most
 * 60 s apart, giving up once `maxElapsedMs` has passed. An attempt may ask for a specific
 * wait (a 429's Retry-After).
 */
import { setTimeout as sleep } from 'node:timers/promises';

export type Attempt<T> = { done: true; value: T } | { done: false; afterMs?: number };
export type RetryResult<T> = { ok: true; value: T } | { ok: false; why: 'timed-out' | 'aborted' };

export interface BackoffOptions {
  maxElapsedMs: number;
  signal: AbortSignal;
  initialMs?: number;
  multiplier?: number;
  randomization?: number;
  maxIntervalMs?: number;
}

export async function retryWithBackoff<T>(
  attempt: () => Promise<Attempt<T>>,
  opts: BackoffOptions,
): Promise<RetryResult<T>> {
  const start = Date.now();
  let interval = opts.initialMs ?? 1000;
  const multiplier = opts.multiplier ?? 1.5;
  const randomization = opts.randomization ?? 0.5;
  const maxInterval = opts.maxIntervalMs ?? 60_000;
  for (;;) {
    if (opts.signal.aborted) return { ok: false, why: 'aborted' };
    const result = await attempt();
    if (result.done) return { ok: true, value: result.value };
    const jittered = interval * (1 - randomization + Math.random() * 2 * randomization);
    const wait = result.afterMs ?? jittered;
    if (Date.now() - start + wait > opts.maxElapsedMs) return { ok: false, why: 'timed-out' };
    try {
      await sleep(wait, undefined, { signal: opts.signal });
    } catch {
      return { ok: false, why: 'aborted' };
    }
    interval = Math.min(maxInterval, interval * multiplier);
  }
}
