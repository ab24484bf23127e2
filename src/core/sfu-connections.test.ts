// SfuConnections' bookkeeping over stand-in LiveKit rooms: which SFUs it connects to, who it
// subscribes to, and what it reports. Real connections are covered in test/browser/core-*.test.ts.
import { assert } from '@open-wc/testing';
import { ConnectionState, DisconnectReason, RoomEvent, Track } from 'livekit-client';
import { DiagnosticsLog } from './diagnostics.js';
import type { MatrixCallError } from './errors.js';
import type { MemberInfo } from './membership.js';
import type { SfuAuthInput, SfuGrant } from './sfu-auth.js';
import type { SfuConnection, SfuConnectionOptions } from './sfu-connection.js';
import {
  foreignSfuAllowed,
  SfuConnections,
  SfuConnectionsEvent,
  type ForeignSfuPolicy,
} from './sfu-connections.js';
import { waitFor } from '../../test/support/wait-for.js';

type Listener = (...args: unknown[]) => void;

class FakePublication {
  isDesired = false;
  /** Adaptive stream's pause of a hidden video, or our own setEnabled. */
  isEnabled = true;
  /** setEnabled calls, in order. */
  readonly enabledCalls: boolean[] = [];
  readonly track = undefined;
  readonly isMuted = false;
  constructor(readonly source: Track.Source) {}
  get kind() {
    return this.source === Track.Source.Microphone ? Track.Kind.Audio : Track.Kind.Video;
  }
  get isSubscribed() {
    return this.isDesired;
  }
  setSubscribed(on: boolean) {
    this.isDesired = on;
  }
  setEnabled(on: boolean) {
    this.enabledCalls.push(on);
    this.isEnabled = on;
  }
}

class FakeParticipant {
  readonly trackPublications = new Map([
    ['TR_cam', new FakePublication(Track.Source.Camera)],
    ['TR_mic', new FakePublication(Track.Source.Microphone)],
    ['TR_screen', new FakePublication(Track.Source.ScreenShare)],
  ]);
  readonly isSpeaking = false;
  readonly audioLevel = 0;
  readonly connectionQuality = 'good';
  constructor(readonly identity: string) {}
  getTrackPublication() {
    return undefined;
  }
}

class FakeRoom {
  state: ConnectionState = ConnectionState.Disconnected;
  readonly remoteParticipants = new Map<string, FakeParticipant>();
  readonly localParticipant = {
    isSpeaking: false,
    connectionQuality: 'excellent',
    on: () => this.localParticipant,
    getTrackPublication: () => undefined,
  };
  private readonly listeners = new Map<string, Listener[]>();
  on(event: string, listener: Listener) {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }
  emit(event: string, ...args: unknown[]) {
    for (const listener of this.listeners.get(event) ?? []) listener(...args);
  }
  join(identity: string) {
    this.remoteParticipants.set(identity, new FakeParticipant(identity));
    this.emit(RoomEvent.ParticipantConnected);
  }
}

class FakeConnection {
  readonly room = new FakeRoom();
  closingDown = false;
  constructor(readonly options: SfuConnectionOptions) {}
  get serviceUrl() {
    return this.options.serviceUrl;
  }
  connect() {
    this.room.state = ConnectionState.Connected;
    return Promise.resolve();
  }
  close() {
    this.closingDown = true;
    return Promise.resolve();
  }
}

const OWN_SFU = 'https://jwt.a.example';
const OTHER_SFU = 'https://jwt.b.example';

const member = (userId: string, serviceUrl = OWN_SFU): MemberInfo => ({
  identity: `${userId}:D`,
  userId,
  deviceId: 'D',
  memberId: `${userId}:D`,
  serviceUrl,
  createdTs: 1,
  expired: false,
});

const grant = (url: string): SfuGrant => ({
  url: `ws://${new URL(url).host}`,
  jwt: 'jwt',
  livekitAlias: '!r:a',
  livekitIdentity: '@me:a:ME',
  endpoint: 'sfu/get',
});

