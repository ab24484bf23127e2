// Interop end to end: <matrix-call> (demo page, CDN build) and the published Element Call
// (@element-hq/element-call-embedded, pinned) hosted in our test widget host, each person in
// their own Chromium with their own camera colour, on one local stack. Every check is on
// decoded media, both ways: the centre pixel's colour, growing decoded frame counts and decoded
// audio samples, read inside <matrix-call> and inside Element Call's iframe. Scenarios share a
// call where they can (CI time); the wire traffic of both sides goes to
// .artifacts/e2e/element-call-wire.json for test/widget-host/FINDINGS.md.
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ARTIFACTS, E2ERun, Participant, waitFor, type Peer } from './harness.js';
import {
  ELEMENT_CALL_FRAME_TAG,
  ElementCallParticipant,
  type HostRecord,
} from './element-call-participant.js';
import { recordWire, type WireEntry } from './wire-recorder.js';
import { serveWidgetHost, type WidgetHostServer } from '../widget-host/serve.js';
import type { ProvisionedUser } from '../../stack/provision.js';

type Anyone = Participant | ElementCallParticipant;

/** Element Call's delayed leave in its built-in config (0.26.1): 18 s, restarted every 4 s. */
const EC_LEAVE_DELAY_MS = 18_000;
/** <matrix-call>'s (src/core/room-call.ts): the same 18 s, restarted every 4 s. */
const MC_LEAVE_DELAY_MS = 18_000;
/** Sync round trip, the other side noticing, a busy machine. */
const CRASH_MARGIN_MS = 7_000;

