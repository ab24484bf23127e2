import { assert } from '@open-wc/testing';
import { findOrphans, readScheduled } from './orphan-leaves.js';

const TYPE = 'org.matrix.msc3401.call.member';
const OURS = '_@alice:hs_DEV_m.call';
const item = (delayId: string, since: number, stateKey = OURS, roomId = '!r:hs') => ({
  delay_id: delayId,
  room_id: roomId,
  type: TYPE,
  state_key: stateKey,
  delay: 18_000,
  running_since: since,
  content: {},
});

describe('orphaned delayed leaves', () => {
  it('reads Synapse’s list and the current draft’s, and leaves malformed entries out', () => {
    const synapse = readScheduled({ delayed_events: [item('a', 1), { delay_id: 7 }, null, 'x'] });
    assert.deepEqual(synapse, [{ delayId: 'a', roomId: '!r:hs', type: TYPE, stateKey: OURS }]);
    const draft = readScheduled({
      scheduled: [{ delay_id: 'b', room_id: '!r:hs', type: TYPE, delayed_since_ts: 2 }],
    });
    assert.deepEqual(draft, [{ delayId: 'b', roomId: '!r:hs', type: TYPE, stateKey: undefined }]);
    assert.deepEqual(readScheduled('nonsense'), []);
    assert.deepEqual(readScheduled({ delayed_events: 'nonsense' }), []);
  });

  it('finds the other leaves over our own membership, and no others', () => {
    const list = readScheduled({
      delayed_events: [
        item('orphan', 1000),
        item('current', 5000),
        item('later', 6000),
        item('other-device', 1000, '_@alice:hs_OTHER_m.call'),
        item('other-room', 1000, OURS, '!elsewhere:hs'),
        { ...item('other-type', 1000), type: 'm.room.topic' },
      ],
    });
    assert.deepEqual(
      findOrphans(list, 'current').map((o) => o.delayId),
      ['orphan', 'later'],
    );
  });

  it('does nothing when our current delayed leave is not in the list', () => {
    const list = readScheduled({ delayed_events: [item('old', 0)] });
    assert.deepEqual(findOrphans(list, 'gone'), []);
  });
});
