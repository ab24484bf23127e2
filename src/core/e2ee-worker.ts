/**
 * Starts LiveKit's E2EE worker. The `new URL('livekit-client/e2ee-worker', import.meta.url)`
 * form is what Vite, webpack and our CDN build resolve to a real file; pages
 * with a strict `worker-src` can pass their own URL instead.
 */
export function createE2eeWorker(url?: string | URL): Worker {
  const workerUrl = url ?? new URL('livekit-client/e2ee-worker', import.meta.url);
  return new Worker(workerUrl, { type: 'module', name: 'matrix-call-e2ee' });
}
