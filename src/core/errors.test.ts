import { assert } from '@open-wc/testing';
import { MatrixCallError } from './errors.js';

describe('MatrixCallError', () => {
  it('carries a reason, an actionable hint and its cause', () => {
    const cause = new Error('boom');
    const error = MatrixCallError.livekitConnectFailed(cause);
    assert.instanceOf(error, Error);
    assert.equal(error.name, 'MatrixCallError');
    assert.equal(error.reason, 'livekit-connect-failed');
    assert.isNotEmpty(error.hint);
    assert.equal(error.cause, cause);
    assert.isTrue(error.retryable);
  });

  it('addresses configuration problems to the admin', () => {
    const error = MatrixCallError.noRtcTransport('example.org');
    assert.equal(error.reason, 'no-rtc-transport');
    assert.equal(error.audience, 'admin');
    assert.include(error.hint, 'matrix_rtc.transports');
    assert.include(error.hint, 'https://example.org/.well-known/matrix/client');
    assert.isFalse(error.retryable);
  });

  it('explains M_FORBIDDEN on the membership with the power-level hint', () => {
    const error = MatrixCallError.membershipForbidden('org.matrix.msc3401.call.member');
    assert.include(error.hint, 'power_levels.events');
    assert.include(error.hint, 'org.matrix.msc3401.call.member');
  });

  it('summarises JWT service failures from the error envelope', () => {
    const error = MatrixCallError.jwtFetchFailed({
      status: 401,
      errcode: 'M_UNAUTHORIZED',
      error: 'bad token',
      endpoint: 'http://127.0.0.1:6080/sfu/get',
    });
    assert.include(error.message, 'HTTP 401');
    assert.include(error.message, 'M_UNAUTHORIZED');
    assert.equal(error.http?.endpoint, 'http://127.0.0.1:6080/sfu/get');
    assert.include(JSON.parse(JSON.stringify(error)) as object, { reason: 'jwt-fetch-failed' });
  });

  it('wraps unknown throwables and aborts, keeping typed errors', () => {
    const typed = MatrixCallError.aborted();
    assert.equal(MatrixCallError.from(typed), typed);
    assert.equal(MatrixCallError.from(new DOMException('x', 'AbortError')).reason, 'aborted');
    const wrapped = MatrixCallError.from('weird');
    assert.equal(wrapped.reason, 'unknown');
    assert.equal(wrapped.cause, 'weird');
    assert.isTrue(MatrixCallError.is(wrapped, 'unknown'));
    assert.isFalse(MatrixCallError.is(wrapped, 'aborted'));
  });
});
