// What a hostile room member, or the homeserver, can try against a call on the real stack.
import { assert } from '@open-wc/testing';
import { createRoom, registerUser, waitFor } from './local-stack.js';
import {
  assertDecodes,
  callOfTwo,
  identityOf,
  memberState,
  vanishedDuring,
  sessionPool,
} from './core-helpers.js';

describe('CallSession against forged input', function () {
  this.timeout(120_000);
  const pool = sessionPool();
  afterEach(() => pool.disposeAll());

  it('refuses a media key sent in clear in another member’s name, and keeps decoding them', async () => {
    const { alice, bob, roomId, a } = await callOfTwo(pool);
    await assertDecodes(a, identityOf(bob));
    const received = a.diagnostics
      .list('keys')
      .findLast(
        (e) => e.message === 'media key received' && e.fields?.['participant'] === identityOf(bob),
      );
    const index = Number(received?.fields?.['keyIndex'] ?? 0);
    // Under E2EE the homeserver is not trusted: it can deliver any plaintext to-device message
    // in Bob's name. Bob's own token stands in for it here.
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    const forged = {
      keys: { index, key: btoa(String.fromCharCode(...bytes)) },
      member: { id: identityOf(bob), claimed_device_id: bob.deviceId },
      room_id: roomId,
      session: { application: 'm.call', call_id: '', scope: 'm.room' },
      sent_ts: Date.now(),
    };
    const txn = `forged-${Date.now()}`;
    const response = await fetch(
      `${bob.homeserverUrl}/_matrix/client/v3/sendToDevice/io.element.call.encryption_keys/${txn}`,
      {
        method: 'PUT',
        headers: { Authorization: `Bearer ${bob.accessToken}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ messages: { [alice.userId]: { [alice.deviceId]: forged } } }),
      },
    );
    assert.equal(response.status, 200);
    await waitFor(
      'Alice to refuse the forged key',
      () =>
        a.diagnostics
          .list('keys')
          .some(
            (e) =>
              e.message ===
              'ignoring a media key that was not Olm-encrypted by its sender’s device',
          ),
      20_000,
    );
    await assertDecodes(a, identityOf(bob));
  });

  it('a member who writes {} over someone else’s membership removes nobody from view', async () => {
    const [alice, bob, mallory] = await Promise.all([
      registerUser({ displayName: 'Alice' }),
      registerUser({ displayName: 'Bob' }),
      registerUser({ displayName: 'Mallory' }),
    ]);
    const { roomId } = await createRoom(alice, {
      encrypted: true,
      invite: [bob, mallory],
      autoJoin: true,
    });
    const a = pool.open(alice, roomId);
    const b = pool.open(bob, roomId);
    await Promise.all([a.start(), b.start()]);
    await a.join();
    await b.join();
    await assertDecodes(a, identityOf(bob));
    const vanished = await vanishedDuring(a, bob.userId, async () => {
      // Power level 0 may send call memberships, under any state key.
      const stateKey = `_${bob.userId}_${bob.deviceId}_m.call`;
      const response = await fetch(
        `${mallory.homeserverUrl}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/org.matrix.msc3401.call.member/${encodeURIComponent(stateKey)}`,
        {
          method: 'PUT',
          headers: {
            Authorization: `Bearer ${mallory.accessToken}`,
            'Content-Type': 'application/json',
          },
          body: '{}',
        },
      );
      assert.equal(response.status, 200, 'the homeserver accepts the spoofed leave');
      await waitFor(
        'Alice to notice the spoofed leave',
        () =>
          a.diagnostics
            .list('membership')
            .some((e) => e.message.startsWith('another user removed')),
        15_000,
      );
      // Bob's client sends his membership again; Alice never stops showing him.
      await waitFor(
        'Bob’s membership back',
        async () => Object.keys((await memberState(alice, roomId, bob)).content).length > 0,
        30_000,
      );
      await assertDecodes(a, identityOf(bob));
    });
    assert.isFalse(vanished, 'Bob never left Alice’s view');
  });
});
