import { assert } from '@open-wc/testing';
import { MatrixError } from 'matrix-js-sdk/lib/matrix.js';
import { isWorthRetrying, mapMatrixError } from './matrix-errors.js';

const HS = 'https://hs.example';
const answered = (httpStatus: number, errcode?: string) =>
  new MatrixError(errcode ? { errcode, error: 'x' } : {}, httpStatus);

describe('homeserver errors', () => {
  it('retries what may work the next time, and no other refusal', () => {
    assert.isTrue(isWorthRetrying(new TypeError('Failed to fetch')), 'no answer');
    assert.isTrue(isWorthRetrying(answered(504)));
    assert.isTrue(isWorthRetrying(answered(500, 'M_UNKNOWN')));
    assert.isTrue(isWorthRetrying(answered(429, 'M_LIMIT_EXCEEDED')));
    assert.isFalse(isWorthRetrying(answered(403, 'M_FORBIDDEN')));
    assert.isFalse(isWorthRetrying(answered(401, 'M_UNKNOWN_TOKEN')));
  });

  it('a gateway answering for the homeserver means it is not reached', () => {
    for (const status of [502, 503, 504])
      assert.equal(mapMatrixError(answered(status), HS).reason, 'homeserver-unreachable');
    assert.equal(mapMatrixError(answered(500, 'M_UNKNOWN'), HS).reason, 'unknown');
  });
});
