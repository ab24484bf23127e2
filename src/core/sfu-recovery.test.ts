// recoverOwnSfu's retry policy, over a stand-in reconnect; the real SFU restart is in
// test/browser/core-resilience.test.ts and test/e2e/federation.test.ts.
import { assert } from '@open-wc/testing';
import { DiagnosticsLog } from './diagnostics.js';
import { MatrixCallError } from './errors.js';
import { recoverOwnSfu } from './sfu-recovery.js';

const opts = (signal = new AbortController().signal, giveUpAfterMs = 60_000) => ({
  signal,
  giveUpAfterMs,
  log: new DiagnosticsLog(),
  sfu: 'https://jwt.example',
});

describe('recoverOwnSfu', () => {
  it('tries again until the SFU takes us back, and says how many tries it took', async function () {
    this.timeout(10_000);
    let tries = 0;
    const o = opts();
    const attempts = await recoverOwnSfu(() => {
      tries += 1;
      return tries < 3 ? Promise.reject(new Error('SFU down')) : Promise.resolve();
    }, o);
    assert.equal(attempts, 3);
    assert.lengthOf(
      o.log.list('livekit').filter((e) => e.message === 'could not get back onto our SFU yet'),
      2,
    );
  });

  it('gives up after its time budget with the last failure', async () => {
    const started = Date.now();
    const error = await recoverOwnSfu(
      () => Promise.reject(new Error('still down')),
      opts(undefined, 1500),
    ).catch((e: unknown) => e);
    assert.instanceOf(error, Error);
    assert.equal(error.message, 'still down');
    assert.isBelow(Date.now() - started, 5000);
  });

  it('stops at once on a failure no retry can fix', async () => {
    let tries = 0;
    const error = await recoverOwnSfu(() => {
      tries += 1;
      return Promise.reject(MatrixCallError.e2eeUnsupported());
    }, opts()).catch((e: unknown) => e);
    assert.isTrue(MatrixCallError.is(error, 'e2ee-unsupported'));
    assert.equal(tries, 1);
  });

  it('stops when the call is left', async () => {
    const abort = new AbortController();
    let tries = 0;
    const done = recoverOwnSfu(() => {
      tries += 1;
      return Promise.reject(new Error('down'));
    }, opts(abort.signal)).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 100));
    abort.abort();
    await done;
    const after = tries;
    await new Promise((resolve) => setTimeout(resolve, 2500));
    assert.equal(tries, after);
  });
});
