// CallReactions over a real matrix-js-sdk Room, offline: events are added to the timeline by
// hand, and the memberships come from a stand-in for the RTC session (only its list is read).
import { assert } from '@open-wc/testing';
import { createClient, MatrixEvent, Room, RoomEvent } from 'matrix-js-sdk/lib/matrix.js';
import { MatrixRTCSessionEvent, type MatrixRTCSession } from 'matrix-js-sdk/lib/matrixrtc/index.js';
import {
  CALL_REACTION_EVENT,
  CallReactions,
  CallReactionsEvent,
  RAISED_HAND_KEY,
} from './call-reactions.js';
import { DiagnosticsLog } from './diagnostics.js';
import { REACTION_SHOW_MS } from './reaction-set.js';
import { waitFor } from '../../test/support/wait-for.js';

const roomId = '!room:hs';
const alice = {
  eventId: '$m-alice',
  userId: '@alice:hs',
  deviceId: 'A',
  rtcBackendIdentity: '@alice:hs:A',
};
const bob = {
  eventId: '$m-bob',
  userId: '@bob:hs',
  deviceId: 'B',
  rtcBackendIdentity: '@bob:hs:B',
};
type Member = typeof alice;

function setup(members: Member[] = [alice, bob]) {
  // Port 9 (discard) refuses: fetching a membership's earlier annotations fails, as offline.
  const client = createClient({ baseUrl: 'http://127.0.0.1:9', userId: '@me:hs' });
  const room = new Room(roomId, client, '@me:hs');
  const listeners = new Set<() => void>();
  const rtc = {
    room,
    memberships: members,
    on: (event: MatrixRTCSessionEvent, f: () => void) => {
      if (event === MatrixRTCSessionEvent.MembershipsChanged) listeners.add(f);
    },
    off: (_event: string, f: () => void) => listeners.delete(f),
  };
  const log = new DiagnosticsLog();
  const reactions = new CallReactions({
    client,
    room,
    rtc: rtc as unknown as MatrixRTCSession,
    userId: '@me:hs',
    deviceId: 'ME',
    log,
  });
  let changes = 0;
  reactions.on(CallReactionsEvent.Changed, () => changes++);
  const arrive = (event: MatrixEvent) =>
    room.emit(RoomEvent.Timeline, event, room, false, false, {
      timeline: room.getLiveTimeline(),
      liveEvent: true,
    });
  const setMembers = (list: Member[]) => {
    rtc.memberships = list;
    for (const f of listeners) f();
  };
  return { reactions, arrive, setMembers, changes: () => changes, log };
}

let n = 0;
function event(type: string, sender: string, content: unknown, extra: object = {}) {
  return new MatrixEvent({
    type,
    sender,
    content: content as Record<string, unknown>,
    event_id: `$e${++n}`,
    room_id: roomId,
    origin_server_ts: Date.now(),
    unsigned: { age: 0 },
    ...extra,
  });
}

const hand = (sender: string, target: string, key = RAISED_HAND_KEY) =>
  event('m.reaction', sender, {
    'm.relates_to': { rel_type: 'm.annotation', event_id: target, key },
  });

const reaction = (sender: string, target: string, emoji: unknown, name: unknown) =>
  event(CALL_REACTION_EVENT, sender, {
    'm.relates_to': { rel_type: 'm.reference', event_id: target },
    emoji,
    name,
  });

