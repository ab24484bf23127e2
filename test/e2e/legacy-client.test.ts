// End to end: a plain older client that sends the legacy per-user membership format
// (`{"memberships": [...]}` under its user ID) and publishes with plain livekit-client, no
// E2EE, beside <matrix-call> in its own browser. Unencrypted room: they see each other, and
// the legacy person's tile goes when their list empties or their entry expires. Encrypted
// room: their tile says their app can't encrypt, and no unencrypted media is taken.
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { COLOURS, E2ERun, Participant, waitFor, type Peer } from './harness.js';
import { LegacyClient } from './legacy-client.js';
import { membershipContent, putState, CALL_MEMBER } from './room-state.js';

const near = (px: readonly number[] | null, rgb: readonly number[]) =>
  !!px && px.every((c, i) => Math.abs(c - (rgb[i] ?? 0)) <= 20);

void describe('end to end: an older client with legacy memberships', { timeout: 300_000 }, () => {
  let run: E2ERun;
  let red: Participant;
  /** The legacy client's browser, with a green camera. */
  let green: Participant;
  let legacy: LegacyClient | undefined;

  before(async () => {
    run = await E2ERun.start();
    [red, green] = await Promise.all([
      Participant.launch(run, 'a', 'red'),
      Participant.launch(run, 'legacy', 'green'),
    ]);
  });

  after(async () => {
    await legacy?.close();
    await run.close();
  });

  afterEach(async () => {
    await legacy?.close();
    legacy = undefined;
    await red.closePage();
    run.assertNoNewPageErrors();
  });

  /** Alice on <matrix-call> (red) and Lee on the legacy client, in a new room; Alice joined. */
  async function setup(encrypted: boolean): Promise<{ lee: LegacyClient; peer: Peer }> {
    const [alice, leeUser] = await Promise.all([run.user('Alice'), run.user('Lee Legacy')]);
    const room = await run.room(alice, [leeUser], { encrypted });
    await red.open(alice, room);
    await red.join();
    legacy = new LegacyClient(run, green, leeUser, room);
    return { lee: legacy, peer: { label: 'Lee', colour: 'green', rgb: green.rgb, user: leeUser } };
  }

  void it('1. unencrypted room: a legacy client is in the call, leaves with [] and expires', async () => {
    const { lee, peer } = await setup(false);
    const leeId = lee.user.userId;
    const aliceIdentity = (await red.tiles()).find((t) => t.isLocal)?.id ?? '';
    // As an older Element Call: grant, connect and publish, then the membership.
    await lee.connect();
    await lee.publishCamera();
    await lee.setMemberships([lee.entry()]);

    await red.seesVideoOf(peer, 45_000);
    const tile = (await red.remoteTiles()).find((t) => t.userId === leeId);
    assert.equal(tile?.id, lee.identity, 'the tile is the LiveKit identity /sfu/get gave');
    assert.equal(tile.encryption, 'none');
    assert.equal(tile.name, 'Lee Legacy');
    await red.screenshot('legacy-1-unencrypted');

    // The legacy client receives Alice (LiveKit auto-subscribe), decoding.
    await waitFor(
      'the legacy client to see Alice in red',
      async () => near(await lee.pixel(aliceIdentity), COLOURS.red.rgb),
      30_000,
      250,
    );
    const before = (await lee.received(aliceIdentity)).frames;
    await waitFor(
      'the legacy client to keep decoding Alice',
      async () => (await lee.received(aliceIdentity)).frames >= before + 5,
      10_000,
      500,
    );

    // Leaving: camera off first (still on the SFU), the tile stays while the entry does…
    await lee.unpublishCamera();
    await waitFor(
      "Lee's tile to show no video",
      async () => (await red.remoteTiles()).find((t) => t.userId === leeId)?.videoShown === false,
      15_000,
    );
    // …and goes once the list is empty.
    await red.watch(leeId, 'gone');
    const leftAt = Date.now();
    await lee.setMemberships([]);
    const goneAt = await red.seenAt(leeId, 'gone', 15_000);
    console.log(`legacy leave → tile gone in ${String(goneAt - leftAt)} ms`);

    // An entry that expires (absolute expires_ts, as Famedly's SDK sends it) goes at its expiry,
    // with no further event in the room.
    const expiresTs = Date.now() + 12_000;
    await lee.setMemberships([lee.entry({ expiresTs })]);
    await waitFor(
      "Lee's tile to come back",
      async () => (await red.remoteTiles()).some((t) => t.userId === leeId),
      15_000,
    );
    await red.watch(leeId, 'gone');
    const expiredAt = await red.seenAt(leeId, 'gone', 30_000);
    console.log(
      `legacy entry expired → tile gone ${String(expiredAt - expiresTs)} ms after expires_ts`,
    );
    assert.ok(expiredAt >= expiresTs - 500, `gone ${String(expiresTs - expiredAt)} ms early`);
    assert.ok(expiredAt <= expiresTs + 8000, `gone ${String(expiredAt - expiresTs)} ms late`);
    await lee.disconnect();
  });

  void it('2. encrypted room: the legacy person shows as "can\'t encrypt", no clear media either way', async () => {
    const { lee } = await setup(true);
    const leeId = lee.user.userId;
    const aliceIdentity = (await red.tiles()).find((t) => t.isLocal)?.id ?? '';
    await lee.connect();
    await lee.publishCamera();
    await lee.setMemberships([lee.entry()]);

    // Lee's camera is on the SFU beside Alice (the tile knows it is on), yet not taken.
    const tile = await waitFor(
      `Alice to show Lee as "Their app can't encrypt", camera on`,
      async () => {
        const t = (await red.remoteTiles()).find((x) => x.userId === leeId);
        return t?.e2eeBadge === "Their app can't encrypt" && t.cameraEnabled ? t : undefined;
      },
      30_000,
    );
    assert.equal(tile.encryption, 'unsupported');
    assert.equal(tile.videoShown, false);
    assert.equal(await red.framesFrom(leeId), 0, 'no frames from the legacy client');
    await red.screenshot('legacy-2-encrypted');
    // Alice's media reaches the legacy client encrypted: never her red picture.
    await waitFor(
      "the legacy client to receive Alice's (encrypted) video",
      async () => (await lee.received(aliceIdentity)).packets >= 100,
      30_000,
      500,
    );
    assert.ok(
      !near(await lee.pixel(aliceIdentity), COLOURS.red.rgb),
      'the legacy client decoded Alice in the clear',
    );

    // The same unencrypted publisher with a current per-device membership (a client that
    // claims MatrixRTC but never encrypts): its tracks are refused all the same.
    await lee.setMemberships([]);
    await putState(
      lee.user,
      lee.roomId,
      CALL_MEMBER,
      `_${leeId}_${lee.user.deviceId}_m.call`,
      membershipContent(lee.user, lee.user.deviceId, run.stack.authServiceUrl, lee.roomId),
    );
    await waitFor(
      'Alice to refuse the unencrypted tracks',
      async () => (await red.diagnosticsText()).includes('not subscribing to unencrypted media'),
      20_000,
      500,
    );
    const modern = (await red.remoteTiles()).find((t) => t.userId === leeId);
    assert.notEqual(modern?.encryption, 'unsupported', 'a per-device member is no legacy one');
    assert.equal(modern?.videoShown, false);
    assert.equal(await red.framesFrom(leeId), 0, 'no frames from the unencrypted publisher');
    await lee.disconnect();
  });
});
