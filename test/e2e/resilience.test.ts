// End to end, when things go wrong: the SFU restarts, the homeserver freezes, people come and
// go for minutes, a browser refuses its camera, and a room member attacks the call. Every
// check is on what the people in the call see and decode. Runs on the shared local stack.
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pauseService, restartService, resumeService } from '../../stack/index.js';
import {
  allSeeAll,
  ARTIFACTS,
  E2ERun,
  Participant,
  secretLeaks,
  vanished,
  waitFor,
  watchForVanishing,
} from './harness.js';
import {
  CALL_MEMBER,
  liveMemberships,
  membershipContent,
  putState,
  sendPlainToDevice,
  setDisplayName,
} from './room-state.js';

/** An lk-jwt-service that answers every request with 500: counts the POSTs it gets. */
async function serveCounting(): Promise<{
  url: string;
  posts: () => number;
  close: () => Promise<void>;
}> {
  let posts = 0;
  const server = createServer((req, res) => {
    if (req.method === 'POST') posts++;
    res.writeHead(req.method === 'OPTIONS' ? 204 : 500, {
      'access-control-allow-origin': '*',
      'access-control-allow-headers': '*',
      'access-control-allow-methods': 'GET, POST, OPTIONS',
      'content-type': 'application/json',
    });
    res.end(req.method === 'OPTIONS' ? undefined : '{"errcode":"M_UNKNOWN","error":"down"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    posts: () => posts,
    close: () =>
      new Promise((resolve) =>
        server.close(() => {
          resolve();
        }),
      ),
  };
}

void describe(
  'end to end: a call that survives faults and hostile members',
  { timeout: 900_000 },
  () => {
    let run: E2ERun;
    let red: Participant;
    let blue: Participant;
    let green: Participant;

    before(async () => {
      run = await E2ERun.start();
      [red, blue, green] = await Promise.all([
        Participant.launch(run, 'r-red', 'red'),
        Participant.launch(run, 'r-blue', 'blue'),
        Participant.launch(run, 'r-green', 'green'),
      ]);
    });

    after(async () => {
      await run.close();
    });

    afterEach(() => {
      run.assertNoNewPageErrors();
    });

    void it('the SFU is killed and back 6 s later: media resumes within 10 s of it answering, with no click', async () => {
      await run.setup([
        [red, 'Alice'],
        [blue, 'Bob'],
      ]);
      await red.join();
      await blue.join();
      await allSeeAll([red, blue]);
      await restartService(run.stack, 'livekit', { downMs: 6000 });
      const answering = Date.now();
      await allSeeAll([red, blue], 20_000);
      const backMs = Date.now() - answering;
      console.log(`media both ways again ${backMs} ms after the SFU answered`);
      assert.ok(backMs <= 10_000, `media back after ${backMs} ms`);
      for (const p of [red, blue]) {
        assert.equal(await p.view(), 'in-call');
        const events = await p.p.evaluate(() => window.__e2e.events);
        assert.ok(!events.some((e) => e.type === 'call-left'), `${p.label} never left the call`);
      }
      await Promise.all([red.closePage(), blue.closePage()]);
    });

    void it('the homeserver is frozen for 30 s: no tile ever vanishes, all in sync within 10 s after', async () => {
      const people = [red, blue, green];
      const { room, users } = await run.setup([
        [red, 'Alice'],
        [blue, 'Bob'],
        [green, 'Carol'],
      ]);
      for (const p of people) await p.join();
      await allSeeAll(people);
      const reader = users[0];
      if (!reader) throw new Error('no reader');
      assert.equal((await liveMemberships(reader, room)).length, 3);
      await watchForVanishing(people);
      pauseService(run.stack, 'synapse');
      try {
        await sleep(15_000);
        // Media goes on through the SFU meanwhile.
        const before = await red.framesFrom(blue.user?.userId ?? '');
        await sleep(2000);
        assert.ok(
          (await red.framesFrom(blue.user?.userId ?? '')) > before,
          'media flows meanwhile',
        );
        await sleep(13_000);
      } finally {
        resumeService(run.stack, 'synapse');
      }
      const resumed = Date.now();
      await allSeeAll(people, 10_000);
      const mediaMs = Date.now() - resumed;
      await waitFor(
        'all three memberships back in the room state',
        async () => (await liveMemberships(reader, room)).length === 3,
        10_000,
        500,
      );
      const stateMs = Date.now() - resumed;
      console.log(`after the freeze: media ${mediaMs} ms, memberships ${stateMs} ms`);
      // Past any delayed leave the freeze made overdue, and past its echo.
      await sleep(20_000);
      await allSeeAll(people, 10_000);
      assert.deepEqual(await vanished(people), [], 'no tile vanished');
      await Promise.all(people.map((p) => p.closePage()));
    });

    /** The text of the notices above the lobby or the call. */
    function notices(p: Participant): Promise<string> {
      return p.p.evaluate(() =>
        [
          ...(document
            .querySelector('matrix-call')
            ?.shadowRoot?.querySelectorAll('[part~="notice"]') ?? []),
        ]
          .map((n) => n.textContent.replace(/\s+/g, ' ').trim())
          .join(' | '),
      );
    }

    void it('a browser that refuses camera and microphone, and one with none: each is told how, and joins to watch and listen', async () => {
      const denied = await Participant.launch(run, 'r-denied', 'yellow', 'denied');
      const absent = await Participant.launch(run, 'r-absent', 'green', 'absent');
      try {
        await run.setup([
          [red, 'Alice'],
          [denied, 'Dana'],
          [absent, 'Eve'],
        ]);
        const expected: [Participant, RegExp, string][] = [
          [
            denied,
            /Permission to use the (camera|microphone) was denied.*site settings/,
            'media-permission-denied',
          ],
          [absent, /No (camera|microphone) was found/, 'media-device-not-found'],
        ];
        for (const [p, text, reason] of expected) {
          await waitFor(`${p.label}'s notice`, async () => text.test(await notices(p)), 15_000);
          const events = await p.p.evaluate(() => window.__e2e.events);
          assert.ok(
            events.some((e) => e.type === 'call-error' && e.reason === reason),
            `${p.label}'s page got call-error ${reason}: ${JSON.stringify(events)}`,
          );
        }
        await red.join();
        await denied.join();
        await absent.join();
        // Receive-only: each sees and decodes Alice; Alice sees them as tiles without media.
        await Promise.all([denied.seesVideoOf(red), absent.seesVideoOf(red)]);
        for (const p of [denied, absent]) {
          await waitFor(`Alice to show ${p.label} without media`, async () => {
            const tile = (await red.remoteTiles('camera')).find((t) => t.userId === p.user?.userId);
            return !!tile && tile.avatar && !tile.cameraEnabled && !tile.microphoneEnabled;
          });
        }
        assert.match(await notices(denied), /denied/, 'the notice stays in the call');
        await Promise.all([denied.screenshot('r-denied'), absent.screenshot('r-absent')]);
      } finally {
        for (const p of [denied, absent]) {
          await p.close();
          run.participants.delete(p);
        }
        await red.closePage();
      }
    });

    void it('a hostile member: look-alike name flagged, made-up devices capped then hidden, spoofed leave and forged keys ignored, blind SFU requests bounded', async () => {
      const [alice, bob, mallory] = await Promise.all([
        run.user('Alice'),
        run.user('Bob'),
        run.user('Mallory'),
      ]);
      const room = await run.room(alice, [bob, mallory]);
      await Promise.all([red.open(alice, room), blue.open(bob, room)]);
      await red.join();
      await blue.join();
      await allSeeAll([red, blue]);
      const [aliceDevice, bobDevice] = await Promise.all(
        [red, blue].map((p) => p.p.evaluate(() => window.__e2e.deviceId())),
      );
      if (!aliceDevice || !bobDevice) throw new Error('device IDs');
      const ourSfu = run.stack.authServiceUrl;
      const malloryTiles = async () =>
        (await red.remoteTiles('camera')).filter((t) => t.userId === mallory.userId);

      // Impersonation: Bob's name with a zero-width space in it.
      await setDisplayName(mallory, 'B\u200Bob');
      const fake = (device: string, sfu = ourSfu) =>
        putState(
          mallory,
          room,
          CALL_MEMBER,
          `_${mallory.userId}_${device}_m.call`,
          membershipContent(mallory, device, sfu, room),
        );
      await fake('MAL1');
      const flagged = await waitFor('Alice to flag the look-alike', async () => {
        const [tile] = await malloryTiles();
        return tile?.name.includes(mallory.userId) ? tile.name : undefined;
      });
      const bobsTile = (await red.remoteTiles('camera')).find((t) => t.userId === bob.userId);
      assert.notEqual(flagged, bobsTile?.name, 'Mallory does not look like Bob');

      // Tile spam: made-up devices on our SFU, never publishing.
      for (let i = 2; i <= 10; i++) await fake(`MAL${i}`);
      await sleep(3000);
      assert.ok((await malloryTiles()).length <= 3, 'at most 3 tiles per user');
      assert.ok(
        bobsTile &&
          (await red.remoteTiles('camera')).some((t) => t.userId === bob.userId && t.inViewport),
        'Bob stays on the first page',
      );

      // A membership naming an SFU that never grants: how often is it sent OpenID tokens?
      const blind = await serveCounting();
      try {
        await fake('MALX', blind.url);
        const blindFrom = Date.now();

        // A spoofed leave over Bob's membership, and keys in clear in his name.
        await red.watch(bob.userId, 'gone');
        await putState(mallory, room, CALL_MEMBER, `_${bob.userId}_${bobDevice}_m.call`, {});
        const bobToken = blue.accessToken;
        if (!bobToken) throw new Error("no token for Bob's page");
        for (const index of [0, 1, 2, 3, 2 ** 53])
          await sendPlainToDevice(
            { homeserverUrl: bob.homeserverUrl, accessToken: bobToken },
            'io.element.call.encryption_keys',
            { userId: alice.userId, deviceId: aliceDevice },
            {
              keys: { index, key: Buffer.from(randomBytes(16)).toString('base64') },
              member: { id: `${bob.userId}:${bobDevice}`, claimed_device_id: bobDevice },
              room_id: room,
              session: { application: 'm.call', call_id: '', scope: 'm.room' },
              sent_ts: Date.now(),
            },
          );
        await waitFor(
          "Bob's membership back in the room state",
          async () =>
            (await liveMemberships(alice, room)).includes(
              `${bob.userId}|_${bob.userId}_${bobDevice}_m.call`,
            ),
          30_000,
          500,
        );
        await waitFor(
          'Alice to hide the made-up devices that never joined the SFU',
          async () => (await malloryTiles()).every((t) => !/MAL\d/.test(t.id)),
          45_000,
          500,
        );
        await red.seesVideoOf(blue);
        assert.equal(
          await red.p.evaluate((key) => window.__e2e.seen[key], `gone:${bob.userId}`),
          undefined,
          "Bob's tile never vanished",
        );
        const log = await red.p.evaluate(() => window.__e2e.diagnostics());
        assert.match(log, /not Olm-encrypted by its sender/, 'the forged keys were refused');
        await sleep(Math.max(0, blindFrom + 40_000 - Date.now()));
        const asked = blind.posts();
        console.log(`a never-granting SFU got ${asked} token requests from 2 callers in 40 s`);
        assert.ok(asked >= 1, 'the policy lets us try it');
        assert.ok(asked <= 12, `at most 6 per caller in 40 s, got ${asked}`);
      } finally {
        await blind.close();
      }
      await Promise.all([red.closePage(), blue.closePage()]);
    });

    void it('6 people for 3 minutes, 3 of them coming and going: no uncaught exception, everyone sees everyone at the end', async () => {
      const churners = await Promise.all([
        Participant.launch(run, 'r-yellow', 'yellow'),
        Participant.launch(run, 'r-magenta', 'magenta'),
        Participant.launch(run, 'r-cyan', 'cyan'),
      ]);
      const people = [red, blue, green, ...churners];
      try {
        const { room, users } = await run.setup([
          [red, 'Alice'],
          [blue, 'Bob'],
          [green, 'Carol'],
          [churners[0], 'Dave'],
          [churners[1], 'Erin'],
          [churners[2], 'Frank'],
        ]);
        // Six browsers decoding five videos each would starve 2 cores: while people come and
        // go, nobody watches (each still sends, signals and exchanges keys).
        for (const p of [red, blue, green]) {
          await p.join();
          await p.stopWatching();
        }
        // The same pattern every run: a small linear congruential generator.
        let seed = 42;
        const random = (min: number, max: number) => {
          seed = (seed * 1103515245 + 12345) % 2 ** 31;
          return min + (seed % (max - min));
        };
        const deadline = Date.now() + 180_000;
        let cycles = 0;
        await Promise.all(
          churners.map(async (p, i) => {
            const user = users[3 + i];
            if (!user) throw new Error('user');
            await p.join();
            await p.stopWatching();
            while (Date.now() < deadline) {
              await sleep(random(5000, 20_000));
              if (cycles++ % 3 === 2) {
                // The page is closed and opened again, as a reload would.
                await p.open(user, room);
                await p.join();
                await p.stopWatching();
                continue;
              }
              // A clean leave, then Rejoin on the ended screen (clicked in the page: Playwright's
              // pointer clicks can time out while six browsers share two cores).
              await p.p.evaluate(() => {
                window.__e2e.control('leave-button');
              });
              await p.waitForView('ended', 30_000);
              await sleep(random(1000, 4000));
              await p.p.evaluate(() => {
                document
                  .querySelector('matrix-call')
                  ?.shadowRoot?.querySelector('call-ended')
                  ?.shadowRoot?.querySelector('button')
                  ?.click();
              });
              await p.waitForView('in-call', 45_000);
            }
          }),
        );
        console.log(`${cycles} leaves and rejoins in 3 minutes`);
        // One viewer at a time: five decodes at once, not thirty, so a busy machine measures
        // the call rather than its own starvation.
        for (const me of people) {
          await me.startWatching();
          try {
            await me.seesVideoOfEach(
              people.filter((o) => o !== me),
              60_000,
            );
          } catch (error) {
            // This step has failed now and then in CI, cause unproven: keep every page's
            // (redacted) diagnostics for the next person.
            for (const p of people)
              writeFileSync(join(ARTIFACTS, `churn-${p.label}.json`), await p.diagnosticsText());
            throw error;
          }
          await me.stopWatching();
        }
        for (const p of people) {
          const others = (await p.remoteTiles('camera')).map((t) => t.userId).sort();
          const expected = people
            .filter((o) => o !== p)
            .map((o) => o.user?.userId ?? '')
            .sort();
          assert.deepEqual(others, expected, `${p.label} shows each other person once`);
        }
      } finally {
        for (const p of churners) {
          await p.close();
          run.participants.delete(p);
        }
        await Promise.all([red, blue, green].map((p) => p.closePage()));
      }
    });
    // The SFU restart is where a failing WebSocket would print its JWT-bearing URL.
    void it('no secret in any console line or exported diagnostics', async () => {
      for (const p of [red, blue, green]) await p.keepDiagnostics();
      assert.ok(run.secrets.size >= 10, `collected ${run.secrets.size} secrets`);
      const leaks = secretLeaks(run.secrets, [
        ...run.consoleLines.map((line, i): [string, string] => [`console line ${i}`, line]),
        ...run.diagnosticsLogs.map((log, i): [string, string] => [`diagnostics log ${i}`, log]),
      ]);
      assert.deepEqual(leaks, []);
    });
  },
);
