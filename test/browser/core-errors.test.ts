// Bad input against the real stack: every failure is a typed MatrixCallError
// with an actionable hint, never a hang and never a leftover membership.
import { assert } from '@open-wc/testing';
import { CallSession } from '../../src/core/call-session.js';
import { MatrixCallError } from '../../src/core/errors.js';
import {
  createRoom,
  credentialsOf,
  misconfiguredAuthService,
  noCorsService,
  registerUser,
  stackUrls,
  stallingService,
  waitFor,
  websiteServer,
} from './local-stack.js';
import { fastTiming, memberState, rejection, sessionPool } from './core-helpers.js';

function assertCallError(error: unknown, reason: string): MatrixCallError {
  assert.instanceOf(error, MatrixCallError);
  const e = error;
  assert.equal(e.reason, reason, e.message);
  assert.isNotEmpty(e.hint);
  return e;
}

describe('CallSession failures on the local stack', function () {
  this.timeout(120_000);
  const pool = sessionPool();
  afterEach(() => pool.disposeAll());

  it('no advertised transport fails with no-rtc-transport and tells the admin what to configure', async () => {
    const hs = await stackUrls('no-transport');
    assert.isTrue(hs.noTransport);
    const alice = await registerUser({}, 'no-transport');
    const { roomId } = await createRoom(alice, { encrypted: true }, 'no-transport');
    const s = pool.open(alice, roomId);
    await s.start();
    const error = assertCallError(await rejection(s.join()), 'no-rtc-transport');
    assert.equal(error.audience, 'admin');
    assert.include(error.hint, hs.serverName);
    assert.equal(s.snapshot.phase, 'failed');
    assert.equal(s.snapshot.error, error);
    const lookups = s.diagnostics.list('discovery').map((e) => e.message);
    assert.include(lookups.join('\n'), '/rtc/transports');
    assert.include(lookups.join('\n'), '.well-known');
  });

  it('an lk-jwt-service error surfaces with its status and errcode, before any membership is sent', async () => {
    const alice = await registerUser();
    const { roomId } = await createRoom(alice, { encrypted: true });
    const serviceUrl = await misconfiguredAuthService();
    const s = pool.open(alice, roomId, { livekitServiceUrl: serviceUrl });
    await s.start();
    const error = assertCallError(await rejection(s.join()), 'jwt-fetch-failed');
    assert.equal(error.audience, 'admin');
    assert.equal(error.http?.status, 401);
    assert.equal(error.http?.errcode, 'M_UNAUTHORIZED');
    assert.equal(error.http?.endpoint, `${serviceUrl}/sfu/get`);
    assert.include(error.message, 'M_UNAUTHORIZED');
    assert.include(error.hint, serviceUrl);
    assert.equal((await memberState(alice, roomId, alice)).status, 404, 'no membership was sent');
    const failure = s.diagnostics.list('auth').find((e) => e.message === '/sfu/get failed');
    assert.equal(failure?.fields?.['errcode'], 'M_UNAUTHORIZED');
  });

  it('a JWT service that does not answer with CORS is reported as unreachable, not as a hang', async () => {
    const alice = await registerUser();
    const { roomId } = await createRoom(alice, { encrypted: true });
    // The stack's auth service sends CORS headers on every answer, even a 404.
    const s = pool.open(alice, roomId, { livekitServiceUrl: await noCorsService() });
    await s.start();
    const error = assertCallError(await rejection(s.join()), 'jwt-fetch-failed');
    assert.equal(error.http?.status, 0);
    assert.include(error.message, 'no answer');
  });

  it('an auth service that stalls mid-answer fails with jwt-fetch-failed and says so', async () => {
    const alice = await registerUser();
    const { roomId } = await createRoom(alice, { encrypted: true });
    const s = pool.open(alice, roomId, { livekitServiceUrl: await stallingService() });
    await s.start();
    const started = performance.now();
    const error = assertCallError(await rejection(s.join()), 'jwt-fetch-failed');
    assert.isBelow(performance.now() - started, 20_000, 'bounded by the request timeout');
    assert.equal(error.http?.status, 200);
    assert.include(error.message, 'began to answer, then stopped');
    assert.equal(s.snapshot.phase, 'failed');
  });

  it('a homeserver address that is a web site fails with not-a-homeserver', async () => {
    const site = await websiteServer();
    const alice = await registerUser();
    for (const source of [
      { kind: 'credentials', credentials: { ...credentialsOf(alice), homeserver: site } },
      { kind: 'password', login: { homeserver: site, username: 'alice', password: 'secret pw' } },
    ] as const) {
      const s = pool.add(new CallSession({ source, room: '!room:localhost' }));
      const error = assertCallError(await rejection(s.start()), 'not-a-homeserver');
      assert.include(error.message, site);
    }
  });

  it('M_FORBIDDEN on the membership gives the power-level hint and leaves nothing behind', async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    const { roomId } = await createRoom(alice, {
      encrypted: true,
      invite: [bob],
      autoJoin: true,
      powerLevelContentOverride: { events: { 'org.matrix.msc3401.call.member': 100 } },
    });
    const s = pool.open(bob, roomId);
    await s.start();
    const error = assertCallError(await rejection(s.join()), 'membership-forbidden');
    assert.include(error.hint, 'power_levels.events');
    assert.include(error.hint, 'org.matrix.msc3401.call.member');
    assert.equal(s.snapshot.phase, 'failed');
    assert.lengthOf(s.snapshot.participants, 0, 'LiveKit was torn down');
    const logged = s.diagnostics.list('membership').find((e) => e.message.includes('M_FORBIDDEN'));
    assert.exists(logged);
  });

  it('an unknown room alias, a room we may not join, and an expired token each get their own error', async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    const { serverName } = await stackUrls();

    const unknown = pool.open(alice, `#no-such-room-${Date.now()}:${serverName}`);
    assertCallError(await rejection(unknown.start()), 'room-not-found');
    assert.equal(unknown.snapshot.status, 'failed');

    const { roomId: privateRoom } = await createRoom(alice, { encrypted: true });
    const outsider = pool.open(bob, privateRoom);
    assertCallError(await rejection(outsider.start()), 'not-in-room');

    const expired = pool.add(
      new CallSession({
        source: {
          kind: 'credentials',
          credentials: { ...credentialsOf(alice), accessToken: 'syt_bogus_token_1234567890' },
        },
        room: privateRoom,
        membershipTiming: fastTiming,
      }),
    );
    const error = assertCallError(await rejection(expired.start()), 'unknown-token');
    assert.notInclude(JSON.stringify(error), 'syt_bogus');
    assert.notInclude(expired.diagnostics.export(), 'syt_bogus_token');
  });

  it('an unreachable homeserver fails fast with homeserver-unreachable', async () => {
    const alice = await registerUser();
    const s = pool.add(
      new CallSession({
        source: {
          kind: 'credentials',
          credentials: { ...credentialsOf(alice), homeserver: 'http://127.0.0.1:9' },
        },
        room: '!room:localhost',
      }),
    );
    const started = performance.now();
    const error = assertCallError(await rejection(s.start()), 'homeserver-unreachable');
    assert.include(error.message, '127.0.0.1:9');
    assert.isBelow(performance.now() - started, 20_000);
  });

  it('a wrong password fails sign-in with login-failed', async () => {
    const alice = await registerUser({ password: 'right password' });
    const s = pool.add(
      new CallSession({
        source: {
          kind: 'password',
          login: { homeserver: alice.homeserverUrl, username: alice.username, password: 'wrong' },
        },
        room: '!room:localhost',
      }),
    );
    assertCallError(await rejection(s.start()), 'login-failed');
  });

  it('a join can be aborted and retried', async () => {
    const alice = await registerUser();
    const { roomId } = await createRoom(alice, { encrypted: true });
    const s = pool.open(alice, roomId);
    await s.start();
    const controller = new AbortController();
    const joining = s.join({ signal: controller.signal });
    controller.abort();
    assertCallError(await rejection(joining), 'aborted');
    await s.join();
    assert.equal(s.snapshot.phase, 'connected');
    await waitFor(
      'membership visible',
      async () => (await memberState(alice, roomId, alice)).status === 200,
    );
  });
});
