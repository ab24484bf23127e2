// End to end over federation: one federated stack (homeservers A and B, each with its own
// LiveKit and auth service), people on both in separate Chromium processes with their own
// camera colours, joining through <matrix-call>. Each publishes to their own SFU and
// subscribes to the other's. Screenshots go to .artifacts/e2e/.
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { RoomServiceClient } from 'livekit-server-sdk';
import { liveKitRoomAlias } from '../../stack/auth-service/index.js';
import {
  restartService,
  setFullAccessHomeservers,
  type DeploymentInfo,
} from '../../stack/index.js';
import { E2ERun, Participant, secretLeaks, waitFor } from './harness.js';

void describe('end to end over federation: A and B', { timeout: 600_000 }, () => {
  let run: E2ERun;
  let a: DeploymentInfo;
  let b: DeploymentInfo;
  let red: Participant; // on A
  let blue: Participant; // on B
  let green: Participant; // on A

  before(async () => {
    run = await E2ERun.start({ federated: true });
    const fed = run.stack.federation;
    if (!fed) throw new Error('no federated stack');
    ({ a, b } = fed);
    [red, blue, green] = await Promise.all([
      Participant.launch(run, 'fa', 'red'),
      Participant.launch(run, 'fb', 'blue'),
      Participant.launch(run, 'fc', 'green'),
    ]);
  });

  after(async () => {
    await run.close();
  });

  afterEach(() => {
    run.assertNoNewPageErrors();
  });

  /** Identities in the LiveKit room of a Matrix room on a deployment's SFU: [identity, publishing]. */
  async function sfuParticipants(d: DeploymentInfo, roomId: string): Promise<[string, boolean][]> {
    const rooms = new RoomServiceClient(d.livekitUrl, d.livekitApiKey, d.livekitApiSecret, {
      requestTimeout: 10,
    });
    const list = await rooms.listParticipants(liveKitRoomAlias(roomId));
    return list.map((p) => [p.identity, p.tracks.length > 0]);
  }

  async function keyRotatedAfter(p: Participant, since: number): Promise<void> {
    await waitFor(
      `${p.label} to rotate its media key`,
      async () => {
        const log = JSON.parse(await p.p.evaluate(() => window.__e2e.diagnostics())) as {
          entries: { time: string; message: string; fields?: { keyIndex?: number } }[];
        };
        return log.entries.some(
          (e) =>
            e.message === 'own media key in use' &&
            Date.parse(e.time) > since &&
            (e.fields?.keyIndex ?? 0) > 0,
        );
      },
      15_000,
      250,
    );
  }

  void it('1+2. A and B in an encrypted room, each on their own SFU; a third joins, one leaves, keys rotate', async () => {
    const [alice, bob, carol] = await Promise.all([
      run.user('Alice', 'a'),
      run.user('Bob', 'b'),
      run.user('Carol', 'a'),
    ]);
    assert.ok(bob.userId.endsWith(`:${b.serverName}`));
    const room = await run.room(alice, [bob, carol]);
    await Promise.all([red.open(alice, room), blue.open(bob, room), green.open(carol, room)]);
    await red.join();
    await blue.join();
    await Promise.all([red.seesVideoOf(blue, 60_000), blue.seesVideoOf(red, 60_000)]);
    // Each publishes on their own SFU and subscribes (without publishing) on the other's.
    const onA = await sfuParticipants(a, room);
    const onB = await sfuParticipants(b, room);
    const published = (list: [string, boolean][], userId: string) =>
      list.some(([id, publishing]) => id.startsWith(`${userId}:`) && publishing);
    // Subscribe-only connections come from /get_token, so their identities are MSC4195
    // hashes: the one participant on each SFU that publishes nothing is the other side.
    const subscribers = (list: [string, boolean][]) => list.filter(([, publishing]) => !publishing);
    assert.ok(published(onA, alice.userId), `Alice publishes on A: ${JSON.stringify(onA)}`);
    assert.ok(published(onB, bob.userId), `Bob publishes on B: ${JSON.stringify(onB)}`);
    assert.equal(subscribers(onA).length, 1, `Bob subscribes on A: ${JSON.stringify(onA)}`);
    assert.equal(subscribers(onB).length, 1, `Alice subscribes on B: ${JSON.stringify(onB)}`);
    assert.ok(
      [...subscribers(onA), ...subscribers(onB)].every(([id]) => !id.includes(':')),
      'subscribers carry hashed identities',
    );
    await Promise.all([red.screenshot('f1-a-and-b'), blue.screenshot('f1-a-and-b')]);

    await green.join();
    const all = [red, blue, green];
    await Promise.all(
      all.flatMap((me) =>
        all.filter((o) => o !== me).map((other) => me.seesVideoOf(other, 60_000)),
      ),
    );
    await Promise.all([red.watch(bob.userId, 'gone'), green.watch(bob.userId, 'gone')]);
    await blue.leave();
    const left = await blue.lastClick();
    await Promise.all([
      red.seenAt(bob.userId, 'gone', 15_000),
      green.seenAt(bob.userId, 'gone', 15_000),
    ]);
    await blue.waitForView('ended', 10_000);
    await Promise.all([keyRotatedAfter(red, left), keyRotatedAfter(green, left)]);
    await sleep(2000);
    await Promise.all([red.seesVideoOf(green), green.seesVideoOf(red)]);
    await Promise.all([red.screenshot('f2-after-bob-left'), green.screenshot('f2-after-bob-left')]);
    await Promise.all(all.map((p) => p.closePage()));
  });

  void it('4. B refuses to create rooms: joining A’s call works, starting one alone fails', async () => {
    await setFullAccessHomeservers(run.stack, 'b', []);
    try {
      const [alice, dave] = await Promise.all([run.user('Alice', 'a'), run.user('Dave', 'b')]);
      const room = await run.room(alice, [dave]);
      await Promise.all([red.open(alice, room), blue.open(dave, room)]);
      await red.join();
      await blue.join();
      await Promise.all([red.seesVideoOf(blue, 60_000), blue.seesVideoOf(red, 60_000)]);
      await Promise.all([red.screenshot('f4-joins-a-call'), blue.screenshot('f4-joins-a-call')]);
      await Promise.all([red.closePage(), blue.closePage()]);

      const alone = await run.room(dave, []);
      await blue.open(dave, alone);
      await blue.clickJoin();
      await waitFor(
        'Dave to get sfu-room-creation-restricted',
        async () =>
          (await blue.p.evaluate(() => window.__e2e.events)).find((e) => e.type === 'call-error')
            ?.reason,
        45_000,
      ).then((reason) => {
        assert.equal(reason, 'sfu-room-creation-restricted');
      });
      await blue.screenshot('f4-alone-restricted');
      await blue.closePage();
    } finally {
      await setFullAccessHomeservers(run.stack, 'b', [b.serverName]);
    }
  });

  void it('3. B’s SFU is killed and comes back: a clear state on both sides, media resumes without a rejoin', async () => {
    const [alice, bob] = await Promise.all([run.user('Alice', 'a'), run.user('Bob', 'b')]);
    const room = await run.room(alice, [bob]);
    await Promise.all([red.open(alice, room), blue.open(bob, room)]);
    await red.join();
    await blue.join();
    await Promise.all([red.seesVideoOf(blue, 60_000), blue.seesVideoOf(red, 60_000)]);
    const restarted = restartService(run.stack, 'livekit-b', { downMs: 10_000 });
    // Bob's own SFU is gone: his call says it is reconnecting, and Alice's tile of Bob
    // stops showing his video.
    await waitFor(
      'Bob to show that the call is reconnecting',
      () =>
        blue.p.evaluate(() =>
          /Reconnecting/.test(
            document.body.innerText +
              (document.querySelector('matrix-call')?.shadowRoot?.textContent ?? ''),
          ),
        ),
      15_000,
    );
    await waitFor(
      'Alice to show Bob without video',
      async () => {
        const tile = (await red.remoteTiles('camera')).find((t) => t.userId === bob.userId);
        return !tile?.videoShown;
      },
      15_000,
    );
    await Promise.all([red.screenshot('f3-sfu-b-down'), blue.screenshot('f3-sfu-b-down')]);
    await restarted;
    const answering = Date.now();
    // Back without anybody clicking anything.
    await Promise.all([red.seesVideoOf(blue, 60_000), blue.seesVideoOf(red, 60_000)]);
    console.log(`media both ways again ${Date.now() - answering} ms after B's SFU answered`);
    assert.equal(await blue.view(), 'in-call');
    assert.ok(
      !(await blue.p.evaluate(() => window.__e2e.events)).some((e) => e.type === 'call-left'),
      'Bob never left the call',
    );
    await Promise.all([red.screenshot('f3-sfu-b-back'), blue.screenshot('f3-sfu-b-back')]);
    await Promise.all([red.closePage(), blue.closePage()]);
  });

  void it('no secret in any console line or exported diagnostics', () => {
    assert.ok(run.secrets.size >= 10, `collected ${run.secrets.size} secrets`);
    const leaks = secretLeaks(run.secrets, [
      ...run.consoleLines.map((line, i): [string, string] => [`console line ${i}`, line]),
      ...run.diagnosticsLogs.map((log, i): [string, string] => [`diagnostics log ${i}`, log]),
    ]);
    assert.deepEqual(leaks, []);
  });
});
