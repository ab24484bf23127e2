// The tile order's rules with the clock in hand; the grid's tests cover it in use.
import { assert } from '@open-wc/testing';
import type { CallParticipant } from '../../core/types.js';
import { fakeParticipant } from '../../../test/browser/fake-call-session.js';
import { SPEAKER_AFTER_MS, TileOrder } from './tile-order.js';

const people = (n: number) =>
  Array.from({ length: n }, (_, i) => fakeParticipant(i, { isLocal: i === 0, video: false }));
const speaking = (list: CallParticipant[], ...who: number[]) =>
  list.map((p, i) => (who.includes(i) ? { ...p, speaking: true } : p));
const page = (n: number) => ({ firstPage: 3, shownFrom: n * 3, shownTo: n * 3 + 3 });

describe('TileOrder', () => {
  let order: TileOrder;
  beforeEach(() => {
    order = new TileOrder(() => undefined);
  });
  afterEach(() => {
    order.dispose();
  });
  const ids = (list: CallParticipant[]) => list.map((p) => p.id);

  it('starts in the given order, and moves a speaker only after a second', () => {
    const list = people(7);
    assert.deepEqual(order.arrange(list, page(0), 0), ids(list));
    const talk = speaking(list, 5);
    assert.deepEqual(order.arrange(talk, page(0), 10), ids(list), 'not at once');
    assert.deepEqual(order.arrange(talk, page(0), 10 + SPEAKER_AFTER_MS - 1), ids(list));
    const moved = order.arrange(talk, page(0), 10 + SPEAKER_AFTER_MS);
    assert.deepEqual(
      moved,
      ids([list[0], list[1], list[5], list[3], list[4], list[2], list[6]] as CallParticipant[]),
    );
  });

  it('restarts the second when the speaking stops', () => {
    const list = people(7);
    order.arrange(list, page(0), 0);
    order.arrange(speaking(list, 5), page(0), 0);
    order.arrange(list, page(0), 900);
    order.arrange(speaking(list, 5), page(0), 950);
    assert.deepEqual(order.arrange(speaking(list, 5), page(0), 1500), ids(list));
  });

  it('leaves a speaker you are looking at where they are', () => {
    const list = people(9);
    order.arrange(list, page(1), 0);
    const talk = speaking(list, 4, 7);
    order.arrange(talk, page(1), 0);
    const after = order.arrange(talk, page(1), SPEAKER_AFTER_MS);
    assert.equal(after.indexOf(list[4]?.id ?? ''), 4, 'on the page shown: stays');
    assert.isBelow(after.indexOf(list[7]?.id ?? ''), 3, 'off screen: to the first page');
    assert.deepEqual(after.slice(3, 6), ids(list.slice(3, 6)), 'page 2 untouched');
  });

  it('never moves you, and makes room with whoever spoke least recently', () => {
    const list = people(7);
    order.arrange(list, page(0), 0);
    order.arrange(speaking(list, 4), page(0), 0);
    let now = order.arrange(speaking(list, 4), page(0), 1000);
    assert.deepEqual(now.slice(0, 3), ids([list[0], list[1], list[4]] as CallParticipant[]));
    order.arrange(speaking(list, 6), page(0), 2000);
    now = order.arrange(speaking(list, 6), page(0), 3000);
    assert.deepEqual(now.slice(0, 3), ids([list[0], list[6], list[4]] as CallParticipant[]));
  });
});
