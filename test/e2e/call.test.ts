// End to end: separate Chromium processes, each a different person with its own solid-colour
// fake camera, load the demo page (CDN build) and join one call through <matrix-call> on the
// local stack. Browsers are reused across scenarios; every scenario has its own users, room
// and pages. Screenshots of every participant go to .artifacts/e2e/.
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { E2ERun, Participant, waitFor, type DecodingSample } from './harness.js';

/**
 * The longest time without a decoded frame in a series of decoder samples, from the decoder's
 * own inter-frame delays; a series that stops decoding counts up to its last sample.
 */
function longestGapMs(list: DecodingSample[]): number {
  let longest = 0;
  let stalledSince: number | undefined;
  for (let i = 1; i < list.length; i++) {
    const [prev, cur] = [list[i - 1], list[i]];
    if (!prev || !cur) continue;
    if (cur.framesDecoded > prev.framesDecoded) {
      const squares = cur.totalSquaredInterFrameDelay - prev.totalSquaredInterFrameDelay;
      longest = Math.max(longest, Math.sqrt(Math.max(0, squares)) * 1000);
      stalledSince = undefined;
    } else {
      stalledSince ??= prev.at;
      longest = Math.max(longest, cur.at - stalledSince);
    }
  }
  return Math.round(longest);
}

