import pRetry from 'p-retry';
import type { DiagnosticsLog } from './diagnostics.js';
import { describe } from './discovery.js';
import { MatrixCallError, type CallErrorReason } from './errors.js';

/** How long we try to get back onto our SFU before the call ends as "connection lost". */
export const OWN_SFU_GIVE_UP_MS = 120_000;
const FIRST_RETRY_MS = 1000;
/** Short, so a restarted SFU is found within seconds: a try costs one token-less request while it is down. */
const MAX_RETRY_MS = 2000;

/** Failures a retry cannot fix. */
const PERMANENT: ReadonlySet<CallErrorReason> = new Set<CallErrorReason>([
  'aborted',
  'invalid-config',
  'e2ee-unsupported',
]);

/**
 * Runs `reconnect` (fresh OpenID token and JWT, new connection, republish)
 * with backoff until it works, `signal` aborts, or `giveUpAfterMs` passes.
 * Rejects with the last failure.
 */
export async function recoverOwnSfu(
  reconnect: () => Promise<void>,
  opts: { signal: AbortSignal; log: DiagnosticsLog; giveUpAfterMs: number; sfu: string },
): Promise<number> {
  let attempts = 0;
  await pRetry(
    async () => {
      attempts += 1;
      await reconnect();
    },
    {
      retries: Number.POSITIVE_INFINITY,
      minTimeout: FIRST_RETRY_MS,
      maxTimeout: MAX_RETRY_MS,
      randomize: true,
      maxRetryTime: opts.giveUpAfterMs,
      signal: opts.signal,
      shouldRetry: ({ error }) =>
        !(MatrixCallError.is(error) && PERMANENT.has(error.reason)) && !opts.signal.aborted,
      onFailedAttempt: ({ error, attemptNumber }) => {
        opts.log.warn('livekit', 'could not get back onto our SFU yet', {
          sfu: opts.sfu,
          attempt: attemptNumber,
          error: describe(error),
        });
      },
    },
  );
  return attempts;
}
