// Network trouble on the real stack: livekit-client's own test hooks, and a fault proxy in front of the homeserver.
import { assert } from '@open-wc/testing';
import type { Room as LivekitRoom } from 'livekit-client';
import type { MatrixClient } from 'matrix-js-sdk';
import { CallSession } from '../../src/core/call-session.js';
import type { CallPhase, CallSessionOptions } from '../../src/core/types.js';
import { CallSessionEvent } from '../../src/core/types.js';
import {
  createRoom,
  credentialsOf,
  homeserverProxy,
  nonDelegatingAuthService,
  registerUser,
  setHomeserverFaults,
  waitFor,
} from './local-stack.js';
import {
  assertDecodes,
  callOfTwo,
  fastTiming,
  identityOf,
  memberState,
  remote,
  vanishedDuring,
  sessionPool,
} from './core-helpers.js';

/** The session's Matrix client (private; only tests reach in). */
const matrixClientOf = (s: CallSession) =>
  (s as unknown as { parts: { matrix: { client: MatrixClient } } }).parts.matrix.client;

/** The session's own LiveKit room (private; only tests reach in). */
const livekitRoomOf = (s: CallSession) =>
  (s as unknown as { parts?: { connections: { own?: { room: LivekitRoom } } } }).parts?.connections
    .own?.room;

/** When the membership event of `member` now in the room was sent. */
async function memberEventTs(
  reader: Awaited<ReturnType<typeof registerUser>>,
  roomId: string,
  member: Awaited<ReturnType<typeof registerUser>>,
): Promise<number> {
  const stateKey = `_${member.userId}_${member.deviceId}_m.call`;
  const response = await fetch(
    `${reader.homeserverUrl}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/org.matrix.msc3401.call.member/${encodeURIComponent(stateKey)}?format=event`,
    { headers: { Authorization: `Bearer ${reader.accessToken}` } },
  );
  return ((await response.json()) as { origin_server_ts: number }).origin_server_ts;
}

/** Alice and Bob in a fresh encrypted room, for sessions a test opens itself. */
async function roomOfTwo() {
  const [alice, bob] = await Promise.all([
    registerUser({ displayName: 'Alice' }),
    registerUser({ displayName: 'Bob' }),
  ]);
  const { roomId } = await createRoom(alice, { encrypted: true, invite: [bob], autoJoin: true });
  return { alice, bob, roomId };
}

