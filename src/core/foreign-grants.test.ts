import { assert } from '@open-wc/testing';
import { ForeignGrants } from './foreign-grants.js';

describe('ForeignGrants', () => {
  const URL_A = 'https://jwt.a.example';

  it('doubles the wait after each failure, up to the cap, per service', () => {
    let now = 0;
    const grants = new ForeignGrants(1000, 8000, () => now);
    assert.equal(grants.waitMs(URL_A), 0, 'a first request goes at once');
    const waits = [];
    for (let i = 0; i < 6; i++) {
      grants.failed(URL_A);
      waits.push(grants.waitMs(URL_A));
    }
    assert.deepEqual(waits, [1000, 2000, 4000, 8000, 8000, 8000]);
    assert.equal(grants.waitMs('https://jwt.b.example'), 0, 'another service is not held up');
    now += 8000;
    assert.equal(grants.waitMs(URL_A), 0);
  });

  it('a grant resets the wait', () => {
    const grants = new ForeignGrants(1000, 8000, () => 0);
    grants.failed(URL_A);
    grants.failed(URL_A);
    grants.granted(URL_A);
    assert.equal(grants.waitMs(URL_A), 0);
    grants.failed(URL_A);
    assert.equal(grants.waitMs(URL_A), 1000);
  });

  it('waits its turn, and stops waiting when aborted', async () => {
    const grants = new ForeignGrants(30, 30);
    grants.failed(URL_A);
    const started = Date.now();
    await grants.turn(URL_A, new AbortController().signal);
    assert.isAtLeast(Date.now() - started, 25);
    grants.failed(URL_A);
    const abort = new AbortController();
    const waiting = grants.turn(URL_A, abort.signal);
    abort.abort(new Error('left'));
    let error: unknown;
    try {
      await waiting;
    } catch (e) {
      error = e;
    }
    assert.equal((error as Error).message, 'left');
  });
});
