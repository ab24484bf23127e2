// IncomingCalls over a real matrix-js-sdk Room: timeline events are added offline.
import { assert } from '@open-wc/testing';
import { createClient, MatrixEvent, Room, RoomEvent } from 'matrix-js-sdk/lib/matrix.js';
import { DiagnosticsLog } from './diagnostics.js';
import { IncomingCalls, IncomingCallsEvent } from './incoming-calls.js';
import type { IncomingCallNotification } from './types.js';
import { waitFor } from '../../test/support/wait-for.js';

const roomId = '!room:hs';

function notification(lifetime = 30_000, id = '$n1') {
  return new MatrixEvent({
    type: 'org.matrix.msc4075.rtc.notification',
    sender: '@alice:hs',
    content: {
      'm.mentions': { user_ids: [], room: true },
      notification_type: 'ring',
      sender_ts: Date.now(),
      lifetime,
      'm.call.intent': 'video',
    },
    event_id: id,
    room_id: roomId,
    origin_server_ts: Date.now(),
  });
}

function setup(muted = false) {
  const client = createClient({ baseUrl: 'http://127.0.0.1:9', userId: '@me:hs' });
  const room = new Room(roomId, client, '@me:hs');
  const incoming = new IncomingCalls({
    room,
    ownUserId: '@me:hs',
    log: new DiagnosticsLog(),
    muted: () => muted,
  });
  const rings: IncomingCallNotification[] = [];
  let changes = 0;
  incoming.on(IncomingCallsEvent.Incoming, (n) => rings.push(n));
  incoming.on(IncomingCallsEvent.Changed, () => changes++);
  const arrive = (event: MatrixEvent) =>
    room.emit(RoomEvent.Timeline, event, room, false, false, {
      timeline: room.getLiveTimeline(),
      liveEvent: true,
    });
  return { incoming, rings, changes: () => changes, arrive };
}

describe('IncomingCalls', () => {
  it('rings for a notification addressed to the room, until it expires', async () => {
    const { incoming, rings, arrive, changes } = setup();
    arrive(notification(300));
    assert.lengthOf(rings, 1);
    assert.include(incoming.current, { sender: '@alice:hs', type: 'ring', intent: 'video' });
    await waitFor('the ring to expire', () => !incoming.current, 5000, 20);
    assert.equal(changes(), 2);
    incoming.dispose();
  });

  it('stays quiet while we are in the call, and can be cleared', () => {
    const quiet = setup(true);
    quiet.arrive(notification());
    assert.lengthOf(quiet.rings, 0);
    const { incoming, arrive } = setup();
    arrive(notification());
    incoming.clear();
    assert.isUndefined(incoming.current);
    incoming.dispose();
  });

  it('ignores other events, and nothing rings after dispose', () => {
    const { incoming, rings, arrive } = setup();
    arrive(
      new MatrixEvent({
        type: 'm.room.message',
        sender: '@alice:hs',
        content: { body: 'hi' },
        event_id: '$m',
        room_id: roomId,
      }),
    );
    incoming.dispose();
    arrive(notification());
    assert.lengthOf(rings, 0);
  });
});