describe('CallReactions', () => {
  it('raises a hand for an annotation of the sender’s own membership, until its redaction', () => {
    const { reactions, arrive, changes } = setup();
    const raise = hand(alice.userId, alice.eventId);
    arrive(raise);
    const at = reactions.of(alice.rtcBackendIdentity).handRaisedAt;
    assert.isNumber(at);
    assert.approximately(at ?? 0, Date.now(), 2000);
    assert.isUndefined(reactions.of(bob.rtcBackendIdentity).handRaisedAt);
    assert.equal(changes(), 1);
    arrive(event('m.room.redaction', alice.userId, {}, { redacts: raise.getId() }));
    assert.isUndefined(reactions.of(alice.rtcBackendIdentity).handRaisedAt);
    // Room version 11 puts `redacts` in the content.
    const again = hand(alice.userId, alice.eventId);
    arrive(again);
    arrive(event('m.room.redaction', alice.userId, { redacts: again.getId() }));
    assert.isUndefined(reactions.of(alice.rtcBackendIdentity).handRaisedAt);
    reactions.dispose();
  });

  it('ignores hands on someone else’s membership, other keys and non-annotations', () => {
    const { reactions, arrive, changes } = setup();
    arrive(hand(bob.userId, alice.eventId)); // Bob on Alice's membership
    arrive(hand(alice.userId, '$not-a-membership'));
    arrive(hand(alice.userId, alice.eventId, '✋'));
    arrive(hand(alice.userId, alice.eventId, '🖐')); // without the variation selector
    arrive(
      event('m.reaction', alice.userId, {
        'm.relates_to': { rel_type: 'm.reference', event_id: alice.eventId, key: RAISED_HAND_KEY },
      }),
    );
    assert.isUndefined(reactions.of(alice.rtcBackendIdentity).handRaisedAt);
    assert.isUndefined(reactions.of(bob.rtcBackendIdentity).handRaisedAt);
    assert.equal(changes(), 0);
    reactions.dispose();
  });

  it('drops a hand when its member leaves or sends a new membership', () => {
    const { reactions, arrive, setMembers } = setup();
    arrive(hand(alice.userId, alice.eventId));
    arrive(hand(bob.userId, bob.eventId));
    setMembers([bob]);
    assert.isUndefined(reactions.of(alice.rtcBackendIdentity).handRaisedAt);
    assert.isNumber(reactions.of(bob.rtcBackendIdentity).handRaisedAt);
    setMembers([{ ...bob, eventId: '$m-bob-2' }]);
    assert.isUndefined(reactions.of(bob.rtcBackendIdentity).handRaisedAt);
    reactions.dispose();
  });

  it('shows a reaction for 3 s, one per member at a time, with Element Call’s emoji for a known name', async () => {
    const { reactions, arrive } = setup();
    arrive(reaction(alice.userId, alice.eventId, '👍', 'thumbsup'));
    assert.deepEqual(reactions.of(alice.rtcBackendIdentity).reaction, {
      emoji: '👍',
      name: 'thumbsup',
    });
    // A second one while the first shows is dropped, as Element Call drops it.
    arrive(reaction(alice.userId, alice.eventId, '🎉', 'party'));
    assert.equal(reactions.of(alice.rtcBackendIdentity).reaction?.name, 'thumbsup');
    // A known name shows its own emoji, whatever `emoji` says.
    arrive(reaction(bob.userId, bob.eventId, 'x', 'party'));
    assert.deepEqual(reactions.of(bob.rtcBackendIdentity).reaction, { emoji: '🎉', name: 'party' });
    const shown = Date.now();
    await waitFor(
      'the reaction to end',
      () => !reactions.of(alice.rtcBackendIdentity).reaction,
      6000,
      20,
    );
    assert.isAtLeast(Date.now() - shown, REACTION_SHOW_MS - 200);
    arrive(reaction(alice.userId, alice.eventId, '🎉', 'party'));
    assert.equal(reactions.of(alice.rtcBackendIdentity).reaction?.name, 'party');
    reactions.dispose();
  });

  it('shows the first grapheme of an unknown reaction as generic, and ignores junk', () => {
    const { reactions, arrive, changes } = setup();
    arrive(reaction(alice.userId, alice.eventId, 42, 'thumbsup'.repeat(1000)));
    arrive(reaction(alice.userId, alice.eventId, '   ', 'mystery'));
    arrive(reaction(alice.userId, alice.eventId, { emoji: '👍' }, 'mystery'));
    arrive(reaction(alice.userId, bob.eventId, '👍', 'thumbsup')); // on Bob's membership
    arrive(event(CALL_REACTION_EVENT, alice.userId, 'not an object'));
    arrive(event(CALL_REACTION_EVENT, alice.userId, { 'm.relates_to': 'nope', emoji: '👍' }));
    arrive(event(CALL_REACTION_EVENT, alice.userId, { 'm.relates_to': null, emoji: '👍' }));
    arrive(event('m.reaction', alice.userId, { 'm.relates_to': [alice.eventId] }));
    arrive(event('m.room.redaction', alice.userId, { redacts: 7 }));
    assert.equal(changes(), 0);
    arrive(reaction(alice.userId, alice.eventId, '🦄🦄 and more', 'unicorn'));
    assert.deepEqual(reactions.of(alice.rtcBackendIdentity).reaction, {
      emoji: '🦄',
      name: 'generic',
    });
    reactions.dispose();
  });

  it('does not replay old reactions (initial sync) and survives getters that throw', () => {
    const { reactions, arrive, setMembers, log } = setup();
    const old = reaction(alice.userId, alice.eventId, '👍', 'thumbsup');
    old.localTimestamp = Date.now() - 60_000;
    arrive(old);
    assert.isUndefined(reactions.of(alice.rtcBackendIdentity).reaction);
    const hostile = hand(alice.userId, alice.eventId);
    hostile.getContent = () => {
      throw new Error('hostile getter');
    };
    arrive(hostile);
    const broken = {
      get eventId(): string {
        throw new Error('hostile membership');
      },
    };
    setMembers([broken as unknown as Member, bob]);
    arrive(hand(bob.userId, bob.eventId));
    assert.isNumber(reactions.of(bob.rtcBackendIdentity).handRaisedAt);
    assert.isTrue(log.list('reactions').some((e) => e.message.includes('unreadable')));
    reactions.dispose();
  });

  it('refuses unknown reactions, and sending without our membership', async () => {
    const { reactions } = setup();
    let error: unknown;
    await reactions.sendReaction('nonsense').catch((e: unknown) => (error = e));
    assert.match(String(error), /unknown reaction/);
    // It waits a while for our membership's echo; disposing ends the wait.
    const raising = reactions.setHandRaised(true).catch((e: unknown) => e);
    reactions.dispose();
    assert.match(String(await raising), /join the call/);
  });

  it('hears nothing after dispose', () => {
    const { reactions, arrive, changes } = setup();
    reactions.dispose();
    arrive(hand(alice.userId, alice.eventId));
    assert.equal(changes(), 0);
  });

  it('keeps our own hand up when our membership is sent again', async () => {
    const me = {
      eventId: '$m-me',
      userId: '@me:hs',
      deviceId: 'ME',
      rtcBackendIdentity: '@me:hs:ME',
    };
    const { reactions, arrive, setMembers } = setup([me, bob]);
    const sent: unknown[] = [];
    const client = (reactions as unknown as { options: { client: { sendEvent: unknown } } }).options
      .client;
    client.sendEvent = (_room: string, _type: string, content: unknown) => {
      sent.push(content);
      return Promise.resolve({ event_id: `$r${sent.length}` });
    };
    arrive(
      event('m.reaction', '@me:hs', {
        'm.relates_to': { rel_type: 'm.annotation', event_id: '$m-me', key: RAISED_HAND_KEY },
      }),
    );
    assert.isDefined(reactions.of('@me:hs:ME').handRaisedAt);
    // The camera went off: matrix-js-sdk re-sent our membership with `m.call.intent` audio.
    setMembers([{ ...me, eventId: '$m-me-2' }, bob]);
    await waitFor('our hand to go up again', () => sent.length === 1, 2000, 20);
    assert.deepEqual(sent[0], {
      'm.relates_to': { rel_type: 'm.annotation', event_id: '$m-me-2', key: RAISED_HAND_KEY },
    });
    await waitFor(
      'our hand to show again',
      () => !!reactions.of('@me:hs:ME').handRaisedAt,
      2000,
      20,
    );
    // Someone else's new membership drops their hand for good; leaving drops ours.
    setMembers([bob]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.lengthOf(sent, 1);
  });
});
