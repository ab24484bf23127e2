import { assert } from '@open-wc/testing';
import { DiagnosticsLog } from './diagnostics.js';
import type { MemberInfo } from './membership.js';
import { NoShows, NoShowsEvent } from './no-shows.js';

const OURS = 'https://jwt.ours';
const member = (userId: string, deviceId: string, serviceUrl = OURS): MemberInfo => ({
  identity: `${userId}:${deviceId}`,
  userId,
  deviceId,
  memberId: `${userId}:${deviceId}`,
  serviceUrl,
  createdTs: 1,
  expired: false,
});

function setup() {
  let now = 0;
  const onSfu = new Set<string>();
  const connected = new Set([OURS]);
  const log = new DiagnosticsLog();
  const noShows = new NoShows({
    onSfu: (id) => onSfu.has(id),
    connectedTo: (url) => connected.has(url),
    log,
    noShowMs: 1000,
    now: () => now,
  });
  return { noShows, onSfu, connected, log, tick: (ms: number) => (now += ms) };
}

const ids = (list: readonly MemberInfo[]) => list.map((m) => m.identity);

describe('NoShows', () => {
  const bob = member('@bob:hs', 'B');
  const fake = member('@mallory:hs', 'FAKE');

  it('hides a membership whose device never joins the SFU it names, and says so', () => {
    const { noShows, onSfu, tick, log } = setup();
    onSfu.add(bob.identity);
    assert.deepEqual(ids(noShows.visible([bob, fake])), [bob.identity, fake.identity]);
    tick(999);
    assert.lengthOf(noShows.visible([bob, fake]), 2, 'not yet');
    tick(1);
    assert.deepEqual(ids(noShows.visible([bob, fake])), [bob.identity]);
    assert.isTrue(log.list('membership').some((e) => e.fields?.['participant'] === fake.identity));
    onSfu.add(fake.identity); // it shows up after all
    assert.lengthOf(noShows.visible([bob, fake]), 2);
    noShows.dispose();
  });

  it('hides nobody who was on the SFU once: an SFU restart keeps every tile', () => {
    const { noShows, onSfu, tick } = setup();
    onSfu.add(bob.identity);
    noShows.visible([bob]);
    onSfu.clear();
    tick(60_000);
    assert.lengthOf(noShows.visible([bob]), 1);
    noShows.dispose();
  });

  it('runs no clock for an SFU we are not on', () => {
    const { noShows, connected, tick } = setup();
    const remote = member('@bob:remote', 'B', 'https://jwt.remote');
    noShows.visible([remote]);
    tick(5000);
    assert.lengthOf(noShows.visible([remote]), 1, 'their SFU may just be unreachable');
    connected.clear();
    assert.lengthOf(noShows.visible([fake]), 1, 'nor while our own SFU connection is down');
    noShows.dispose();
  });

  it('forgets a membership that goes, so that joining again starts a new clock', () => {
    const { noShows, tick } = setup();
    noShows.visible([fake]);
    tick(1000);
    assert.lengthOf(noShows.visible([fake]), 0);
    noShows.visible([]);
    assert.lengthOf(noShows.visible([fake]), 1);
    noShows.dispose();
  });

  it('tells when a clock runs out', async () => {
    const noShows = new NoShows({
      onSfu: () => false,
      connectedTo: () => true,
      log: new DiagnosticsLog(),
      noShowMs: 30,
    });
    const changed = new Promise<void>((resolve) =>
      noShows.on(NoShowsEvent.Changed, () => {
        resolve();
      }),
    );
    noShows.visible([fake]);
    await changed;
    assert.lengthOf(noShows.visible([fake]), 0);
    noShows.dispose();
  });
});
