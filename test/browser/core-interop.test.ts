// Interoperability and robustness on the real stack: session sources, other
// clients' odd behaviour, several SFUs, ringing, and what the logs may hold.
import { assert } from '@open-wc/testing';
import { Room as LivekitRoom } from 'livekit-client';
import { createClient, SyncState, ClientEvent } from 'matrix-js-sdk/lib/matrix.js';
import { CallSession } from '../../src/core/call-session.js';
import { CallSessionEvent, type IncomingCallNotification } from '../../src/core/types.js';
import { createRoom, registerUser, stackUrls, waitFor, type TestUser } from './local-stack.js';
import {
  assertDecodes,
  decryptErrors,
  fastTiming,
  callOfTwo,
  identityOf,
  remote,
  sessionPool,
} from './core-helpers.js';

async function openIdToken(user: TestUser): Promise<unknown> {
  const response = await fetch(
    `${user.homeserverUrl}/_matrix/client/v3/user/${encodeURIComponent(user.userId)}/openid/request_token`,
    {
      method: 'POST',
      headers: { Authorization: `Bearer ${user.accessToken}`, 'Content-Type': 'application/json' },
      body: '{}',
    },
  );
  return response.json();
}

async function putState(
  user: TestUser,
  roomId: string,
  type: string,
  stateKey: string,
  content: unknown,
) {
  const response = await fetch(
    `${user.homeserverUrl}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/${type}/${encodeURIComponent(stateKey)}`,
    {
      method: 'PUT',
      headers: { Authorization: `Bearer ${user.accessToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(content),
    },
  );
  assert.equal(response.status, 200, await response.text());
}

describe('CallSession interop on the local stack', function () {
  this.timeout(120_000);
  const pool = sessionPool();
  const uncaught: unknown[] = [];
  const onError = (e: ErrorEvent) => uncaught.push(e.error ?? e.message);
  const onRejection = (e: PromiseRejectionEvent) => uncaught.push(e.reason);
  beforeEach(() => {
    uncaught.length = 0;
    window.addEventListener('error', onError);
    window.addEventListener('unhandledrejection', onRejection);
  });
  afterEach(async () => {
    window.removeEventListener('error', onError);
    window.removeEventListener('unhandledrejection', onRejection);
    await pool.disposeAll();
  });

  it('signs in with a password, creating a device, and joins', async () => {
    const alice = await registerUser({ password: 'alice password' });
    const { roomId } = await createRoom(alice, { encrypted: true });
    const s = pool.add(
      new CallSession({
        source: {
          kind: 'password',
          login: {
            homeserver: alice.homeserverUrl,
            username: alice.username,
            password: 'alice password',
          },
        },
        room: roomId,
        membershipTiming: fastTiming,
      }),
    );
    await s.start();
    assert.equal(s.snapshot.user?.userId, alice.userId);
    assert.notEqual(s.snapshot.user?.deviceId, alice.deviceId, 'a new device');
    await s.join();
    assert.equal(s.snapshot.phase, 'connected');
    assert.notInclude(s.diagnostics.export(), 'alice password');
  });

  it('uses a host page’s own started MatrixClient and leaves it running', async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    const { roomId } = await createRoom(alice, { encrypted: true, invite: [bob], autoJoin: true });
    const client = createClient({
      baseUrl: alice.homeserverUrl,
      userId: alice.userId,
      deviceId: alice.deviceId,
      accessToken: alice.accessToken,
    });
    await client.initRustCrypto({ useIndexedDB: false });
    const synced = new Promise<void>((resolve) => {
      client.on(ClientEvent.Sync, (state) => {
        if (state === SyncState.Prepared) resolve();
      });
    });
    await client.startClient();
    await synced;
    try {
      const a = pool.add(
        new CallSession({
          source: { kind: 'client', client },
          room: roomId,
          membershipTiming: fastTiming,
        }),
      );
      const b = pool.open(bob, roomId);
      await Promise.all([a.start(), b.start()]);
      await a.join();
      await b.join();
      await assertDecodes(b, identityOf(alice));
      await assertDecodes(a, identityOf(bob));
      await a.dispose();
      assert.isTrue(client.clientRunning, 'the host’s client keeps running');
    } finally {
      client.stopClient();
    }
  });

  it('ignores a LiveKit participant that has no call membership', async () => {
    const alice = await registerUser();
    const mallory = await registerUser();
    const { roomId } = await createRoom(alice, {
      encrypted: false,
      invite: [mallory],
      autoJoin: true,
    });
    const a = pool.open(alice, roomId);
    await a.start();
    await a.join();
    const { authServiceUrl } = await stackUrls();
    const grant = (await (
      await fetch(`${authServiceUrl}/sfu/get`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          room: roomId,
          openid_token: await openIdToken(mallory),
          device_id: 'ROGUE',
        }),
      })
    ).json()) as { url: string; jwt: string };
    const rogue = new LivekitRoom();
    try {
      await rogue.connect(grant.url, grant.jwt);
      await rogue.localParticipant.setCameraEnabled(true);
      await rogue.localParticipant.setMicrophoneEnabled(true);
      await waitFor('Alice notices the rogue participant', () =>
        a.diagnostics.list('livekit').some((e) => e.message.includes('without a valid membership')),
      );
      await new Promise((r) => setTimeout(r, 2000));
      assert.isUndefined(remote(a, mallory.userId), 'not shown');
      const stats = await a.getMediaStats();
      assert.isFalse(
        stats.some((x) => x.participantId === `${mallory.userId}:ROGUE`),
        'not subscribed, so not played',
      );
    } finally {
      await rogue.disconnect();
    }
  });

  it('survives malformed membership events from other clients', async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    const mallory = await registerUser();
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
    await assertDecodes(b, identityOf(alice));
    const key = (suffix: string) => `_${mallory.userId}_${suffix}_m.call`;
    const type = 'org.matrix.msc3401.call.member';
    await putState(mallory, roomId, type, key('A'), {
      application: 42,
      call_id: [],
      device_id: {},
    });
    await putState(mallory, roomId, type, key('B'), {
      foci_preferred: 'nope',
      focus_active: null,
      device_id: 'B',
      application: 'm.call',
      call_id: '',
      scope: 'm.room',
    });
    await putState(mallory, roomId, type, key('C'), { memberships: 'legacy garbage' });
    await putState(mallory, roomId, type, key('D'), {
      application: 'm.call',
      call_id: '',
      scope: 'm.room',
      device_id: 'D',
      created_ts: 1,
      expires: 1,
      focus_active: { type: 'livekit', focus_selection: 'multi_sfu' },
      foci_preferred: [{ type: 'livekit', livekit_service_url: 'javascript:alert(1)' }],
    });
    await new Promise((r) => setTimeout(r, 3000));
    assert.deepEqual(uncaught, [], 'nothing escaped the core');
    assert.equal(a.snapshot.phase, 'connected');
    assert.equal(b.snapshot.phase, 'connected');
    assert.isUndefined(
      remote(b, mallory.userId),
      'no participant from garbage or expired memberships',
    );
    await assertDecodes(b, identityOf(alice));
    assert.lengthOf(decryptErrors(b), 0);
  });

  it('subscribes on another member’s SFU (multi-SFU) and decodes both ways', async () => {
    const sfu2 = await stackUrls('sfu2');
    const main = await stackUrls();
    assert.notEqual(sfu2.authServiceUrl, main.authServiceUrl);
    const alice = await registerUser();
    const bob = await registerUser();
    const { roomId } = await createRoom(alice, { encrypted: true, invite: [bob], autoJoin: true });
    const a = pool.open(alice, roomId);
    const b = pool.open(bob, roomId, { livekitServiceUrl: sfu2.authServiceUrl });
    await Promise.all([a.start(), b.start()]);
    await a.join();
    await b.join();
    await Promise.all([assertDecodes(a, identityOf(bob)), assertDecodes(b, identityOf(alice))]);
    const subscribeOnly = (s: CallSession, sfu: string) =>
      s.diagnostics
        .list('livekit')
        .some(
          (e) =>
            e.message === 'connected' &&
            e.fields?.['role'] === 'subscribe' &&
            e.fields['sfu'] === sfu,
        );
    assert.isTrue(subscribeOnly(a, sfu2.authServiceUrl), 'Alice subscribes on SFU 2');
    assert.isTrue(subscribeOnly(b, main.authServiceUrl), 'Bob subscribes on SFU 1');
    assert.isTrue(
      a.diagnostics
        .list('auth')
        .some(
          (e) => e.message.includes('/get_token') && e.fields?.['service'] === sfu2.authServiceUrl,
        ),
      'remote SFUs are asked with /get_token first',
    );
    await waitFor(
      'keys both ways',
      () =>
        remote(a, bob.userId)?.encryption === 'ok' && remote(b, alice.userId)?.encryption === 'ok',
    );
  });

  it('rings the room when the first joiner asks to, and the callee sees it before joining', async () => {
    const alice = await registerUser({ displayName: 'Alice' });
    const bob = await registerUser();
    const { roomId } = await createRoom(alice, { encrypted: true, invite: [bob], autoJoin: true });
    const b = pool.open(bob, roomId);
    await b.start();
    const incoming = new Promise<IncomingCallNotification>((resolve) =>
      b.on(CallSessionEvent.IncomingNotification, resolve),
    );
    const a = pool.open(alice, roomId, { notify: 'ring' });
    await a.start();
    await a.join();
    const ring = await incoming;
    assert.equal(ring.type, 'ring');
    assert.equal(ring.sender, alice.userId);
    assert.equal(ring.senderName, 'Alice');
    assert.equal(ring.intent, 'video');
    assert.isAbove(ring.expiresAt, Date.now());
    assert.equal(b.snapshot.incomingNotification?.eventId, ring.eventId);
    await b.join();
    assert.isUndefined(b.snapshot.incomingNotification, 'joining answers the ring');
  });

  it('keeps access tokens, OpenID tokens, JWTs and key bytes out of diagnostics and errors', async () => {
    const { alice, bob, a, b } = await callOfTwo(pool);
    await assertDecodes(b, identityOf(alice));
    await a.leave();
    for (const s of [a, b]) {
      const text = s.diagnostics.export();
      assert.include(text, 'media key', 'the log does cover keys');
      for (const user of [alice, bob]) assert.notInclude(text, user.accessToken);
      assert.notMatch(text, /eyJ[\w-]+\.[\w-]+\./, 'no JWT');
      assert.notMatch(text, /"[A-Za-z0-9+/]{22}==/, 'no 16-byte key in base64');
      assert.notMatch(text, /access_token=(?!\[redacted\])/);
    }
  });
});
