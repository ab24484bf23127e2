// The core against the real local stack (Synapse + LiveKit + auth service):
// several clients in one page, each with its own crypto store.
import { assert } from '@open-wc/testing';
import { createRoom, registerUser, stackUrls, waitFor } from './local-stack.js';
import {
  assertDecodes,
  assertNotDecoding,
  decryptErrors,
  identityOf,
  memberState,
  remote,
  sessionPool,
} from './core-helpers.js';

describe('CallSession on the local stack', function () {
  this.timeout(120_000);
  const pool = sessionPool();
  afterEach(() => pool.disposeAll());

  it('two participants in an encrypted room decode each other, with the Element Call wire format', async () => {
    const alice = await registerUser({ displayName: 'Alice' });
    const bob = await registerUser({ displayName: 'Bob' });
    const { roomId } = await createRoom(alice, {
      encrypted: true,
      invite: [bob],
      autoJoin: true,
      name: 'Standup',
    });
    const a = pool.open(alice, roomId);
    const b = pool.open(bob, roomId);
    await Promise.all([a.start(), b.start()]);
    assert.equal(a.snapshot.encryption, 'per-participant');
    assert.equal(a.snapshot.room?.name, 'Standup');
    assert.isFalse(b.snapshot.callInProgress.active);

    await a.join();
    assert.equal(a.snapshot.phase, 'connected');
    // Bob learns about the call without joining it.
    await waitFor('call in progress seen by Bob', () => b.snapshot.callInProgress.userCount === 1);
    assert.equal(b.snapshot.callInProgress.members[0]?.displayName, 'Alice');

    await b.join();
    await waitFor('both see each other', () => remote(a, bob.userId) && remote(b, alice.userId));
    await Promise.all([assertDecodes(a, identityOf(bob)), assertDecodes(b, identityOf(alice))]);
    await waitFor(
      'keys arrived both ways',
      () =>
        remote(a, bob.userId)?.encryption === 'ok' && remote(b, alice.userId)?.encryption === 'ok',
    );
    assert.lengthOf(decryptErrors(a), 0);
    assert.lengthOf(decryptErrors(b), 0);
    assert.equal(remote(b, alice.userId)?.displayName, 'Alice');
    assert.isTrue(remote(b, alice.userId)?.microphoneEnabled);
    assert.isTrue(remote(b, alice.userId)?.cameraEnabled);

    // The membership as Element Call (compatibility mode) sends it.
    const state = await memberState(bob, roomId, alice);
    assert.equal(state.status, 200);
    assert.deepInclude(state.content, {
      application: 'm.call',
      call_id: '',
      scope: 'm.room',
      device_id: alice.deviceId,
      membershipID: `${alice.userId}:${alice.deviceId}`,
      'm.call.intent': 'video',
      focus_active: { type: 'livekit', focus_selection: 'multi_sfu' },
    });
    assert.deepEqual(state.content['foci_preferred'], [
      {
        type: 'livekit',
        livekit_service_url: (await stackUrls()).authServiceUrl,
        livekit_alias: roomId,
      },
    ]);
    assert.isNumber(state.content['expires']);

    // Keys are logged as fingerprints only.
    const keyEntries = b.diagnostics.list('keys').filter((e) => e.message === 'media key received');
    assert.isAbove(keyEntries.length, 0);
    for (const entry of keyEntries)
      assert.match(String(entry.fields?.['keyFingerprint']), /^[0-9a-f]{8}$/);

    // Muting shows on the other side.
    await a.setCameraEnabled(false);
    await waitFor(
      'Bob sees Alice’s camera off',
      () => remote(b, alice.userId)?.cameraEnabled === false,
      5000,
    );
    assert.isUndefined(remote(b, alice.userId)?.cameraTrack);
    await a.setMicrophoneEnabled(false);
    await waitFor(
      'Bob sees Alice muted',
      () => remote(b, alice.userId)?.microphoneEnabled === false,
      5000,
    );

    // A clean leave: bounded, and Bob sees Alice go.
    const leftAt = performance.now();
    await a.leave();
    assert.isBelow(performance.now() - leftAt, 2500);
    assert.equal(a.snapshot.phase, 'ended');
    await waitFor('Alice gone for Bob', () => !remote(b, alice.userId), 5000);
    assert.deepEqual((await memberState(bob, roomId, alice)).content, {});
  });

  it('a third participant gets the keys; when one leaves the key rotates and media continues', async () => {
    const [alice, bob, carol] = await Promise.all([
      registerUser({ displayName: 'Alice' }),
      registerUser({ displayName: 'Bob' }),
      registerUser({ displayName: 'Carol' }),
    ]);
    const { roomId } = await createRoom(alice, {
      encrypted: true,
      invite: [bob, carol],
      autoJoin: true,
    });
    const a = pool.open(alice, roomId);
    const b = pool.open(bob, roomId);
    const c = pool.open(carol, roomId);
    await Promise.all([a.start(), b.start(), c.start()]);
    await a.join();
    await b.join();
    await c.join();
    await waitFor('three participants everywhere', () =>
      [a, b, c].every((s) => s.snapshot.participants.length === 3),
    );
    await Promise.all([
      assertDecodes(c, identityOf(alice)),
      assertDecodes(c, identityOf(bob)),
      assertDecodes(a, identityOf(carol)),
      assertDecodes(b, identityOf(carol)),
    ]);
    const keyIndexSeenBy = (s: typeof b, from: string) =>
      Math.max(
        -1,
        ...s.diagnostics
          .list('keys')
          .filter((e) => e.message === 'media key received' && e.fields?.['participant'] === from)
          .map((e) => Number(e.fields?.['keyIndex'])),
      );
    const before = keyIndexSeenBy(b, identityOf(alice));

    await c.leave();
    await waitFor(
      'Carol gone for Alice and Bob',
      () => !remote(a, carol.userId) && !remote(b, carol.userId),
      5000,
    );
    assert.deepEqual((await memberState(alice, roomId, carol)).content, {});
    // Carol must not decrypt what follows: Alice rotated her key for Bob.
    try {
      await waitFor(
        'a new key index from Alice',
        () => keyIndexSeenBy(b, identityOf(alice)) > before,
        15_000,
      );
    } catch (error) {
      for (const [name, s] of [
        ['alice', a],
        ['bob', b],
      ] as const) {
        console.log(
          name,
          JSON.stringify(
            s.diagnostics
              .list()
              .filter((e) => e.category !== 'media')
              .map((e) => [e.time % 100000, e.category, e.message, e.fields]),
          ),
        );
      }
      throw error;
    }
    await Promise.all([assertDecodes(b, identityOf(alice)), assertDecodes(a, identityOf(bob))]);
    assert.lengthOf(decryptErrors(a), 0);
    assert.lengthOf(decryptErrors(b), 0);
  });

  it('an unencrypted room carries media without E2EE', async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    const { roomId } = await createRoom(alice, { encrypted: false, invite: [bob], autoJoin: true });
    const a = pool.open(alice, roomId);
    const b = pool.open(bob, roomId);
    await Promise.all([a.start(), b.start()]);
    assert.equal(a.snapshot.encryption, 'none');
    await a.join();
    await b.join();
    await waitFor('both see each other', () => remote(a, bob.userId) && remote(b, alice.userId));
    await assertDecodes(b, identityOf(alice));
    assert.equal(remote(b, alice.userId)?.encryption, 'none');
    const connected = b.diagnostics.list('livekit').find((e) => e.message === 'connected');
    assert.equal(connected?.fields?.['e2ee'], false);
  });

  it('shared-secret mode works, and a wrong secret shows "key invalid" without hanging', async () => {
    const [alice, bob, eve] = await Promise.all([registerUser(), registerUser(), registerUser()]);
    const { roomId } = await createRoom(alice, {
      encrypted: false,
      invite: [bob, eve],
      autoJoin: true,
    });
    const secret = 'correct horse battery staple';
    const a = pool.open(alice, roomId, { password: secret });
    const b = pool.open(bob, roomId, { password: secret });
    const e = pool.open(eve, roomId, { password: 'wrong secret' });
    await Promise.all([a.start(), b.start(), e.start()]);
    assert.equal(a.snapshot.encryption, 'shared-secret');
    await a.join();
    await b.join();
    await waitFor('both see each other', () => remote(a, bob.userId) && remote(b, alice.userId));
    await Promise.all([assertDecodes(a, identityOf(bob)), assertDecodes(b, identityOf(alice))]);

    await e.join();
    assert.equal(e.snapshot.phase, 'connected', 'a wrong secret does not block joining');
    await waitFor(
      'Eve sees Alice as undecryptable',
      () => remote(e, alice.userId)?.encryption === 'key-invalid',
      15_000,
    );
    await assertNotDecoding(e, identityOf(alice));
    // The secret never reaches the diagnostics.
    assert.notInclude(e.diagnostics.export(), 'wrong secret');
    assert.notInclude(a.diagnostics.export(), secret);
  });
});