describe('CallSession under network trouble', function () {
  this.timeout(120_000);
  const pool = sessionPool();
  afterEach(() => pool.disposeAll());

  /** Alice (through a fault proxy in front of the homeserver) and Bob, both joined and decoding. */
  async function callBehindProxy(extra: Partial<CallSessionOptions>) {
    const { alice, bob, roomId } = await roomOfTwo();
    const proxy = await homeserverProxy();
    const a = pool.add(
      new CallSession({
        source: {
          kind: 'credentials',
          credentials: { ...credentialsOf(alice), homeserver: proxy },
        },
        room: roomId,
        ...extra,
      }),
    );
    const b = pool.open(
      bob,
      roomId,
      extra.livekitServiceUrl ? { livekitServiceUrl: extra.livekitServiceUrl } : {},
    );
    await Promise.all([a.start(), b.start()]);
    await a.join();
    await b.join();
    await Promise.all([assertDecodes(b, identityOf(alice)), assertDecodes(a, identityOf(bob))]);
    return { alice, bob, roomId, proxy, a, b };
  }

  it('rides out a signalling reconnect: reconnecting, then connected, media continues', async () => {
    const { alice, a, b } = await callOfTwo(pool);
    await assertDecodes(b, identityOf(alice));
    const phases: CallPhase[] = [];
    a.on(CallSessionEvent.PhaseChanged, (phase) => phases.push(phase));
    await livekitRoomOf(a)?.simulateScenario('signal-reconnect');
    await waitFor('back to connected', () => phases.includes('connected'), 20_000);
    assert.include(phases, 'reconnecting');
    assert.equal(a.snapshot.phase, 'connected');
    await assertDecodes(b, identityOf(alice));
  });

  it('when the SFU drops us, gets back on by itself: the same membership and key, no tile lost, media resumes', async () => {
    const { alice, bob, roomId, a, b } = await callOfTwo(pool);
    await assertDecodes(b, identityOf(alice));
    const before = await memberState(bob, roomId, alice);
    const firstTs =
      (before.content['created_ts'] as number | undefined) ??
      (await memberEventTs(bob, roomId, alice));
    const phases: CallPhase[] = [];
    const errors: unknown[] = [];
    a.on(CallSessionEvent.PhaseChanged, (phase) => phases.push(phase));
    a.on(CallSessionEvent.Error, (e) => errors.push(e));
    const dropped = livekitRoomOf(a);
    await dropped?.simulateScenario('server-leave');
    await waitFor('back on the SFU', () => livekitRoomOf(a) !== dropped, 30_000);
    await waitFor('connected again', () => a.snapshot.phase === 'connected', 30_000);
    assert.deepEqual(phases.slice(0, 1), ['reconnecting']);
    assert.deepEqual(errors, []);
    // LiveKit reports Alice's old session gone, and our SFU's auth service, which holds her
    // delayed leave, sends it (as lk-jwt-service does). She sends the same membership again.
    const vanished = await vanishedDuring(b, alice.userId, async () => {
      await waitFor(
        'Alice to send her membership again',
        () =>
          a.diagnostics
            .list('membership')
            .some((e) => e.message.startsWith('our membership is gone from the room')),
        20_000,
      );
      await waitFor(
        'Alice back in the room state',
        async () => Object.keys((await memberState(bob, roomId, alice)).content).length > 0,
        20_000,
      );
      await assertDecodes(b, identityOf(alice));
    });
    assert.isFalse(vanished, 'Bob never lost Alice’s tile');
    const after = await memberState(bob, roomId, alice);
    const { created_ts: createdTs, expires: _e, ...rest } = after.content;
    const { created_ts: _c0, expires: _e0, ...restBefore } = before.content;
    assert.deepEqual(rest, restBefore, 'the same membership');
    assert.equal(createdTs, firstTs, 'counting from the first one');
    const aliceKeys = b.diagnostics
      .list('keys')
      .filter(
        (e) =>
          e.message === 'media key received' && e.fields?.['participant'] === identityOf(alice),
      );
    assert.deepEqual(
      aliceKeys.map((e) => e.fields?.['keyIndex']),
      [0],
      'Alice kept her media key',
    );
    assert.isTrue(a.diagnostics.list('livekit').some((e) => e.message === 'back on our SFU'));
  });

  it('gives up after reconnectTimeoutMs if it cannot get back: connection-lost, membership removed', async () => {
    const { alice, bob, roomId } = await roomOfTwo();
    const a = pool.open(alice, roomId, { reconnectTimeoutMs: 3000 });
    const b = pool.open(bob, roomId);
    await Promise.all([a.start(), b.start()]);
    await a.join();
    await b.join();
    await waitFor('Bob sees Alice', () => remote(b, alice.userId));
    // The homeserver stops handing out OpenID tokens (a stand-in: the SFU, auth service and
    // membership are real), so no fresh JWT can be had.
    const client = matrixClientOf(a);
    const getOpenIdToken = client.getOpenIdToken.bind(client);
    client.getOpenIdToken = () => Promise.reject(new Error('M_UNKNOWN: stalled'));
    const failed = new Promise((resolve) => a.on(CallSessionEvent.Error, resolve));
    const started = Date.now();
    await livekitRoomOf(a)?.simulateScenario('server-leave');
    const error = (await failed) as { reason: string };
    assert.equal(error.reason, 'connection-lost');
    assert.isAtLeast(Date.now() - started, 2500, 'kept trying for its budget');
    assert.equal(a.snapshot.phase, 'failed');
    await waitFor(
      'no ghost membership',
      async () => Object.keys((await memberState(bob, roomId, alice)).content).length === 0,
      10_000,
    );
    await waitFor('Bob no longer shows Alice', () => !remote(b, alice.userId), 10_000);
    // A retry rejoins cleanly.
    client.getOpenIdToken = getOpenIdToken;
    await a.join();
    await waitFor('Bob sees Alice again', () => remote(b, alice.userId), 10_000);
    await assertDecodes(b, identityOf(alice));
  });

  it('carries on through a homeserver outage, saying so while /sync fails', async () => {
    const { bob, proxy, a } = await callBehindProxy({
      // Outlives the outage, so media can flow throughout (the next test lets it expire).
      membershipTiming: { ...fastTiming, delayedLeaveEventDelayMs: 90_000 },
    });
    assert.isTrue(a.snapshot.homeserverReachable);
    await setHomeserverFaults(proxy, { dropPercent: 100 });
    // The /sync long-poll under way finishes first: up to its 30 s timeout.
    await waitFor('Alice to notice', () => !a.snapshot.homeserverReachable, 60_000);
    assert.equal(a.snapshot.phase, 'connected');
    await assertDecodes(a, identityOf(bob)); // media goes on through the SFU
    await setHomeserverFaults(proxy, { dropPercent: 0 });
    await waitFor(
      'Alice to see the homeserver again',
      () => a.snapshot.homeserverReachable,
      60_000,
    );
    assert.isTrue(
      a.diagnostics.list('matrix').some((e) => e.message === 'the homeserver answers again'),
    );
  });

  it('an outage of our path to the homeserver longer than the delayed leave: our SFU’s auth service keeps the membership', async () => {
    const { alice, bob, roomId, proxy, a, b } = await callBehindProxy({
      membershipTiming: fastTiming,
    });
    await waitFor('the delayed leave handed over', () =>
      a.diagnostics
        .list('membership')
        .some((e) => e.message.includes('keeps our delayed leave alive')),
    );
    await setHomeserverFaults(proxy, { dropPercent: 100 });
    // Three times the 8 s delay: the service restarts it straight at Synapse meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 24_000));
    await setHomeserverFaults(proxy, { dropPercent: 0 });
    assert.isFalse(
      b.diagnostics
        .list('membership')
        .some((e) => e.message.startsWith('a member left by a delayed leave')),
      'Bob never got a leave of Alice',
    );
    assert.isAbove(Object.keys((await memberState(bob, roomId, alice)).content).length, 0);
    await Promise.all([assertDecodes(b, identityOf(alice)), assertDecodes(a, identityOf(bob))]);
  });

  it('after an outage long enough for its leave to fire (a service that does not delegate), the membership comes back: no tile vanishes, no split view', async () => {
    const { alice, bob, roomId, proxy, a, b } = await callBehindProxy({
      membershipTiming: fastTiming, // the server sends her delayed leave 8 s into the outage
      livekitServiceUrl: await nonDelegatingAuthService(),
    });
    await waitFor('the refusal to take the delayed leave', () =>
      a.diagnostics
        .list('auth')
        .some((e) => e.message === 'the auth service does not take over delayed leave events'),
    );
    const vanished = await vanishedDuring(b, alice.userId, async () => {
      await setHomeserverFaults(proxy, { dropPercent: 100 });
      // Bob gets her leave, but her media still flows: he keeps her tile.
      await waitFor(
        'Bob to get Alice’s delayed leave',
        () =>
          b.diagnostics
            .list('membership')
            .some((e) => e.message.startsWith('a member left by a delayed leave')),
        30_000,
      );
      await setHomeserverFaults(proxy, { dropPercent: 0 });
      await waitFor(
        'Alice’s membership back in the room',
        async () => Object.keys((await memberState(bob, roomId, alice)).content).length > 0,
        30_000,
      );
      await Promise.all([assertDecodes(b, identityOf(alice)), assertDecodes(a, identityOf(bob))]);
    });
    assert.isFalse(vanished, 'Bob never lost Alice’s tile');
    assert.equal(a.snapshot.phase, 'connected');
  });
});
