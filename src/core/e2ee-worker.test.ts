// The guard around livekit-client's worker message handler, on a real Worker.
import { assert } from '@open-wc/testing';
import { guardWorkerMessages } from './e2ee-worker.js';

const echoWorker = () =>
  new Worker(
    URL.createObjectURL(
      new Blob(['onmessage = (e) => postMessage(e.data);'], { type: 'text/javascript' }),
    ),
  );

describe('guardWorkerMessages', () => {
  it('hands a throwing onmessage handler’s error to onError, not to the page', async () => {
    const caught: unknown[] = [];
    const pageErrors: unknown[] = [];
    const onPageError = (event: ErrorEvent) => {
      pageErrors.push(event.error);
      event.preventDefault();
    };
    window.addEventListener('error', onPageError);
    const worker = guardWorkerMessages(echoWorker(), (error) => caught.push(error));
    const seen: unknown[] = [];
    const handler = (event: MessageEvent) => {
      seen.push(event.data);
      throw new TypeError('couldn’t set encryption status, participant not found');
    };
    worker.onmessage = handler;
    assert.equal(worker.onmessage, handler, 'reads back the handler that was set');
    worker.postMessage('enable');
    await new Promise((resolve) => setTimeout(resolve, 300));
    window.removeEventListener('error', onPageError);
    worker.terminate();
    assert.deepEqual(seen, ['enable']);
    assert.lengthOf(caught, 1);
    assert.instanceOf(caught[0], TypeError);
    assert.deepEqual(pageErrors, []);
  });

  it('clears the handler with null', async () => {
    const worker = guardWorkerMessages(echoWorker(), () => undefined);
    let calls = 0;
    worker.onmessage = () => (calls += 1);
    worker.onmessage = null;
    worker.postMessage('x');
    await new Promise((resolve) => setTimeout(resolve, 200));
    worker.terminate();
    assert.equal(calls, 0);
    assert.isNull(worker.onmessage);
  });
});
