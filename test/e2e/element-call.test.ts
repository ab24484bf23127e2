// Interop end to end: <matrix-call> (demo page, CDN build) and the published Element Call
// (@element-hq/element-call-embedded, pinned) hosted in our test widget host, each person in
// their own Chromium with their own camera colour, on one local stack. Every check is on
// decoded media, both ways: the centre pixel's colour, growing decoded frame counts and decoded
// audio samples, read inside <matrix-call> and inside Element Call's iframe.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { E2ERun, Participant, waitFor, type Peer } from './harness.js';
import { ElementCallParticipant, displayNames } from './element-call-participant.js';
import { serveWidgetHost, type WidgetHostServer } from '../widget-host/serve.js';
import type { ProvisionedUser } from '../../stack/provision.js';

void describe('interop: <matrix-call> and Element Call', { timeout: 900_000 }, () => {
  let run: E2ERun;
  let server: WidgetHostServer;
  /** On Element Call. */
  let ecRed: ElementCallParticipant;
  let ecYellow: ElementCallParticipant;
  /** On <matrix-call>. */
  let mcBlue: Participant;
  let mcGreen: Participant;
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

  async function user(name: string): Promise<ProvisionedUser> {
    const u = await run.user(name);
    displayNames.set(u.userId, name);
    return u;
  }

  type Anyone = Participant | ElementCallParticipant;

  /** Registers one user per person, one room (encrypted unless said), opens everyone's lobby. */
  async function setup(
    people: [Anyone, string][],
    opts: { encrypted?: boolean; secret?: string } = {},
  ): Promise<string> {
    const users = await Promise.all(people.map(([, name]) => user(name)));
    const [first, ...rest] = users;
    if (!first) throw new Error('nobody');
    const room = await run.room(first, rest, { encrypted: opts.encrypted ?? true });
    await Promise.all(
      people.map(([p], i) => {
        const u = users[i];
        if (!u) throw new Error('missing user');
        if (p instanceof ElementCallParticipant)
          return p.open(u, room, opts.secret !== undefined ? { secret: opts.secret } : {});
        return p.open(u, room, {
          extra: opts.secret !== undefined ? { e2ee: opts.secret } : {},
        });
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

  /** Decoded audio keeps growing on both sides of an EC ↔ matrix-call pair. */
  async function audioBothWays(ec: ElementCallParticipant, mc: Participant): Promise<void> {
    const mcDecoded = async () =>
      (await mc.stats())
        .filter((s) => s.kind === 'audio' && s.participantId.startsWith(`${ec.user?.userId}:`))
        .reduce((n, s) => n + s.totalSamplesReceived - s.concealedSamples, 0);
    const [ec0, mc0] = [await ec.decodedAudioSamples(), await mcDecoded()];
    await sleep(1500);
    const [ec1, mc1] = [await ec.decodedAudioSamples(), await mcDecoded()];
    assert.ok(ec1 > ec0 + 24_000, `Element Call decodes audio (${ec0} → ${ec1} samples)`);
    assert.ok(mc1 > mc0 + 24_000, `<matrix-call> decodes audio (${mc0} → ${mc1} samples)`);
  }

  async function done(...people: Anyone[]): Promise<void> {
    await Promise.all(people.map((p) => p.closePage()));
  }

  void it('1a. Element Call joins first, then <matrix-call>: video and audio both ways', async () => {
    await setup([
      [ecRed, 'Erin'],
      [mcBlue, 'Bob'],
    ]);
    await ecRed.join();
    await mcBlue.join();
    await allSeeAll([ecRed, mcBlue]);
    await audioBothWays(ecRed, mcBlue);
    await Promise.all([ecRed.screenshot('ec-1a'), mcBlue.screenshot('ec-1a')]);
    await done(ecRed, mcBlue);
  });
});
