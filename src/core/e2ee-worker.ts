import type { DiagnosticsLog } from './diagnostics.js';
import { describe } from './discovery.js';

/**
 * Starts LiveKit's E2EE worker. The `new URL('livekit-client/e2ee-worker', import.meta.url)`
 * form is what Vite, webpack and our CDN build resolve to a real file; pages
 * with a strict `worker-src` can pass their own URL instead.
 */
export function createE2eeWorker(url?: string | URL, log?: DiagnosticsLog): Worker {
  const workerUrl = url ?? new URL('livekit-client/e2ee-worker', import.meta.url);
  const worker = new Worker(workerUrl, { type: 'module', name: 'matrix-call-e2ee' });
  return guardWorkerMessages(worker, (error) => {
    log?.warn('e2ee', 'LiveKit could not handle a message from its E2EE worker', {
      error: describe(error),
    });
  });
}

/**
 * livekit-client's handler of worker messages throws when the worker reports
 * on someone who has just left ("couldn't set encryption status, participant
 * not found"), an uncaught page error each time people come and go. Whatever
 * handler is set as `onmessage` runs guarded, its exceptions go to `onError`.
 */
export function guardWorkerMessages(worker: Worker, onError: (error: unknown) => void): Worker {
  const native = Object.getOwnPropertyDescriptor(Worker.prototype, 'onmessage');
  if (!native?.set) return worker;
  let handler: Worker['onmessage'] = null;
  Object.defineProperty(worker, 'onmessage', {
    configurable: true,
    get: () => handler,
    set(next: Worker['onmessage']) {
      handler = next;
      native.set?.call(
        worker,
        next
          ? (event: MessageEvent) => {
              try {
                next.call(worker, event);
              } catch (error) {
                onError(error);
              }
            }
          : null,
      );
    },
  });
  return worker;
}
