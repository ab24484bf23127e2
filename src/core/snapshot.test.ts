// The snapshot is a pure function of the collaborators' states: built here from plain data.
import { assert } from '@open-wc/testing';
import type { MemberInfo } from './membership.js';
import type { ParticipantMedia } from './participant-media.js';
import { buildSnapshot, noProfile, type SnapshotInput } from './snapshot.js';
import type { CallPhase, CallTrack, LocalMediaState } from './types.js';

const track = (id: string): CallTrack => ({
  id,
  kind: 'video',
  source: 'camera',
  isLocal: false,
  mediaStreamTrack: {} as MediaStreamTrack,
  observeView: () => ({ update: () => undefined, release: () => undefined }),
});

const member = (userId: string, deviceId: string, createdTs = 1000): MemberInfo => ({
  identity: `${userId}:${deviceId}`,
  userId,
  deviceId,
  memberId: `${userId}:${deviceId}`,
  serviceUrl: 'https://jwt.example.org',
  createdTs,
  expired: false,
});

const local: LocalMediaState = {
  microphoneEnabled: true,
  cameraEnabled: false,
  screenShareEnabled: false,
  audioInputId: undefined,
  videoInputId: undefined,
  audioOutputId: undefined,
  cameraTrack: undefined,
  microphoneTrack: undefined,
  audioLevel: 0.25,
  canSelectAudioOutput: true,
  canShareScreen: true,
  problem: undefined,
};

const bobMedia: ParticipantMedia = {
  speaking: true,
  audioLevel: 0.5,
  connectionQuality: 'good',
  microphoneEnabled: true,
  cameraEnabled: true,
  screenShareEnabled: false,
  cameraTrack: track('bob-cam'),
  microphoneTrack: track('bob-mic'),
  screenShareTrack: undefined,
  screenShareAudioTrack: undefined,
};

function input(patch: Partial<SnapshotInput> = {}): SnapshotInput {
  return {
    status: 'ready',
    phase: 'connected',
    phaseSince: 500,
    error: undefined,
    homeserverReachable: true,
    self: { userId: '@me:hs', deviceId: 'ME' },
    room: { roomId: '!r:hs', name: 'Standup', avatarUrl: undefined, encrypted: true },
    encryption: 'per-participant',
    members: [member('@me:hs', 'ME', 900), member('@bob:hs', 'B'), member('@carol:hs', 'C')],
    profileOf: (userId) => ({ displayName: userId.slice(1, -3), avatarUrl: undefined }),
    encryptionOf: (identity) => (identity.startsWith('@carol') ? 'waiting-for-key' : 'ok'),
    local,
    devices: { audioinput: [], videoinput: [], audiooutput: [] },
    sfuLocal: { speaking: false, connectionQuality: 'excellent', screenShareTrack: undefined },
    sfuRemotes: new Map([['@bob:hs:B', bobMedia]]),
    incoming: undefined,
    ...patch,
  };
}

