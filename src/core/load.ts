import { MatrixCallError } from './errors.js';
import type { CallSessionApi, CallSessionOptions } from './types.js';

type Engine = typeof import('./call-session.js');
let engine: Promise<Engine> | undefined;

/**
 * Loads the call engine (livekit-client, matrix-js-sdk and the core around
 * them). The elements stay small because this is the only way they reach it;
 * call it early (on hover, say) to warm the cache.
 */
export function loadCallEngine(): Promise<Engine> {
  engine ??= import('./call-session.js').catch((error: unknown) => {
    engine = undefined; // let a later attempt retry the download
    throw new MatrixCallError('unknown', 'The call code could not be loaded.', {
      cause: error,
      hint: 'Check your network connection, then try again.',
    });
  });
  return engine;
}

/** Creates a core session without loading the engine up front. */
export async function createCallSession(options: CallSessionOptions): Promise<CallSessionApi> {
  const { CallSession } = await loadCallEngine();
  return new CallSession(options);
}
