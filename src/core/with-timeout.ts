import { MatrixCallError } from './errors.js';

/**
 * `promise`, or `onTimeout()`'s error after `ms`, or `aborted` when `signal` fires: matrix-js-sdk's
 * requests and waits have no deadline of their own.
 */
export async function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  signal: AbortSignal | undefined,
  onTimeout: () => Error,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(onTimeout());
        }, ms);
        onAbort = () => {
          reject(MatrixCallError.aborted());
        };
        signal?.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}