void describe('interop: <matrix-call> and Element Call 0.26.1', { timeout: 1_200_000 }, () => {
  let run: E2ERun;
  let server: WidgetHostServer;
  /** On Element Call. */
  let ecRed: ElementCallParticipant;
  let ecYellow: ElementCallParticipant;
  /** On <matrix-call>. */
  let mcBlue: Participant;
  let mcGreen: Participant;
  const wire: WireEntry[] = [];
  /** Widget host records of every Element Call page, kept before the page closes. */
  const hostRecords: (HostRecord & { who: string })[] = [];
  const measured: Record<string, number> = {};
  const started = Date.now();

  before(async () => {
    [run, server] = await Promise.all([E2ERun.start(), serveWidgetHost()]);
    [ecRed, ecYellow, mcBlue, mcGreen] = await Promise.all([
      ElementCallParticipant.launch(run, server, 'ec-red', 'red'),
      ElementCallParticipant.launch(run, server, 'ec-yellow', 'yellow'),
      Participant.launch(run, 'mc-blue', 'blue'),
      Participant.launch(run, 'mc-green', 'green'),
    ]);
  });

  after(async () => {
    await Promise.allSettled([ecRed.close(), ecYellow.close()]);
    await run.close();
    await server.close();
    console.log(`element-call interop suite: ${Math.round((Date.now() - started) / 1000)} s`);
  });

  afterEach(() => {
    run.assertNoNewPageErrors();
  });

  const origins = () => [
    new URL(run.stack.homeserverUrl).origin,
    new URL(run.stack.authServiceUrl).origin,
  ];

  /** Registers one user per person, one room (encrypted unless said), opens everyone's lobby. */
  async function setup(
    people: [Anyone, string][],
    opts: { encrypted?: boolean; secret?: string } = {},
  ): Promise<string> {
    const users: ProvisionedUser[] = await Promise.all(people.map(([, name]) => run.user(name)));
    const [first, ...rest] = users;
    if (!first) throw new Error('nobody');
    const room = await run.room(first, rest, { encrypted: opts.encrypted ?? true });
    await Promise.all(
      people.map(async ([p], i) => {
        const u = users[i];
        if (!u) throw new Error('missing user');
        if (p instanceof ElementCallParticipant)
          await p.open(u, room, opts.secret !== undefined ? { secret: opts.secret } : {});
        else
          await p.open(u, room, {
            extra: opts.secret !== undefined ? { e2ee: opts.secret } : {},
          });
        recordWire(p.p, p.label, origins(), wire);
      }),
    );
    return room;
  }

  /** Each sees every other's video decoding (pixel colour + frame counts). */
  async function allSeeAll(people: Anyone[]): Promise<void> {
    await Promise.all(
      people.flatMap((me) =>
        people.filter((o) => o !== me).map((other) => me.seesVideoOf(other as Peer)),
      ),
    );
  }

  /** Decoded audio keeps growing on both sides of an Element Call ↔ <matrix-call> pair. */
  async function audioBothWays(ec: ElementCallParticipant, mc: Participant): Promise<void> {
    const mcDecoded = async () =>
      (await mc.stats())
        .filter((s) => s.kind === 'audio' && s.participantId.startsWith(`${ec.user?.userId}:`))
        .reduce((n, s) => n + s.totalSamplesReceived - s.concealedSamples, 0);
    await waitFor(
      `${mc.label} to receive audio from ${ec.label}`,
      async () => (await mcDecoded()) > 0,
    );
    const [ec0, mc0] = [await ec.decodedAudioSamples(), await mcDecoded()];
    await sleep(1500);
    const [ec1, mc1] = [await ec.decodedAudioSamples(), await mcDecoded()];
    assert.ok(ec1 > ec0 + 24_000, `Element Call decodes audio (${ec0} → ${ec1} samples)`);
    assert.ok(mc1 > mc0 + 24_000, `<matrix-call> decodes audio (${mc0} → ${mc1} samples)`);
  }

  /** Exactly one camera tile of `other` on `me`'s side, and `total` tiles, for 2 s. */
  async function noGhost(me: Anyone, other: Peer, total: number): Promise<void> {
    const userId = other.user?.userId ?? '';
    for (let i = 0; i < 8; i++) {
      if (me instanceof ElementCallParticipant) {
        const tiles = (await me.tiles()).filter((t) => !t.screenShare);
        const theirs = tiles.filter((t) => t.userId === userId);
        assert.equal(
          theirs.length,
          1,
          `${me.label} shows ${theirs.length} tiles for ${other.label}`,
        );
        assert.equal(tiles.length, total, `${me.label} shows ${tiles.length} tiles`);
      } else {
        const tiles = (await me.tiles()).filter((t) => t.source === 'camera');
        const theirs = tiles.filter((t) => t.userId === userId);
        assert.equal(
          theirs.length,
          1,
          `${me.label} shows ${theirs.length} tiles for ${other.label}`,
        );
        assert.equal(tiles.length, total, `${me.label} shows ${tiles.length} tiles`);
      }
      await sleep(250);
    }
  }

  async function keepRecords(...people: ElementCallParticipant[]): Promise<void> {
    for (const p of people) {
      if (!p.page || p.page.isClosed()) continue;
      const records = await p.records().catch(() => []);
      hostRecords.push(...records.map((r) => ({ ...r, who: p.label })));
    }
  }

  async function done(...people: Anyone[]): Promise<void> {
    await keepRecords(...people.filter((p) => p instanceof ElementCallParticipant));
    await Promise.all(people.map((p) => p.closePage()));
  }

  async function stateOf(room: string, viewer: ProvisionedUser) {
    const res = await fetch(
      `${run.stack.homeserverUrl}/_matrix/client/v3/rooms/${encodeURIComponent(room)}/state`,
      {
        headers: { authorization: `Bearer ${viewer.accessToken}` },
        signal: AbortSignal.timeout(5000),
      },
    );
    return (await res.json()) as {
      type: string;
      state_key: string;
      sender: string;
      content: Record<string, unknown>;
    }[];
  }

  async function liveMemberships(room: string, viewer: ProvisionedUser, of: ProvisionedUser) {
    return (await stateOf(room, viewer)).filter(
      (e) =>
        e.type === 'org.matrix.msc3401.call.member' &&
        e.sender === of.userId &&
        Object.keys(e.content).length > 0,
    ).length;
  }

  /** The `m.call.intent` of `of`'s live membership, as room state has it. */
  async function intentOf(room: string, viewer: ProvisionedUser, of: ProvisionedUser) {
    const own = (await stateOf(room, viewer)).find(
      (e) =>
        e.type === 'org.matrix.msc3401.call.member' &&
        e.sender === of.userId &&
        Object.keys(e.content).length > 0,
    );
    return own?.content['m.call.intent'];
  }

  /** Waits until `of`'s membership says `intent`. */
  async function intentBecomes(of: Anyone, intent: 'audio' | 'video'): Promise<void> {
    const [viewer, who] = [mcBlue.user, of.user];
    if (!viewer || !who) throw new Error('nobody signed in');
    await waitFor(
      `${of.label}'s membership to say m.call.intent ${intent}`,
      async () => (await intentOf(roomA, viewer, who)) === intent,
    );
  }

  // ── Call A: Element Call first, then <matrix-call>; later scenarios reuse the call. ──
  let roomA = '';

  void it('1a. Element Call joins first, then <matrix-call>: video and audio both ways', async () => {
    roomA = await setup([
      [ecRed, 'Erin'],
      [mcBlue, 'Bob'],
    ]);
    await ecRed.join();
    await mcBlue.join();
    await allSeeAll([ecRed, mcBlue]);
    await audioBothWays(ecRed, mcBlue);
    await Promise.all([ecRed.screenshot('ec-1a'), mcBlue.screenshot('ec-1a')]);
  });

  void it('2a. <matrix-call> leaves and rejoins: Element Call decodes it again, no ghost tile', async () => {
    const bob = mcBlue.user;
    assert.ok(bob);
    const left = await mcBlue.leave();
    await mcBlue.waitForView('ended', 10_000);
    await waitFor(
      "Element Call to drop Bob's tile after he left",
      async () => (await ecRed.tilesOf(mcBlue)).length === 0,
      10_000,
      100,
    );
    measured['EC drops a cleanly leaving <matrix-call> (ms)'] = Date.now() - left;
    await mcBlue.p.getByRole('button', { name: 'Rejoin' }).click({ timeout: 10_000 });
    await mcBlue.waitForView('in-call', 45_000);
    await allSeeAll([ecRed, mcBlue]);
    await noGhost(ecRed, mcBlue, 2);
    await noGhost(mcBlue, ecRed, 2);
  });

  void it('2b. Element Call leaves and rejoins: <matrix-call> decodes it again, no ghost tile', async () => {
    const erin = ecRed.user?.userId ?? '';
    await mcBlue.watch(erin, 'gone');
    const left = await ecRed.leave();
    measured['<matrix-call> drops a cleanly leaving Element Call (ms)'] =
      (await mcBlue.seenAt(erin, 'gone', 10_000)) - left;
    // Element Call 0.26.1 asks its host to close the widget (it sends no im.vector.hangup).
    await waitFor(
      'Element Call to ask its host to close it',
      async () =>
        (await ecRed.records()).some(
          (r) => 'action' in r && r.action === 'io.element.close' && r.at >= left,
        ),
      10_000,
    );
    await ecRed.rejoin();
    await allSeeAll([ecRed, mcBlue]);
    await noGhost(ecRed, mcBlue, 2);
    await noGhost(mcBlue, ecRed, 2);
  });

  void it('7. mute states both ways: badges, placeholders, and the video comes back', async () => {
    const erin = ecRed.user?.userId ?? '';
    // Element Call mutes its microphone: our mute badge.
    await mcBlue.watch(erin, 'muted');
    const muted = Date.now();
    await ecRed.control('incall_mute');
    measured['<matrix-call> shows the mute badge of Element Call (ms)'] =
      (await mcBlue.seenAt(erin, 'muted', 5000)) - muted;
    await ecRed.control('incall_mute');
    await waitFor('our mute badge to go', async () => {
      const tile = (await mcBlue.remoteTiles('camera')).find((t) => t.userId === erin);
      return tile && !tile.mutedBadge;
    });
    // The host mutes Element Call through the widget API, as Element Web's call controls do.
    await mcBlue.watch(erin, 'muted');
    const reply = await ecRed.sendAction('io.element.device_mute', { audio_enabled: false });
    await mcBlue.seenAt(erin, 'muted', 5000);
    assert.deepEqual(
      reply,
      { audio_enabled: false, video_enabled: true },
      'Element Call replies with its new device state',
    );
    await ecRed.sendAction('io.element.device_mute', { audio_enabled: true });
    await waitFor('our mute badge to go again', async () => {
      const tile = (await mcBlue.remoteTiles('camera')).find((t) => t.userId === erin);
      return tile && !tile.mutedBadge;
    });
    // We mute ours: Element Call's "Microphone off" on Bob's tile.
    const ourMute = Date.now();
    await mcBlue.control('microphone-button');
    await waitFor(
      'Element Call to show Bob muted',
      async () => (await ecRed.tilesOf(mcBlue)).some((t) => t.micMuted),
      5000,
      100,
    );
    measured['Element Call shows the mute of <matrix-call> (ms)'] = Date.now() - ourMute;
    await mcBlue.control('microphone-button');
    await waitFor(
      'Element Call to show Bob unmuted',
      async () => (await ecRed.tilesOf(mcBlue)).every((t) => !t.micMuted),
      5000,
      100,
    );
    // Cameras off and on again, each side; each membership's m.call.intent follows its camera
    // (Element Web shows a voice or video call from the consensus of these).
    await mcBlue.watch(erin, 'placeholder');
    await ecRed.control('incall_videomute');
    await mcBlue.seenAt(erin, 'placeholder', 5000);
    await intentBecomes(ecRed, 'audio');
    await ecRed.control('incall_videomute');
    await mcBlue.seesVideoOf(ecRed);
    await intentBecomes(ecRed, 'video');
    await mcBlue.control('camera-button');
    await waitFor(
      "Element Call to show Bob's avatar instead of video",
      async () => (await ecRed.tilesOf(mcBlue)).some((t) => !t.videoEnabled && t.avatarShown),
      5000,
      100,
    );
    await intentBecomes(mcBlue, 'audio');
    await mcBlue.control('camera-button');
    await ecRed.seesVideoOf(mcBlue);
    await intentBecomes(mcBlue, 'video');
    // Element Call told its host about each change (io.element.device_mute).
    const mutes = (await ecRed.records()).filter(
      (r) => 'action' in r && r.action === 'io.element.device_mute' && r.at >= muted,
    );
    assert.ok(mutes.length >= 4, `Element Call sent ${mutes.length} device_mute actions`);
  });

  void it('6. screen share both ways: in the spotlight on the other side, decoding', async () => {
    const erin = ecRed.user?.userId ?? '';
    await ecRed.control('incall_screenshare');
    await waitFor(
      "<matrix-call> to show Erin's screen in the spotlight",
      async () => {
        const screen = (await mcBlue.tiles()).find(
          (t) => t.userId === erin && t.source === 'screen-share',
        );
        return (
          screen?.inSpotlight &&
          screen.videoShown &&
          (await mcBlue.p.evaluate(() => window.__e2e.layout())) === 'spotlight'
        );
      },
      20_000,
    );
    const before = await mcBlue.framesFrom(erin, 'screen_share');
    await waitFor(
      "<matrix-call> to decode Erin's screen",
      async () => (await mcBlue.framesFrom(erin, 'screen_share')) > before + 5,
      10_000,
    );
    await mcBlue.screenshot('ec-6-screen-from-ec');
    await ecRed.control('incall_screenshare');
    await waitFor(
      "Erin's screen share to end on <matrix-call>",
      async () => !(await mcBlue.tiles()).some((t) => t.source === 'screen-share'),
      10_000,
    );

    await mcBlue.control('screen-share-button');
    const spotlight = await waitFor(
      "Element Call to show Bob's screen in its spotlight",
      async () =>
        (await ecRed.tilesOf(mcBlue)).find((t) => t.screenShare && t.inSpotlight && t.videoShown),
      20_000,
    );
    const screenFrames = async () => {
      const tracks = new Set(spotlight.trackIds);
      return (await ecRed.inbound())
        .filter((s) => s.kind === 'video' && tracks.has(s.trackId))
        .reduce((n, s) => n + s.framesDecoded, 0);
    };
    const first = await screenFrames();
    await waitFor(
      "Element Call to decode Bob's screen",
      async () => (await screenFrames()) > first + 5,
      10_000,
    );
    await ecRed.screenshot('ec-6-screen-from-mc');
    await mcBlue.control('screen-share-button');
    await waitFor(
      "Bob's screen share to end on Element Call",
      async () => !(await ecRed.tiles()).some((t) => t.screenShare),
      10_000,
    );
    await allSeeAll([ecRed, mcBlue]);
  });

  void it('8. reactions and raise hand both ways: badges, reactions, lowering clears them', async () => {
    const erin = ecRed.user?.userId ?? '';
    const ourTile = async () => (await mcBlue.remoteTiles('camera')).find((t) => t.userId === erin);
    const bobOnEc = async () => (await ecRed.tilesOf(mcBlue)).find((t) => !t.screenShare);

    // Element Call raises its hand (its shortcut H): our raised-hand badge.
    let at = Date.now();
    await ecRed.press('h');
    await waitFor(
      "<matrix-call> to show Erin's raised hand",
      async () => (await ourTile())?.handBadge,
      10_000,
      100,
    );
    measured['<matrix-call> shows the raised hand of Element Call (ms)'] = Date.now() - at;
    // Element Call reacts (its shortcut 1: thumbs up): the reaction on our tile, for a while.
    at = Date.now();
    await ecRed.press('1');
    await waitFor(
      "<matrix-call> to show Erin's reaction",
      async () => (await ourTile())?.reaction === '👍',
      10_000,
      100,
    );
    measured['<matrix-call> shows a reaction of Element Call (ms)'] = Date.now() - at;
    await waitFor(
      "Erin's reaction to end on <matrix-call>",
      async () => (await ourTile())?.reaction === '',
      10_000,
      100,
    );
    // Element Call lowers it: our badge goes.
    await ecRed.press('h');
    await waitFor(
      "<matrix-call> to drop Erin's raised hand",
      async () => (await ourTile())?.handBadge === false,
      10_000,
      100,
    );

    // We raise our hand from the reactions menu: Element Call's ✋ on Bob's tile.
    const menuButton = mcBlue.p.getByRole('button', { name: 'Reactions' });
    await menuButton.click({ timeout: 10_000 });
    at = Date.now();
    await mcBlue.p.getByRole('menuitemcheckbox', { name: /Raise hand/ }).click({ timeout: 10_000 });
    await waitFor(
      "Element Call to show Bob's raised hand",
      async () => (await bobOnEc())?.raisedHand,
      10_000,
      100,
    );
    measured['Element Call shows the raised hand of <matrix-call> (ms)'] = Date.now() - at;
    assert.ok(
      (await mcBlue.tiles()).find((t) => t.isLocal)?.handBadge,
      'our own tile shows it too',
    );
    // We react: Element Call shows our party popper on Bob's tile.
    await menuButton.click({ timeout: 10_000 });
    at = Date.now();
    await mcBlue.p.getByRole('menuitem', { name: 'Party' }).click({ timeout: 10_000 });
    await waitFor(
      "Element Call to show Bob's reaction",
      async () => (await bobOnEc())?.reaction === '🎉',
      10_000,
      100,
    );
    measured['Element Call shows a reaction of <matrix-call> (ms)'] = Date.now() - at;
    await ecRed.screenshot('ec-8-reaction-from-mc');
    // We lower it: Element Call's ✋ goes.
    await menuButton.click({ timeout: 10_000 });
    await mcBlue.p.getByRole('menuitemcheckbox', { name: /Lower hand/ }).click({ timeout: 10_000 });
    await waitFor(
      "Element Call to drop Bob's raised hand",
      async () => (await bobOnEc())?.raisedHand === false,
      10_000,
      100,
    );
    // The call itself is unharmed: both still decode each other.
    await allSeeAll([ecRed, mcBlue]);
  });

  void it('3a. Element Call crashes: <matrix-call> drops its tile within its delayed-leave delay', async () => {
    const erin = ecRed.user;
    const bob = mcBlue.user;
    assert.ok(erin && bob);
    assert.equal(await liveMemberships(roomA, bob, erin), 1, "Erin's membership is in room state");
    await keepRecords(ecRed);
    await mcBlue.watch(erin.userId, 'gone');
    const killed = Date.now();
    ecRed.kill();
    const goneMs = (await mcBlue.seenAt(erin.userId, 'gone', 40_000)) - killed;
    measured['<matrix-call> drops a crashed Element Call (ms)'] = goneMs;
    console.log(`crashed Element Call gone from <matrix-call> after ${goneMs} ms`);
    assert.ok(
      goneMs <= EC_LEAVE_DELAY_MS + CRASH_MARGIN_MS,
      `Erin's tile went ${goneMs} ms after the crash`,
    );
    assert.equal(await liveMemberships(roomA, bob, erin), 0, "Erin's membership left room state");
    await done(mcBlue);
    await ecRed.launch();
  });

  // ── Call B: <matrix-call> first, then Element Call. ──
  let roomB = '';

  void it('1b. <matrix-call> joins first, then Element Call: video and audio both ways', async () => {
    roomB = await setup([
      [mcBlue, 'Bea'],
      [ecRed, 'Ezra'],
    ]);
    await mcBlue.join();
    await ecRed.join();
    await allSeeAll([ecRed, mcBlue]);
    await audioBothWays(ecRed, mcBlue);
    await Promise.all([ecRed.screenshot('ec-1b'), mcBlue.screenshot('ec-1b')]);
  });

  void it('3b. <matrix-call> crashes: Element Call drops its tile within our delayed-leave delay', async () => {
    const bea = mcBlue.user;
    const ezra = ecRed.user;
    assert.ok(bea && ezra);
    assert.equal(await liveMemberships(roomB, ezra, bea), 1, "Bea's membership is in room state");
    await mcBlue.keepDiagnostics();
    const killed = Date.now();
    mcBlue.kill();
    await waitFor(
      "Element Call to drop the crashed Bea's tile",
      async () => (await ecRed.tilesOf(mcBlue)).length === 0,
      40_000,
      100,
    );
    const goneMs = Date.now() - killed;
    measured['Element Call drops a crashed <matrix-call> (ms)'] = goneMs;
    console.log(`crashed <matrix-call> gone from Element Call after ${goneMs} ms`);
    assert.ok(
      goneMs <= MC_LEAVE_DELAY_MS + CRASH_MARGIN_MS,
      `Bea's tile went ${goneMs} ms after the crash`,
    );
    assert.equal(await liveMemberships(roomB, ezra, bea), 0, "Bea's membership left room state");
    await done(ecRed);
    await mcBlue.launch();
  });

  void it('4a. unencrypted room: both decode, neither encrypts', async () => {
    await setup(
      [
        [mcGreen, 'Gus'],
        [ecYellow, 'Yara'],
      ],
      { encrypted: false },
    );
    await mcGreen.join();
    await ecYellow.join();
    await allSeeAll([mcGreen, ecYellow]);
    assert.equal(await mcGreen.p.evaluate(() => window.__e2e.lock()), 'Not encrypted');
    for (const tile of await mcGreen.remoteTiles()) assert.equal(tile.encryption, 'none');
    await done(mcGreen, ecYellow);
  });

  void it('4b. shared secret (Element Call `password`, our `e2ee`): the same secret decrypts both ways', async () => {
    await setup(
      [
        [mcGreen, 'Gia'],
        [ecYellow, 'Yuri'],
      ],
      { encrypted: false, secret: 'correct horse battery staple' },
    );
    await ecYellow.join();
    await mcGreen.join();
    await allSeeAll([mcGreen, ecYellow]);
    assert.match(await mcGreen.p.evaluate(() => window.__e2e.lock()), /shared password/i);
    await done(mcGreen, ecYellow);
  });

  void it('5a. three people: two on Element Call, one on <matrix-call>', async () => {
    await setup([
      [ecRed, 'Eve'],
      [ecYellow, 'Yan'],
      [mcBlue, 'Ben'],
    ]);
    await ecRed.join();
    await ecYellow.join();
    await mcBlue.join();
    await allSeeAll([ecRed, ecYellow, mcBlue]);
    await done(ecRed, ecYellow, mcBlue);
  });

  void it('5b. three people: two on <matrix-call>, one on Element Call', async () => {
    await setup([
      [mcBlue, 'Bo'],
      [mcGreen, 'Gil'],
      [ecRed, 'Eli'],
    ]);
    await mcBlue.join();
    await ecRed.join();
    await mcGreen.join();
    await allSeeAll([mcBlue, mcGreen, ecRed]);
    await done(mcBlue, mcGreen, ecRed);
  });

  void it('10. Element Call in matrix_2_0 mode (sticky rtc.member, /get_token): both decode', async () => {
    const [eve, ben] = await Promise.all([run.user('Esme'), run.user('Bram')]);
    const room = await run.room(eve, [ben], { encrypted: true });
    await Promise.all([ecRed.open(eve, room, { mode: 'matrix2' }), mcBlue.open(ben, room)]);
    recordWire(ecRed.p, ecRed.label, origins(), wire);
    recordWire(mcBlue.p, mcBlue.label, origins(), wire);
    await ecRed.join();
    await mcBlue.join();
    await allSeeAll([ecRed, mcBlue]);
    // We know Element Call by its hashed LiveKit identity (MSC4195), not `<user>:<device>`.
    const tile = (await mcBlue.remoteTiles('camera')).find((t) => t.userId === eve.userId);
    assert.ok(tile && !tile.id.startsWith('@'), `tile id ${tile?.id ?? 'none'} is a hash`);
    const sticky = (await ecRed.records()).find(
      (r) => 'kind' in r && r.kind === 'send-sticky' && r.type === 'org.matrix.msc4143.rtc.member',
    );
    assert.ok(sticky, 'Element Call sent a sticky org.matrix.msc4143.rtc.member');
    await done(ecRed, mcBlue);
  });

  void it("9. call notifications: Element Call's shows in our lobby, ours has the shape of Element Call's", async () => {
    const NOTIFICATION = 'org.matrix.msc4075.rtc.notification';
    /** Decrypted notifications in the room, as Element Call's host client sees them. */
    const notifications = () =>
      ecRed.p.evaluate((type) => window.__host.events(type), NOTIFICATION);
    // Element Call starts the call while Bob waits in our lobby: our ring banner names it.
    await setup([
      [ecRed, 'Nell'],
      [mcBlue, 'Ned'],
    ]);
    await ecRed.join();
    const banner = mcBlue.p.locator('matrix-call [part~="ring"]');
    await banner.waitFor({ state: 'visible', timeout: 20_000 });
    assert.match((await banner.textContent()) ?? '', /Nell started a call/);
    const nell = ecRed.user?.userId;
    const theirs = (await notifications()).find((e) => e.sender === nell);
    assert.ok(theirs, 'Element Call sent a notification');
    await done(ecRed, mcBlue);
    // We start one (no `notify` set: a start-* intent notifies, as Element Call does).
    await setup([
      [mcBlue, 'Nora'],
      [ecRed, 'Noel'],
    ]);
    await mcBlue.join();
    const nora = mcBlue.user?.userId;
    const ours = await waitFor(
      'our notification to reach the host',
      async () => (await notifications()).find((e) => e.sender === nora),
      20_000,
    );
    const [a, b] = [theirs.content, ours.content] as Record<string, unknown>[];
    if (!a || !b) throw new Error('no content');
    for (const [key, value] of Object.entries(a))
      assert.equal(typeof b[key], typeof value, `our ${key} is a ${typeof value} as theirs`);
    for (const key of ['notification_type', 'm.mentions', 'lifetime', 'm.call.intent'])
      assert.deepEqual(b[key], a[key], `our ${key} equals Element Call's`);
    assert.equal((b['m.relates_to'] as { rel_type?: string }).rel_type, 'm.reference');
    await done(mcBlue, ecRed);
  });

  void it('wire: what each side sent, written for FINDINGS.md; no secret in any log', () => {
    const file = join(ARTIFACTS, 'element-call-wire.json');
    writeFileSync(file, JSON.stringify({ measured, wire, hostRecords }, null, 2));
    console.log(`wire log: ${wire.length} requests, ${hostRecords.length} host records → ${file}`);
    for (const [what, ms] of Object.entries(measured)) console.log(`  ${what}: ${ms}`);
    const secrets = [...run.secrets];
    assert.ok(secrets.length >= 10, `collected ${secrets.length} secrets`);
    const leaks: string[] = [];
    const scan = (where: string, text: string) => {
      secrets.forEach((secret, i) => {
        if (text.includes(secret)) leaks.push(`${where} contains secret #${i}`);
      });
    };
    // Element Call's own console (its iframe) is not ours to fix: it logs OpenID tokens and
    // JWTs itself (FINDINGS.md). Everything else is: our pages, the widget host, the js-sdk.
    const upstream = run.consoleLines.filter((l) => l.includes(ELEMENT_CALL_FRAME_TAG));
    const upstreamLeaks = upstream.filter((l) => secrets.some((s) => l.includes(s))).length;
    console.log(`Element Call's iframe logged a secret in ${upstreamLeaks} console lines`);
    run.consoleLines.forEach((line, i) => {
      if (!line.includes(ELEMENT_CALL_FRAME_TAG))
        scan(`console line ${i} (${line.slice(0, 12)}…)`, line);
    });
    scan('the wire log', JSON.stringify(wire));
    scan('the host records', JSON.stringify(hostRecords));
    assert.deepEqual(leaks, []);
  });
});
