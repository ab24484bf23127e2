// End to end through a distant, lossy homeserver: the pages reach Synapse only through the
// stack's latency and fault proxy. The SFU and the auth service stay direct, as they would be
// for a user whose homeserver is far away but whose SFU is near.
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createHomeserverProxy, type HomeserverProxy } from '../../stack/homeserver-proxy/proxy.js';
import { allSeeAll, E2ERun, Participant, vanished, waitFor, watchForVanishing } from './harness.js';
import { liveMemberships } from './room-state.js';

void describe('end to end: a slow and lossy homeserver', { timeout: 900_000 }, () => {
  let run: E2ERun;
  let proxy: HomeserverProxy;
  let red: Participant;
  let blue: Participant;
  let green: Participant;

  before(async () => {
    run = await E2ERun.start();
    proxy = await createHomeserverProxy({ target: run.stack.synapseUrl, host: '127.0.0.1' });
    [red, blue, green] = await Promise.all([
      Participant.launch(run, 's-red', 'red'),
      Participant.launch(run, 's-blue', 'blue'),
      Participant.launch(run, 's-green', 'green'),
    ]);
  });

  after(async () => {
    await run.close();
    await proxy.close();
  });

  afterEach(() => {
    run.assertNoNewPageErrors();
  });

  void it('300 ms ± 200 ms: two people join and decode each other, then a third joins and everyone decodes everyone', async () => {
    proxy.setFaults({ latencyMs: 300, jitterMs: 200, dropPercent: 0 });
    await run.setup(
      [
        [red, 'Alice'],
        [blue, 'Bob'],
        [green, 'Carol'],
      ],
      { homeserverUrl: proxy.url },
    );
    const first = Date.now();
    await red.join();
    await blue.join();
    await allSeeAll([red, blue], 60_000);
    console.log(`Alice and Bob decode each other ${Date.now() - first} ms after Alice's Join`);
    const third = Date.now();
    await green.join();
    await allSeeAll([red, blue, green], 60_000);
    console.log(`all three decode all ${Date.now() - third} ms after Carol's Join`);
    await Promise.all([red, blue, green].map((p) => p.closePage()));
  });

  void it('3 minutes at 400 ms ± 200 ms with 5 % of requests dropped: no tile ever vanishes, media decodes throughout', async () => {
    proxy.setFaults({ latencyMs: 400, jitterMs: 200, dropPercent: 0, dropMode: 'reset' });
    const people = [red, blue, green];
    const { room, users } = await run.setup(
      [
        [red, 'Alice'],
        [blue, 'Bob'],
        [green, 'Carol'],
      ],
      { homeserverUrl: proxy.url },
    );
    for (const p of people) await p.join();
    await allSeeAll(people, 60_000);
    await watchForVanishing(people);
    // Drops start once everyone is in: the call, not the sign-in, is what must hold.
    const before = proxy.stats();
    proxy.setFaults({ dropPercent: 5, seed: 12 });
    const end = Date.now() + 180_000;
    let checks = 0;
    while (Date.now() < end) {
      await sleep(15_000);
      // Media decodes throughout: every 15 s each page's frames of the others grow.
      await allSeeAll(people, 20_000);
      checks++;
      assert.deepEqual(await vanished(people), [], 'no tile vanished');
    }
    const after = proxy.stats();
    const dropped = after.dropped.reset - before.dropped.reset;
    console.log(
      `${after.requests - before.requests} requests in 3 minutes, ${dropped} dropped; media checked ${checks} times`,
    );
    assert.ok(dropped >= 5, `the proxy dropped requests (${dropped})`);
    proxy.setFaults({ dropPercent: 0 });
    const reader = users[0];
    if (!reader) throw new Error('no user');
    await waitFor(
      'all three memberships in room state',
      async () => (await liveMemberships(reader, room)).length === 3,
      30_000,
      500,
    );
    assert.deepEqual(await vanished(people), [], 'no tile vanished');
    await Promise.all(people.map((p) => p.closePage()));
  });
});