describe('buildSnapshot', () => {
  it('lists us first, then every member, with or without their media yet', () => {
    const s = buildSnapshot(input());
    assert.deepEqual(
      s.participants.map((p) => [p.id, p.isLocal, p.displayName]),
      [
        ['@me:hs:ME', true, 'me'],
        ['@bob:hs:B', false, 'bob'],
        ['@carol:hs:C', false, 'carol'],
      ],
    );
    const [me, bob, carol] = s.participants;
    assert.include(me, {
      audioLevel: 0.25,
      cameraEnabled: false,
      connectionQuality: 'excellent',
      encryption: 'ok',
      joinedAt: 900,
    });
    assert.isUndefined(me?.microphoneTrack, 'we never play ourselves');
    assert.include(bob, { speaking: true, cameraEnabled: true, connectionQuality: 'good' });
    assert.equal(bob?.cameraTrack?.id, 'bob-cam');
    assert.include(carol, {
      speaking: false,
      cameraEnabled: false,
      connectionQuality: 'unknown',
      encryption: 'waiting-for-key',
    });
    assert.isUndefined(carol?.cameraTrack);
  });

  it('shows at most three devices per user, those with media first, so made-up memberships push nobody away', () => {
    const spam = Array.from({ length: 20 }, (_, i) => member('@mallory:evil', `FAKE${i}`, 10 + i));
    const s = buildSnapshot(
      input({
        members: [
          ...spam,
          member('@me:hs', 'ME', 900),
          member('@bob:hs', 'B'),
          member('@mallory:evil', 'REAL', 5000),
        ],
        sfuRemotes: new Map([
          ['@bob:hs:B', bobMedia],
          ['@mallory:evil:REAL', bobMedia],
        ]),
      }),
    );
    const ids = s.participants.map((p) => p.id);
    assert.includeMembers(ids, ['@me:hs:ME', '@bob:hs:B', '@mallory:evil:REAL']);
    assert.lengthOf(
      ids.filter((id) => id.startsWith('@mallory')),
      3,
    );
    assert.includeMembers(ids, ['@mallory:evil:FAKE0', '@mallory:evil:FAKE1'], 'then the oldest');
    assert.equal(s.callInProgress.userCount, 3, 'counts users (us, Bob, Mallory), not devices');
  });

  it('shows participants only while joining or in the call', () => {
    const shown = (phase: CallPhase) => buildSnapshot(input({ phase })).participants.length;
    assert.equal(shown('joining'), 3);
    assert.equal(shown('reconnecting'), 3);
    for (const phase of ['idle', 'connecting', 'leaving', 'ended', 'failed'] as const)
      assert.equal(shown(phase), 0, phase);
    assert.lengthOf(buildSnapshot(input({ sfuLocal: undefined })).participants, 0, 'no SFU yet');
  });

  it('tells who is in the call without us, counting users, not devices', () => {
    const s = buildSnapshot(
      input({ phase: 'idle', members: [...input().members, member('@bob:hs', 'PHONE')] }),
    );
    assert.isTrue(s.callInProgress.active);
    assert.deepEqual(
      s.callInProgress.members.map((m) => `${m.displayName}/${m.deviceId}`),
      ['bob/B', 'carol/C', 'bob/PHONE'],
    );
    assert.equal(s.callInProgress.userCount, 3);
    const empty = buildSnapshot(input({ members: [] })).callInProgress;
    assert.deepEqual(empty, { active: false, members: [], userCount: 0 });
  });

  it('names the user and the phase, and works before sign-in', () => {
    const s = buildSnapshot(input({ phase: 'authorizing' }));
    assert.deepEqual(s.user, {
      userId: '@me:hs',
      deviceId: 'ME',
      displayName: 'me',
      avatarUrl: undefined,
    });
    assert.equal(s.phaseLabel, 'Getting permission to join…');
    const before = buildSnapshot(
      input({
        status: 'starting',
        phase: 'idle',
        self: undefined,
        room: undefined,
        members: [],
        profileOf: noProfile,
        sfuLocal: undefined,
        sfuRemotes: new Map(),
      }),
    );
    assert.isUndefined(before.user);
    assert.isUndefined(before.room);
    assert.lengthOf(before.participants, 0);
  });

  it('marks legacy members as unable to encrypt in an encrypted call, and plain in an unencrypted one', () => {
    const members = [member('@me:hs', 'ME', 900), { ...member('@lee:hs', 'L'), legacy: true }];
    const encrypted = buildSnapshot(input({ members }));
    assert.equal(encrypted.participants[1]?.encryption, 'unsupported');
    const plain = buildSnapshot(input({ members, encryption: 'none', encryptionOf: () => 'none' }));
    assert.equal(plain.participants[1]?.encryption, 'none');
  });

  it('marks our own tile unencrypted in an unencrypted call', () => {
    const s = buildSnapshot(input({ encryption: 'none', encryptionOf: () => 'none' }));
    assert.deepEqual(
      s.participants.map((p) => p.encryption),
      ['none', 'none', 'none'],
    );
  });
});
