// RoomProfiles over a real matrix-js-sdk Room, built offline from state events.
import { assert } from '@open-wc/testing';
import { createClient, EventTimeline, MatrixEvent, Room } from 'matrix-js-sdk/lib/matrix.js';
import { DiagnosticsLog } from './diagnostics.js';
import { RoomProfiles, RoomProfilesEvent } from './room-profiles.js';

const roomId = '!room:hs';

function member(userId: string, content: Record<string, unknown>, i: number) {
  return new MatrixEvent({
    type: 'm.room.member',
    state_key: userId,
    sender: userId,
    content: { membership: 'join', ...content },
    event_id: `$m${userId}${i}`,
    room_id: roomId,
    origin_server_ts: Date.now(),
  });
}

function setup() {
  const client = createClient({ baseUrl: 'http://127.0.0.1:9', userId: '@me:hs' });
  const room = new Room(roomId, client, '@me:hs');
  const state = room.getLiveTimeline().getState(EventTimeline.FORWARDS);
  state?.setStateEvents([
    member('@me:hs', { displayname: 'Me' }, 0),
    member('@bob:hs', { displayname: 'Bob Brown' }, 0),
    member('@nameless:hs', {}, 0),
  ]);
  const sent: unknown[][] = [];
  client.sendStateEvent = (...args: unknown[]) => {
    sent.push(args);
    return Promise.resolve({ event_id: '$x' });
  };
  const log = new DiagnosticsLog();
  const profiles = new RoomProfiles(client, room, log);
  return { room, state, profiles, sent, log };
}

describe('RoomProfiles', () => {
  it('names members by their room display name, else by their user ID', () => {
    const { profiles } = setup();
    assert.deepEqual(profiles.of('@bob:hs'), { displayName: 'Bob Brown', avatarUrl: undefined });
    assert.equal(profiles.of('@nameless:hs').displayName, '@nameless:hs');
    assert.equal(profiles.of('@stranger:hs').displayName, '@stranger:hs');
  });

  it('tells look-alike names apart by user ID, and shows no hidden marks', () => {
    const { profiles, state } = setup();
    state?.setStateEvents([
      member('@mallory:evil', { displayname: 'B\u200Bob B\u200Drown' }, 1),
      member('@eve:evil', { displayname: 'Bоb Brown' }, 1), // a Cyrillic "о"
      member('@zed:hs', { displayname: 'Z\u200Bed' }, 1),
      member('@rlo:hs', { displayname: '\u202Enworb bob' }, 1),
    ]);
    assert.equal(profiles.of('@bob:hs').displayName, 'Bob Brown (@bob:hs)');
    assert.equal(profiles.of('@mallory:evil').displayName, 'Bob Brown (@mallory:evil)');
    assert.equal(profiles.of('@eve:evil').displayName, 'Bоb Brown (@eve:evil)');
    assert.equal(profiles.of('@zed:hs').displayName, 'Zed', 'unique names stay as they are');
    assert.equal(profiles.of('@rlo:hs').displayName, 'nworb bob (@rlo:hs)');
  });

  it("summarises the room, falling back to its ID, and says when it's encrypted", () => {
    const { profiles, state } = setup();
    assert.deepInclude(profiles.summary(), { roomId, encrypted: false });
    state?.setStateEvents([
      new MatrixEvent({
        type: 'm.room.encryption',
        state_key: '',
        sender: '@me:hs',
        content: { algorithm: 'm.megolm.v1.aes-sha2' },
        event_id: '$enc',
        room_id: roomId,
        origin_server_ts: Date.now(),
      }),
    ]);
    assert.isTrue(profiles.summary().encrypted);
  });

  it('tells when a member changes their name', () => {
    const { profiles, state } = setup();
    let changes = 0;
    profiles.on(RoomProfilesEvent.Changed, () => changes++);
    state?.setStateEvents([member('@bob:hs', { displayname: 'Robert' }, 1)]);
    assert.isAtLeast(changes, 1);
    assert.equal(profiles.of('@bob:hs').displayName, 'Robert');
    profiles.dispose();
    const before = changes;
    state?.setStateEvents([member('@bob:hs', { displayname: 'Rob' }, 2)]);
    assert.equal(changes, before, 'no events after dispose');
  });

  it('sets our name for this room only, keeping the member event, and skips no-ops', async () => {
    const { profiles, sent } = setup();
    await profiles.setOwnName('@me:hs', '  Me ');
    await profiles.setOwnName('@me:hs', undefined);
    assert.lengthOf(sent, 0);
    await profiles.setOwnName('@me:hs', 'Morgan');
    assert.deepEqual(sent[0], [
      roomId,
      'm.room.member',
      { membership: 'join', displayname: 'Morgan' },
      '@me:hs',
    ]);
  });
});