function setup(
  failGrants = 0,
  foreignSfus: ForeignSfuPolicy = 'any',
  videoLingerMs = 0,
  keyframePauseMs = 20,
) {
  const made: FakeConnection[] = [];
  const grants: SfuAuthInput[] = [];
  let failures = failGrants;
  const log = new DiagnosticsLog();
  const connections = new SfuConnections({
    roomId: '!r:a',
    userId: '@me:a',
    deviceId: 'ME',
    homeserver: 'https://a.example',
    getOpenIdToken: () => Promise.reject(new Error('not used')),
    e2eeWorkerUrl: undefined,
    log,
    timing: {
      stallMs: 300,
      grantFirstBackoffMs: 0, // ForeignGrants has its own tests
      grantMaxBackoffMs: 0,
      remoteFirstRetryMs: 50,
      remoteMaxRetryMs: 200,
      remoteReconnectMs: 50,
      remoteGiveUpMs: 1500,
      videoLingerMs,
      keyframePauseMs,
    },
    foreignSfus,
    createConnection: (options) => {
      const connection = new FakeConnection(options);
      made.push(connection);
      return connection as unknown as SfuConnection;
    },
    livekitAnswers: () => Promise.resolve(true),
    fetchSubscribeGrant: (input) => {
      grants.push(input);
      if (failures-- > 0) return Promise.reject(new Error('auth service down'));
      return Promise.resolve(grant(input.serviceUrl));
    },
  });
  const own = () => {
    const c = made.find((m) => m.options.role === 'publish');
    if (!c) throw new Error('no own connection');
    return c;
  };
  const connectOwn = () =>
    connections.connectOwn(
      {
        serviceUrl: OWN_SFU,
        grant: grant(OWN_SFU),
        keyProvider: undefined,
        worker: undefined,
        memberId: 'uuid',
      },
      new AbortController().signal,
    );
  return { connections, made, grants, log, own, connectOwn };
}

