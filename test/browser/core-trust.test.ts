// What a hostile room member, or the homeserver, can try against a call on the real stack.
import { assert } from '@open-wc/testing';
import { waitFor } from './local-stack.js';
import { assertDecodes, callOfTwo, identityOf, sessionPool } from './core-helpers.js';

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
});