void describe('end to end: <matrix-call> in separate browsers', { timeout: 540_000 }, () => {
  let run: E2ERun;
  let red: Participant;
  let blue: Participant;
  let green: Participant;

  before(async () => {
    run = await E2ERun.start();
    [red, blue, green] = await Promise.all([
      Participant.launch(run, 'a', 'red'),
      Participant.launch(run, 'b', 'blue'),
      Participant.launch(run, 'c', 'green'),
    ]);
  });

  after(async () => {
    await run.close();
  });

  afterEach(() => {
    run.assertNoNewPageErrors();
  });

  /** Registers `names`, creates a room for them (encrypted by default) and opens their lobbies. */
  async function setup(
    people: [Participant, string][],
    opts: { encrypted?: boolean; extra?: (p: Participant) => Record<string, string> } = {},
  ): Promise<string> {
    return (await run.setup(people, opts)).room;
  }

  /** Saves a screenshot of each; in a call with the camera on, once the self view is live. */
  async function screenshots(name: string, ...people: Participant[]): Promise<void> {
    await Promise.all(
      people.map(async (p) => {
        const self = (await p.tiles()).find((t) => t.isLocal && t.source === 'camera');
        if (self?.cameraEnabled) await p.seesSelf();
        await p.screenshot(name);
      }),
    );
  }

  async function done(...people: Participant[]): Promise<void> {
    await Promise.all(people.map((p) => p.closePage()));
  }

  void it('1. two-party call in an encrypted room: both see each other, audio flows', async () => {
    await setup([
      [red, 'Alice'],
      [blue, 'Bob'],
    ]);
    await red.join();
    await blue.join();
    await Promise.all([red.seesVideoOf(blue), blue.seesVideoOf(red)]);
    // Audio: the other side's microphone packets arrive and are decoded (samples that are not
    // concealment: an undecryptable frame would be dropped and concealed).
    const pairs = [
      [red, blue],
      [blue, red],
    ] as const;
    await Promise.all(
      pairs.map(async ([me, other]) => {
        const audio = async () =>
          (await me.stats()).find(
            (s) => s.kind === 'audio' && s.participantId.startsWith(`${other.user?.userId}:`),
          );
        const first = await waitFor(`${me.label} to receive audio`, audio, 15_000);
        await sleep(1500);
        const second = await audio();
        assert.ok(second, 'audio track still there');
        const decoded = (s: typeof first) => s.totalSamplesReceived - s.concealedSamples;
        assert.ok(second.packetsReceived > first.packetsReceived, 'audio packets keep arriving');
        assert.ok(
          decoded(second) > decoded(first) + 24_000,
          `${me.label} decodes audio from ${other.label} (${decoded(first)} → ${decoded(second)} samples)`,
        );
      }),
    );
    assert.match(await red.p.evaluate(() => window.__e2e.lock()), /end-to-end encrypted/i);
    await screenshots('1-two-party', red, blue);
    await done(red, blue);
  });

  void it('2. mute changes: camera off shows the placeholder within 2 s, video returns, mute badge', async () => {
    await setup([
      [red, 'Alice'],
      [blue, 'Bob'],
    ]);
    await Promise.all([red.join(), blue.join()]);
    await blue.seesVideoOf(red);
    const alice = red.user?.userId ?? '';
    const tileOfAlice = async () =>
      (await blue.remoteTiles('camera')).find((t) => t.userId === alice);

    // Measured in Bob's page, from Alice's click as her page saw it.
    await blue.watch(alice, 'placeholder');
    await red.control('camera-button');
    const off = await red.lastClick();
    const placeholderMs = (await blue.seenAt(alice, 'placeholder', 5000)) - off;
    assert.ok(placeholderMs <= 2000, `placeholder shown ${placeholderMs} ms after camera off`);
    assert.ok(!(await tileOfAlice())?.videoShown, 'no video while the camera is off');
    await blue.screenshot('2-mute-camera-off');

    await red.control('camera-button');
    await blue.seesVideoOf(red);

    await blue.watch(alice, 'muted');
    await red.control('microphone-button');
    const muted = await red.lastClick();
    const badgeMs = (await blue.seenAt(alice, 'muted', 5000)) - muted;
    assert.ok(badgeMs <= 2000, `mute badge shown ${badgeMs} ms after the mute`);
    // Nothing else changed: Alice's video is still there.
    await blue.seesVideoOf(red);
    await screenshots('2-mute', red, blue);
    console.log(`placeholder after ${placeholderMs} ms, mute badge after ${badgeMs} ms`);
    await done(red, blue);
  });

  void it('3. a third joins: three tiles in a grid, everyone decodes everyone; paged, only the page shown is received', async () => {
    await setup([
      [red, 'Alice'],
      [blue, 'Bob'],
      [green, 'Carol'],
    ]);
    await Promise.all([red.join(), blue.join()]);
    await Promise.all([red.seesVideoOf(blue), blue.seesVideoOf(red)]);
    await green.join();
    const all = [red, blue, green];
    await Promise.all(
      all.map((me) =>
        waitFor(`${me.label} to show three tiles in a grid`, async () => {
          const tiles = await me.tiles();
          return (
            tiles.length === 3 && (await me.p.evaluate(() => window.__e2e.layout())) === 'grid'
          );
        }),
      ),
    );
    await Promise.all(
      all.flatMap((me) => all.filter((o) => o !== me).map((other) => me.seesVideoOf(other))),
    );
    await screenshots('3-third-joins', ...all);

    // Paged at two tiles, the remote on page 2 sends red nothing, and page 2 shows it at once.
    await red.evaluate(() => {
      window.__e2e.setPageSize(2);
    });
    const onPage = async () => (await red.remoteTiles('camera')).map((t) => t.userId);
    await waitFor('one remote on page 1', async () => (await onPage()).length === 1);
    const [first] = await onPage();
    const [shown, hidden] = first === blue.user?.userId ? [blue, green] : [green, blue];
    await unreceived(hidden);
    await red.doc.locator('matrix-call [aria-label="Next page"]').click({ noWaitAfter: true });
    await red.seesVideoOf(hidden);
    await unreceived(shown);
    await red.doc.locator('matrix-call [aria-label="Previous page"]').click({ noWaitAfter: true });
    await red.seesVideoOf(shown);
    await done(...all);

    /** Red neither subscribes to nor decodes `other`'s camera, which is on. */
    async function unreceived(other: Participant): Promise<void> {
      const id = other.user?.userId ?? '';
      await waitFor(`red to drop ${other.label}'s video`, async () => {
        const camera = await red.evaluate((who) => window.__e2e.camera(who), id);
        const video = (await red.stats()).filter(
          (s) =>
            s.kind === 'video' && s.source === 'camera' && s.participantId.startsWith(`${id}:`),
        );
        return camera?.published === true && !camera.received && video.length === 0;
      });
    }
  });

  void it('4. clean leave: the tile goes within 3 s, keys rotate, media keeps decoding', async () => {
    await setup([
      [red, 'Alice'],
      [blue, 'Bob'],
      [green, 'Carol'],
    ]);
    const all = [red, blue, green];
    await Promise.all(all.map((p) => p.join()));
    await Promise.all(
      all.flatMap((me) => all.filter((o) => o !== me).map((other) => me.seesVideoOf(other))),
    );
    const carol = green.user?.userId ?? '';
    const pairs = [
      [red, blue],
      [blue, red],
    ] as const;
    // Sample the decoders of the remaining pair every 250 ms around the leave. A gap shows
    // in the inter-frame delays the decoder itself reports (the frame after a gap carries
    // it), so a sampler that is late itself cannot hide or invent one: in an interval with
    // frames, the longest gap is at most sqrt(Δ totalSquaredInterFrameDelay).
    const samples = new Map<string, DecodingSample[]>();
    const sampling = { on: true };
    const sampler = (async () => {
      while (sampling.on) {
        const at = Date.now();
        await Promise.all(
          pairs.map(async ([me, other]) => {
            const key = `${me.label}<-${other.label}`;
            const who = `${other.user?.userId ?? ''}|camera`;
            const stat = (await me.p.evaluate(() => window.__e2e.videoDecoding())).find(
              (x) => x.who === who,
            );
            if (stat) samples.set(key, [...(samples.get(key) ?? []), stat]);
          }),
        );
        await sleep(Math.max(0, 250 - (Date.now() - at)));
      }
    })();
    await Promise.all([red.watch(carol, 'gone'), blue.watch(carol, 'gone')]);
    await sleep(1000);
    await green.leave();
    const left = await green.lastClick();
    // The tile goes within 3 s of the click, measured in the pages (not by this process,
    // whose polling may itself be slow on a busy machine).
    const goneMs = Math.max(
      ...(await Promise.all(
        [red, blue].map(async (me) => (await me.seenAt(carol, 'gone', 10_000)) - left),
      )),
    );
    assert.ok(goneMs <= 3000, `Carol's tile went ${goneMs} ms after she clicked leave`);
    await green.waitForView('ended', 10_000);
    // Key rotation: both remaining participants start using a new media key after the leave.
    await Promise.all(
      [red, blue].map((me) =>
        waitFor(
          `${me.label} to rotate its media key`,
          async () => {
            const log = JSON.parse(await me.p.evaluate(() => window.__e2e.diagnostics())) as {
              entries: { time: string; message: string; fields?: { keyIndex?: number } }[];
            };
            return log.entries.some(
              (e) =>
                e.message === 'own media key in use' &&
                Date.parse(e.time) > left &&
                (e.fields?.keyIndex ?? 0) > 0,
            );
          },
          8000,
          250,
        ),
      ),
    );
    await sleep(2500); // keep sampling past the switch to the new key
    sampling.on = false;
    await sampler;
    for (const [key, list] of samples) {
      const maxGap = longestGapMs(list);
      if (maxGap > 2000) {
        // Explain the gap: the frame counts and the media-key events around the leave.
        const keyEvents = (
          await Promise.all(
            [red, blue].map(async (p) => {
              const log = JSON.parse(await p.p.evaluate(() => window.__e2e.diagnostics())) as {
                entries: { time: string; category: string; message: string; fields?: object }[];
              };
              return log.entries
                .filter(
                  (e) =>
                    (e.category === 'keys' || e.category === 'e2ee') &&
                    Date.parse(e.time) > left - 2000,
                )
                .map(
                  (e) =>
                    `${p.label} ${Date.parse(e.time) - left} ms ${e.message} ${JSON.stringify(e.fields ?? {})}`,
                );
            }),
          )
        ).flat();
        const counts = list.map((x) => `${x.at - left}:${x.framesDecoded}`).join(' ');
        assert.fail(
          `${key}: longest stretch without a new decoded frame ${maxGap} ms\nframes (ms after leave:count) ${counts}\n${keyEvents.join('\n')}`,
        );
      }
      console.log(`${key}: ${list.length} samples, longest gap ${maxGap} ms`);
    }
    await Promise.all([red.seesVideoOf(blue), blue.seesVideoOf(red)]);
    console.log(`tile gone after ${goneMs} ms`);
    await screenshots('4-clean-leave', ...all);
    await done(...all);
  });

  void it('5. crash: the killed participant leaves through the delayed leave event within 25 s', async () => {
    const room = await setup([
      [red, 'Alice'],
      [blue, 'Bob'],
    ]);
    await Promise.all([red.join(), blue.join()]);
    await Promise.all([red.seesVideoOf(blue), blue.seesVideoOf(red)]);
    const bob = blue.user;
    const alice = red.user;
    if (!bob || !alice) throw new Error('users');
    const memberships = async () => {
      const res = await fetch(
        `${run.stack.homeserverUrl}/_matrix/client/v3/rooms/${encodeURIComponent(room)}/state`,
        {
          headers: { authorization: `Bearer ${alice.accessToken}` },
          signal: AbortSignal.timeout(5000),
        },
      );
      const state = (await res.json()) as {
        type: string;
        state_key: string;
        sender: string;
        content: object;
      }[];
      return state.filter(
        (e) =>
          e.type === 'org.matrix.msc3401.call.member' &&
          e.sender === bob.userId &&
          Object.keys(e.content).length > 0,
      ).length;
    };
    assert.equal(await memberships(), 1, "Bob's membership is in room state");
    await blue.keepDiagnostics();
    await red.watch(bob.userId, 'gone');
    const killed = Date.now();
    blue.kill();
    // The auth service, holding the delayed leave, sends it once LiveKit reports Bob gone
    // (about 20 s); without it the server would send it 14–18 s after the kill.
    const goneMs = (await red.seenAt(bob.userId, 'gone', 30_000)) - killed;
    assert.ok(goneMs <= 25_000, `Bob's tile went ${goneMs} ms after the kill`);
    assert.equal(await memberships(), 0, "Bob's membership left room state (delayed leave event)");
    console.log(`tile gone ${goneMs} ms after the kill`);
    await red.screenshot('5-crash');
    await done(red);
    await blue.launch(); // a new browser process for the next scenarios
  });

  void it('6. unencrypted room: the call works and the lock says "not encrypted"', async () => {
    await setup(
      [
        [red, 'Alice'],
        [blue, 'Bob'],
      ],
      { encrypted: false },
    );
    await Promise.all([red.join(), blue.join()]);
    await Promise.all([red.seesVideoOf(blue), blue.seesVideoOf(red)]);
    for (const p of [red, blue]) {
      assert.equal(await p.p.evaluate(() => window.__e2e.lock()), 'Not encrypted');
      for (const tile of await p.remoteTiles()) assert.equal(tile.encryption, 'none');
    }
    await screenshots('6-unencrypted', red, blue);
    await done(red, blue);
  });

  void it('7. shared secret: same password decrypts, a wrong one shows "cannot decrypt"', async () => {
    await setup(
      [
        [red, 'Alice'],
        [blue, 'Bob'],
        [green, 'Mallory'],
      ],
      {
        encrypted: false,
        extra: (p) => ({ e2ee: p === green ? 'not-the-password' : 'correct horse battery staple' }),
      },
    );
    await Promise.all([red.join(), blue.join()]);
    await Promise.all([red.seesVideoOf(blue), blue.seesVideoOf(red)]);
    assert.match(await red.p.evaluate(() => window.__e2e.lock()), /shared password/i);
    await green.join();
    const mallory = green.user?.userId ?? '';
    await Promise.all(
      [red, blue].map((me) =>
        waitFor(
          `${me.label} to show "Cannot decrypt" on Mallory's tile`,
          async () =>
            (await me.tiles()).find((t) => t.userId === mallory)?.e2eeBadge === 'Cannot decrypt',
          20_000,
        ),
      ),
    );
    await waitFor(
      'Mallory to show "Cannot decrypt" on both tiles',
      async () => {
        const remote = await green.remoteTiles('camera');
        return (
          remote.length === 2 &&
          remote.every((t) => t.e2eeBadge === 'Cannot decrypt' && !t.videoShown)
        );
      },
      20_000,
    );
    // Everyone is told the likely cause.
    for (const me of [red, blue, green])
      await waitFor(
        `${me.label} to say the password probably differs`,
        () =>
          me.p.evaluate(
            () =>
              !!document
                .querySelector('matrix-call')
                ?.shadowRoot?.querySelector('[part~="password-mismatch"]'),
          ),
        10_000,
      );
    // Alice and Bob still see each other.
    await Promise.all([red.seesVideoOf(blue), blue.seesVideoOf(red)]);
    await screenshots('7-shared-secret', red, blue, green);
    // Mallory's page does not hang: the controls work and leaving is prompt.
    await green.leave();
    await green.waitForView('ended', 5000);
    await done(red, blue, green);
  });

  void it('8. screen share: spotlight on the other side, then it ends cleanly', async () => {
    await setup([
      [red, 'Alice'],
      [blue, 'Bob'],
    ]);
    await Promise.all([red.join(), blue.join()]);
    await blue.seesVideoOf(red);
    const alice = red.user?.userId ?? '';
    await red.control('screen-share-button');
    await waitFor(
      "Bob to show Alice's screen in the spotlight",
      async () => {
        const screen = (await blue.tiles()).find(
          (t) => t.userId === alice && t.source === 'screen-share',
        );
        return (
          screen?.inSpotlight &&
          screen.videoShown &&
          (await blue.p.evaluate(() => window.__e2e.layout())) === 'spotlight'
        );
      },
      20_000,
    );
    const before = await blue.framesFrom(alice, 'screen_share');
    await waitFor(
      "Bob to decode Alice's screen",
      async () => (await blue.framesFrom(alice, 'screen_share')) > before + 5,
      10_000,
    );
    await screenshots('8-screen-share', red, blue);
    await red.control('screen-share-button');
    await waitFor(
      'the screen share to end on both sides',
      async () => {
        const layouts = await Promise.all(
          [red, blue].map((p) => p.p.evaluate(() => window.__e2e.layout())),
        );
        const screens = [...(await red.tiles()), ...(await blue.tiles())].filter(
          (t) => t.source === 'screen-share',
        );
        return layouts.every((l) => l === 'one-on-one') && screens.length === 0;
      },
      10_000,
    );
    await blue.seesVideoOf(red);
    await screenshots('8-screen-share-ended', red, blue);
    await done(red, blue);
  });

  void it('9. reload: the participant rejoins, no ghost tile, media resumes', async () => {
    await setup([
      [red, 'Alice'],
      [blue, 'Bob'],
    ]);
    await Promise.all([red.join(), blue.join()]);
    await Promise.all([red.seesVideoOf(blue), blue.seesVideoOf(red)]);
    const alice = red.user?.userId ?? '';
    const device = await red.p.evaluate(() => window.__e2e.deviceId());
    await red.keepDiagnostics();
    const reloaded = Date.now();
    await red.p.reload();
    await red.waitForView('lobby', 45_000);
    // The page kept its session: the same device, not a new login.
    assert.equal(await red.p.evaluate(() => window.__e2e.deviceId()), device);
    // Her leave on pagehide may not make it out of the unloading page: then her delayed
    // leave removes her, 14–18 s after its last restart (src/core/room-call.ts).
    await waitFor(
      "Bob to drop Alice's tile once she left",
      async () => !(await blue.tiles()).some((t) => t.userId === alice),
      25_000,
      100,
    );
    const goneMs = Date.now() - reloaded;
    await red.join();
    await Promise.all([red.seesVideoOf(blue), blue.seesVideoOf(red)]);
    // No ghost: exactly one tile for Alice on Bob's side, for a while.
    for (let i = 0; i < 8; i++) {
      const mine = (await blue.tiles()).filter((t) => t.userId === alice);
      assert.equal(mine.length, 1, `Bob shows ${mine.length} tiles for Alice`);
      assert.equal((await blue.tiles()).length, 2);
      await sleep(250);
    }
    console.log(`old tile gone ${goneMs} ms after the reload started`);
    await screenshots('9-reload', red, blue);
    await done(red, blue);
  });

  void it('no access token or JWT in any console output or diagnostics log', () => {
    const secrets = [...run.secrets];
    const jwts = secrets.filter((s) => s.startsWith('eyJ'));
    assert.ok(secrets.length >= 20, `collected ${secrets.length} secrets`);
    assert.ok(jwts.length >= 10, `collected ${jwts.length} JWTs`);
    assert.ok(
      run.diagnosticsLogs.length >= 15,
      `collected ${run.diagnosticsLogs.length} diagnostics logs`,
    );
    assert.ok(run.consoleLines.length > 0, 'collected console output');
    const leaks: string[] = [];
    const scan = (where: string, text: string) => {
      secrets.forEach((secret, i) => {
        // Name the place and the secret's kind and index, never the secret itself.
        if (text.includes(secret))
          leaks.push(
            `${where} contains secret #${i} (${secret.startsWith('eyJ') ? 'JWT' : 'token'})`,
          );
      });
    };
    run.consoleLines.forEach((line, i) => {
      scan(`console line ${i} (${line.slice(0, 12)}…)`, line);
    });
    run.diagnosticsLogs.forEach((log, i) => {
      scan(`diagnostics log ${i}`, log);
    });
    assert.deepEqual(leaks, []);
    console.log(
      `scanned ${run.consoleLines.length} console lines and ${run.diagnosticsLogs.length} diagnostics logs for ${secrets.length} secrets (${jwts.length} JWTs)`,
    );
  });
});