describe('SfuConnections', () => {
  it('subscribes only to LiveKit participants with a valid membership', async () => {
    const { connections, own, connectOwn, log } = setup();
    await connectOwn();
    connections.setMembers([member('@bob:a')]);
    own().room.join('@bob:a:D');
    own().room.join('@rogue:a:D');
    const desired = (id: string) =>
      own().room.remoteParticipants.get(id)?.trackPublications.get('TR_cam')?.isDesired;
    assert.isTrue(desired('@bob:a:D'));
    assert.isFalse(desired('@rogue:a:D'));
    own().room.join('@rogue:a:D');
    const ignored = log.list('livekit').filter((e) => e.message.startsWith('ignoring'));
    assert.lengthOf(ignored, 1, 'logged once');
    connections.setMembers([]);
    assert.isFalse(desired('@bob:a:D'), 'unsubscribed when the membership goes');
    assert.deepEqual([...connections.remoteMedia().keys()], ['@bob:a:D', '@rogue:a:D']);
  });

  it('connects once per other SFU after the membership is out, and drops unused ones', async () => {
    const { connections, made, grants, connectOwn } = setup();
    await connectOwn();
    connections.setMembers([member('@bob:b', OTHER_SFU), member('@carol:b', OTHER_SFU)]);
    assert.lengthOf(made, 1, 'not before followRemoteSfus()');
    connections.followRemoteSfus();
    await waitFor('a remote connection', () => made.length === 2, 2000, 10);
    assert.equal(made[1]?.options.role, 'subscribe');
    assert.equal(grants[0]?.memberId, 'uuid');
    connections.setMembers([member('@bob:b', OTHER_SFU)]);
    assert.lengthOf(made, 2, 'one connection per SFU');
    connections.setMembers([member('@dave:a')]);
    await waitFor('closed', () => made[1]?.closingDown, 2000, 10);
  });

  it('keeps trying a failing remote SFU, with backoff, while a member publishes there', async () => {
    const { connections, grants, made, connectOwn, log } = setup(6);
    await connectOwn();
    connections.setMembers([member('@bob:b', OTHER_SFU)]);
    connections.followRemoteSfus();
    await waitFor('the seventh try', () => grants.length === 7, 6000, 20);
    assert.lengthOf(
      log.list('livekit').filter((e) => e.message === 'could not subscribe on a remote SFU'),
      6,
    );
    await waitFor(
      'connected',
      () => made.some((m) => m.room.state === ConnectionState.Connected && m !== made[0]),
      2000,
      20,
    );
  });

  it('gives up on a remote SFU that keeps failing, and tries again when memberships change', async () => {
    const { connections, grants, connectOwn, log } = setup(1000);
    await connectOwn();
    connections.setMembers([member('@bob:b', OTHER_SFU)]);
    connections.followRemoteSfus();
    await waitFor(
      'given up',
      () => log.list('livekit').some((e) => e.message.startsWith('gave up')),
      4000,
      20,
    );
    const tries = grants.length;
    assert.isBelow(tries, 20, 'bounded');
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(grants.length, tries, 'no more tries');
    connections.setMembers([member('@bob:b', OTHER_SFU), member('@carol:b', OTHER_SFU)]);
    await waitFor('a new try', () => grants.length > tries, 2000, 20);
  });

  it('contacts only the SFUs its policy allows', async () => {
    const { connections, grants, made, connectOwn, log } = setup(0, ['jwt.c.example']);
    await connectOwn();
    connections.setMembers([
      member('@bob:b', OTHER_SFU),
      member('@carol:c', 'https://jwt.c.example'),
    ]);
    connections.followRemoteSfus();
    await waitFor('the allowed SFU', () => made.length === 2, 2000, 10);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(
      grants.map((g) => g.serviceUrl),
      ['https://jwt.c.example'],
    );
    assert.lengthOf(
      log.list('livekit').filter((e) => e.message.includes('policy')),
      1,
    );
    assert.isTrue(foreignSfuAllowed('any', OTHER_SFU));
    assert.isFalse(foreignSfuAllowed('none', OTHER_SFU));
    assert.isFalse(foreignSfuAllowed(['jwt.c.example'], 'not a url'));
  });

  it('stops trying a remote SFU once nobody publishes there', async () => {
    const { connections, grants, connectOwn } = setup(1000);
    await connectOwn();
    connections.setMembers([member('@bob:b', OTHER_SFU)]);
    connections.followRemoteSfus();
    await waitFor('a few tries', () => grants.length >= 3, 3000, 10);
    connections.setMembers([]);
    const tries = grants.length;
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.equal(grants.length, tries);
  });

  it('treats a connection that stays "reconnecting" as dropped', async () => {
    const { connections, made, own, connectOwn } = setup();
    const dropped: MatrixCallError[] = [];
    connections.on(SfuConnectionsEvent.OwnDropped, (e) => dropped.push(e));
    await connectOwn();
    connections.setMembers([member('@bob:b', OTHER_SFU)]);
    connections.followRemoteSfus();
    await waitFor('a remote connection', () => made.length === 2, 2000, 10);
    // A resume that works in time is not a drop.
    own().room.emit(RoomEvent.Reconnecting);
    own().room.emit(RoomEvent.Reconnected);
    made[1]?.room.emit(RoomEvent.SignalReconnecting);
    own().room.emit(RoomEvent.Reconnecting);
    await waitFor('our own dropped', () => dropped.length === 1, 2000, 10);
    assert.isTrue(own().closingDown, 'the stalled connection is closed');
    await waitFor('the remote connected again', () => made.length === 3, 2000, 10);
    assert.isTrue(made[1]?.closingDown);
  });

  it('replaces a dropped own connection', async () => {
    const { connections, made, connectOwn } = setup();
    await connectOwn();
    made[0]?.room.emit(RoomEvent.Disconnected, DisconnectReason.SERVER_SHUTDOWN);
    await connectOwn();
    assert.lengthOf(made, 2);
    assert.isTrue(made[0]?.closingDown);
    assert.equal(made[1]?.room.state, ConnectionState.Connected);
    assert.isDefined(connections.localMedia());
  });

  it('reports our own connection dropped, and reconnects to a dropped remote one', async () => {
    const { connections, made, own, connectOwn } = setup();
    const lost: MatrixCallError[] = [];
    connections.on(SfuConnectionsEvent.OwnDropped, (e) => lost.push(e));
    await connectOwn();
    connections.setMembers([member('@bob:b', OTHER_SFU)]);
    connections.followRemoteSfus();
    await waitFor('a remote connection', () => made.length === 2, 2000, 10);
    made[1]?.room.emit(RoomEvent.Disconnected, DisconnectReason.SERVER_SHUTDOWN);
    await waitFor('reconnected', () => made.length === 3, 5000, 20);
    own().room.emit(RoomEvent.Disconnected, DisconnectReason.SERVER_SHUTDOWN);
    assert.equal(lost[0]?.reason, 'connection-lost');
  });

  it('closes everything, and follows nothing after that', async () => {
    const { connections, made, connectOwn } = setup();
    await connectOwn();
    connections.setMembers([member('@bob:b', OTHER_SFU)]);
    connections.followRemoteSfus();
    await waitFor('a remote connection', () => made.length === 2, 2000, 10);
    await connections.closeAll();
    assert.isTrue(made.every((m) => m.closingDown));
    assert.isUndefined(connections.localMedia());
    connections.setMembers([member('@carol:c', 'https://jwt.c.example')]);
    assert.lengthOf(made, 2);
  });

  describe('video of participants off screen', () => {
    const desired = (room: FakeRoom, id: string, track: string) =>
      room.remoteParticipants.get(id)?.trackPublications.get(track)?.isDesired;

    it('takes everyone until the UI says, then only the camera video on screen', async () => {
      const { connections, own, connectOwn } = setup();
      await connectOwn();
      connections.setMembers([member('@bob:a'), member('@carol:a')]);
      own().room.join('@bob:a:D');
      own().room.join('@carol:a:D');
      for (const id of ['@bob:a:D', '@carol:a:D'])
        for (const track of ['TR_cam', 'TR_mic', 'TR_screen'])
          assert.isTrue(desired(own().room, id, track), `${id} ${track} by default`);
      connections.setVisibleParticipants(['@bob:a:D']);
      assert.isTrue(desired(own().room, '@bob:a:D', 'TR_cam'));
      assert.isFalse(desired(own().room, '@carol:a:D', 'TR_cam'), 'off screen: no video');
      assert.isTrue(desired(own().room, '@carol:a:D', 'TR_mic'), 'still heard');
      assert.isTrue(desired(own().room, '@carol:a:D', 'TR_screen'), 'screen shares stay');
      connections.setVisibleParticipants(['@carol:a:D']);
      assert.isTrue(desired(own().room, '@carol:a:D', 'TR_cam'), 'back on screen at once');
      assert.isFalse(desired(own().room, '@bob:a:D', 'TR_cam'));
      connections.setVisibleParticipants(undefined);
      assert.isTrue(desired(own().room, '@bob:a:D', 'TR_cam'), 'everyone again');
    });

    it('keeps the membership and encryption rules for those on screen', async () => {
      const { connections, own, connectOwn } = setup();
      await connectOwn();
      connections.setMembers([member('@bob:a')]);
      connections.setVisibleParticipants(['@bob:a:D', '@rogue:a:D']);
      own().room.join('@bob:a:D');
      own().room.join('@rogue:a:D');
      assert.isTrue(desired(own().room, '@bob:a:D', 'TR_cam'));
      assert.isFalse(desired(own().room, '@rogue:a:D', 'TR_cam'), 'no membership, no video');
      connections.setMembers([]);
      assert.isFalse(desired(own().room, '@bob:a:D', 'TR_cam'), 'membership gone');
    });

    it('applies to participants arriving later and on remote SFUs', async () => {
      const { connections, made, own, connectOwn } = setup();
      await connectOwn();
      connections.setVisibleParticipants(['@bob:b:D']);
      connections.setMembers([member('@bob:b', OTHER_SFU), member('@carol:b', OTHER_SFU)]);
      connections.followRemoteSfus();
      await waitFor('a remote connection', () => made.length === 2, 2000, 10);
      const remote = made[1];
      if (!remote) throw new Error('no remote connection');
      await waitFor('connected', () => remote.room.state === ConnectionState.Connected, 2000, 10);
      remote.room.join('@bob:b:D');
      remote.room.join('@carol:b:D');
      assert.isTrue(desired(remote.room, '@bob:b:D', 'TR_cam'));
      assert.isFalse(desired(remote.room, '@carol:b:D', 'TR_cam'));
      assert.isTrue(desired(remote.room, '@carol:b:D', 'TR_mic'));
      assert.lengthOf(own().room.remoteParticipants, 0);
    });

    it('lets video that left the screen linger, so paging back is instant', async () => {
      const { connections, own, connectOwn } = setup(0, 'any', 300);
      await connectOwn();
      connections.setMembers([member('@bob:a'), member('@carol:a')]);
      own().room.join('@bob:a:D');
      own().room.join('@carol:a:D');
      connections.setVisibleParticipants(['@bob:a:D']);
      assert.isFalse(desired(own().room, '@carol:a:D', 'TR_cam'), 'never shown: cut at once');
      connections.setVisibleParticipants(['@carol:a:D']);
      assert.isTrue(desired(own().room, '@bob:a:D', 'TR_cam'), 'lingers');
      connections.setVisibleParticipants(['@bob:a:D']);
      assert.isTrue(desired(own().room, '@carol:a:D', 'TR_cam'), 'lingers');
      await waitFor(
        'the linger to end',
        () => desired(own().room, '@carol:a:D', 'TR_cam') === false,
        3000,
        20,
      );
      assert.isTrue(desired(own().room, '@bob:a:D', 'TR_cam'), 'shown stays');
    });
  });

  it('asks for keyframes by pausing and resuming the video it takes of someone', async () => {
    const { connections, own, connectOwn } = setup(0, 'any', 0, 100);
    await connectOwn();
    connections.setMembers([member('@bob:a'), member('@carol:a')]);
    own().room.join('@bob:a:D');
    own().room.join('@carol:a:D');
    connections.setVisibleParticipants(['@carol:a:D']);
    const pub = (id: string, track: string) => {
      const found = own().room.remoteParticipants.get(id)?.trackPublications.get(track);
      if (!found) throw new Error(`no ${track} of ${id}`);
      return found;
    };
    pub('@bob:a:D', 'TR_screen').isEnabled = false; // hidden: adaptive stream paused it
    assert.equal(connections.requestKeyframe('@bob:a:D'), 0, 'camera off screen, share hidden');
    assert.deepEqual(pub('@bob:a:D', 'TR_screen').enabledCalls, []);
    assert.equal(connections.requestKeyframe('@carol:a:D'), 2);
    assert.deepEqual(pub('@carol:a:D', 'TR_cam').enabledCalls, [false]);
    assert.deepEqual(pub('@carol:a:D', 'TR_mic').enabledCalls, [], 'audio needs no keyframe');
    own().room.join('@dave:a:D'); // a reconcile during the pause does not cut it short
    assert.deepEqual(pub('@carol:a:D', 'TR_cam').enabledCalls, [false]);
    assert.equal(connections.requestKeyframe('@carol:a:D'), 0, 'already pausing');
    await waitFor('the pause to end', () => pub('@carol:a:D', 'TR_cam').isEnabled, 3000, 10);
    assert.deepEqual(pub('@carol:a:D', 'TR_cam').enabledCalls, [false, true]);
    assert.deepEqual(pub('@carol:a:D', 'TR_screen').enabledCalls, [false, true]);
    assert.equal(connections.requestKeyframe('@nobody:a:D'), 0);
  });

  it('resumes a keyframe pause that ended off screen once the video is taken again', async () => {
    const { connections, own, connectOwn } = setup(0, 'any', 0, 50);
    await connectOwn();
    connections.setMembers([member('@carol:a')]);
    own().room.join('@carol:a:D');
    const cam = own().room.remoteParticipants.get('@carol:a:D')?.trackPublications.get('TR_cam');
    if (!cam) throw new Error('no camera');
    assert.equal(connections.requestKeyframe('@carol:a:D'), 2);
    connections.setVisibleParticipants([]);
    assert.isFalse(cam.isDesired);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(cam.enabledCalls, [false], 'not resumed while unsubscribed');
    connections.setVisibleParticipants(['@carol:a:D']);
    assert.isTrue(cam.isDesired);
    assert.deepEqual(cam.enabledCalls, [false, true]);
  });
});
