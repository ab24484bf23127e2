// The core against the real local stack (Synapse + LiveKit + auth service):
// two clients in one page, each with its own crypto store, in an encrypted room.
import { assert } from '@open-wc/testing';
import { CallSession } from '../../src/core/call-session.js';
import type { CallParticipant, CallSnapshot, VideoViewHandle } from '../../src/core/types.js';
import { createRoom, credentialsOf, registerUser, waitFor, type TestUser } from './local-stack.js';

const fastTiming = {
  delayedLeaveEventDelayMs: 8000,
  delayedLeaveEventRestartMs: 2000,
  useKeyDelayMs: 500,
  networkErrorRetryMs: 500,
};

function session(user: TestUser, room: string, extra: Partial<ConstructorParameters<typeof CallSession>[0]> = {}) {
  return new CallSession({
    source: { kind: 'credentials', credentials: credentialsOf(user) },
    room,
    membershipTiming: fastTiming,
    ...extra,
  });
}

/** Shows every remote camera as a visible 320×240 view, as a tile would. */
function watchVideos(s: CallSession): () => void {
  const views = new Map<string, VideoViewHandle>();
  const update = (snap: CallSnapshot) => {
    for (const p of snap.participants) {
      const track = p.cameraTrack;
      if (p.isLocal || !track || views.has(track.id)) continue;
      views.set(track.id, track.observeView({ visible: true, width: 320, height: 240 }));
    }
  };
  update(s.snapshot);
  const off = s.subscribe(update);
  return () => {
    off();
    for (const v of views.values()) v.release();
  };
}

async function decodedFrames(s: CallSession, participantId: string): Promise<number> {
  const stats = await s.getMediaStats();
  return stats
    .filter((x) => x.participantId === participantId && x.kind === 'video')
    .reduce((n, x) => n + x.framesDecoded, 0);
}

/** `framesDecoded` for the participant's video grows by at least `by` within the timeout. */
async function assertDecodes(s: CallSession, participantId: string, by = 10, timeoutMs = 30_000) {
  const start = await decodedFrames(s, participantId);
  await waitFor(`${participantId} video decoding (+${by} frames)`, async () => (await decodedFrames(s, participantId)) >= start + by, timeoutMs, 250);
}

function remote(s: CallSession, userId: string): CallParticipant | undefined {
  return s.snapshot.participants.find((p) => !p.isLocal && p.userId === userId);
}

function decryptErrors(s: CallSession) {
  return s.diagnostics.list('e2ee').filter((e) => e.message === 'cannot decrypt incoming media');
}

describe('CallSession on the local stack', function () {
  this.timeout(120_000);
  const sessions: CallSession[] = [];
  const track = (s: CallSession) => {
    sessions.push(s);
    return s;
  };
  afterEach(async () => {
    await Promise.all(sessions.splice(0).map((s) => s.dispose()));
  });

  it('two participants in an encrypted room decode each other, with the Element Call wire format', async () => {
    const alice = await registerUser({ displayName: 'Alice' });
    const bob = await registerUser({ displayName: 'Bob' });
    const { roomId } = await createRoom(alice, { encrypted: true, invite: [bob], autoJoin: true, name: 'Standup' });
    const a = track(session(alice, roomId));
    const b = track(session(bob, roomId));
    await Promise.all([a.start(), b.start()]);
    assert.equal(a.snapshot.encryption, 'per-participant');
    assert.equal(a.snapshot.room?.name, 'Standup');
    assert.isFalse(b.snapshot.callInProgress.active);

    await a.join();
    assert.equal(a.snapshot.phase, 'connected');
    // Bob learns about the call without joining it.
    await waitFor('call in progress seen by Bob', () => b.snapshot.callInProgress.userCount === 1);
    assert.equal(b.snapshot.callInProgress.members[0]?.displayName, 'Alice');

    const offA = watchVideos(a);
    const offB = watchVideos(b);
    await b.join();
    const aliceId = `${alice.userId}:${alice.deviceId}`;
    const bobId = `${bob.userId}:${bob.deviceId}`;
    await waitFor('both see each other', () => remote(a, bob.userId) && remote(b, alice.userId));
    await Promise.all([assertDecodes(a, bobId), assertDecodes(b, aliceId)]);
    await waitFor('keys arrived both ways', () => remote(a, bob.userId)?.encryption === 'ok' && remote(b, alice.userId)?.encryption === 'ok');
    assert.lengthOf(decryptErrors(a), 0);
    assert.lengthOf(decryptErrors(b), 0);
    assert.equal(remote(b, alice.userId)?.displayName, 'Alice');
    assert.isTrue(remote(b, alice.userId)?.microphoneEnabled);

    // The membership as Element Call (compatibility mode) sends it.
    const stateKey = `_${alice.userId}_${alice.deviceId}_m.call`;
    const response = await fetch(
      `${alice.homeserverUrl}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/org.matrix.msc3401.call.member/${encodeURIComponent(stateKey)}`,
      { headers: { Authorization: `Bearer ${bob.accessToken}` } },
    );
    assert.equal(response.status, 200);
    const content = (await response.json()) as Record<string, unknown>;
    assert.deepInclude(content, {
      application: 'm.call',
      call_id: '',
      scope: 'm.room',
      device_id: alice.deviceId,
      membershipID: `${alice.userId}:${alice.deviceId}`,
      'm.call.intent': 'video',
      focus_active: { type: 'livekit', focus_selection: 'multi_sfu' },
    });
    assert.deepEqual(content['foci_preferred'], [
      { type: 'livekit', livekit_service_url: 'http://127.0.0.1:6080', livekit_alias: roomId },
    ]);
    assert.isNumber(content['expires']);

    // Keys are logged as fingerprints only.
    const keyEntries = b.diagnostics.list('keys').filter((e) => e.message === 'media key received');
    assert.isAbove(keyEntries.length, 0);
    for (const entry of keyEntries) assert.match(String(entry.fields?.['keyFingerprint']), /^[0-9a-f]{8}$/);

    // A clean leave: bounded, and Bob sees Alice go.
    const leftAt = performance.now();
    await a.leave();
    assert.isBelow(performance.now() - leftAt, 2500);
    assert.equal(a.snapshot.phase, 'ended');
    await waitFor('Alice gone for Bob', () => !remote(b, alice.userId), 5000);
    const after = await fetch(
      `${alice.homeserverUrl}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/org.matrix.msc3401.call.member/${encodeURIComponent(stateKey)}`,
      { headers: { Authorization: `Bearer ${bob.accessToken}` } },
    );
    assert.deepEqual(await after.json(), {});
    offA();
    offB();
  });
});
