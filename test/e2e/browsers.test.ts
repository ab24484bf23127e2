// End to end across browsers: Debian's Firefox ESR (WebDriver BiDi through puppeteer-core)
// in encrypted calls with Chromium and with another Firefox, on the local stack. Firefox does
// SFrame E2EE through RTCRtpScriptTransform, Chromium through insertable streams: each side
// must decrypt the other's media. Decoded media is checked by colour: Chromium's solid-colour
// fake camera, Firefox's own fake camera by its signature (see firefox-participant.ts).
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { E2ERun, Participant, secretLeaks, waitFor } from './harness.js';
import { FirefoxParticipant, seesMovingFakeCamera } from './firefox-participant.js';

void describe('end to end: <matrix-call> in Firefox and Chromium', { timeout: 420_000 }, () => {
  let run: E2ERun;
  let chromium: Participant;
  let firefox: FirefoxParticipant;
  let firefox2: FirefoxParticipant;

  before(async () => {
    run = await E2ERun.start();
    [chromium, firefox, firefox2] = await Promise.all([
      Participant.launch(run, 'chromium', 'red'),
      FirefoxParticipant.launch(run, 'firefox'),
      FirefoxParticipant.launch(run, 'firefox2'),
    ]);
  });

  after(async () => {
    await run.close();
  });

  afterEach(() => {
    run.assertNoNewPageErrors();
  });

  async function done(...people: Participant[]): Promise<void> {
    await Promise.all(people.map((p) => p.closePage()));
  }

  /** `me` receives and decodes `other`'s audio: samples that are not concealment keep growing. */
  async function hearsAudioOf(me: Participant, other: Participant): Promise<void> {
    const audio = async () =>
      (await me.stats()).find(
        (s) => s.kind === 'audio' && s.participantId.startsWith(`${other.user?.userId}:`),
      );
    const decoded = (s: { totalSamplesReceived: number; concealedSamples: number }) =>
      s.totalSamplesReceived - s.concealedSamples;
    const first = await waitFor(`${me.label} to receive audio from ${other.label}`, audio, 15_000);
    await waitFor(
      `${me.label} to decode audio from ${other.label}`,
      async () => {
        const now = await audio();
        return !!now && decoded(now) > decoded(first) + 24_000;
      },
      10_000,
      500,
    );
  }

  void it('1. Chromium and Firefox in an encrypted call: each decrypts the other’s video and audio', async () => {
    await run.setup([
      [chromium, 'Alice'],
      [firefox, 'Fiona'],
    ]);
    await firefox.seesLobbyPreview();
    await chromium.join();
    await firefox.join();
    // Chromium's red camera, decrypted in Firefox; Firefox's moving fake camera, in Chromium.
    await Promise.all([
      firefox.seesVideoOf(chromium, 45_000),
      chromium.seesVideoOf(firefox, 45_000),
    ]);
    await seesMovingFakeCamera(chromium, firefox);
    await Promise.all([hearsAudioOf(chromium, firefox), hearsAudioOf(firefox, chromium)]);
    assert.match(await firefox.evaluate(() => window.__e2e.lock()), /end-to-end encrypted/i);
    const tile = (await firefox.remoteTiles('camera'))[0];
    assert.equal(tile?.encryption, 'ok', 'Firefox says the media is decrypted');
    // Firefox encrypts and decrypts in RTCRtpScriptTransform: camera and microphone each way.
    const transforms = await firefox.evaluate(() => window.__e2e.scriptTransforms());
    assert.ok(
      transforms.senders >= 2 && transforms.receivers >= 2,
      `script transforms in Firefox: ${JSON.stringify(transforms)}`,
    );
    await Promise.all([chromium.screenshot('browsers-1'), firefox.screenshot('browsers-1')]);
    await done(chromium, firefox);
  });

  void it('2. Firefox and Firefox in an encrypted call: both decrypt each other', async () => {
    await run.setup([
      [firefox, 'Fiona'],
      [firefox2, 'Frank'],
    ]);
    await firefox.join();
    await firefox2.join();
    await Promise.all([
      firefox.seesVideoOf(firefox2, 45_000),
      firefox2.seesVideoOf(firefox, 45_000),
    ]);
    await Promise.all([
      seesMovingFakeCamera(firefox, firefox2),
      seesMovingFakeCamera(firefox2, firefox),
    ]);
    await hearsAudioOf(firefox, firefox2);
    await Promise.all([firefox.screenshot('browsers-2'), firefox2.screenshot('browsers-2')]);
    await done(firefox, firefox2);
  });

  void it('3. mixed browsers: Firefox turns its camera off and on, mutes, and leaves', async () => {
    await run.setup([
      [chromium, 'Alice'],
      [firefox, 'Fiona'],
    ]);
    await Promise.all([chromium.join(), firefox.join()]);
    await Promise.all([
      chromium.seesVideoOf(firefox, 45_000),
      firefox.seesVideoOf(chromium, 45_000),
    ]);
    const fiona = firefox.user?.userId ?? '';
    const tileOfFiona = async () =>
      (await chromium.remoteTiles('camera')).find((t) => t.userId === fiona);

    // Camera off in Firefox: Chromium shows the placeholder, no video; on again: video back.
    await chromium.watch(fiona, 'placeholder');
    await firefox.control('camera-button');
    await chromium.seenAt(fiona, 'placeholder', 10_000);
    assert.ok(!(await tileOfFiona())?.videoShown, 'no video while the camera is off');
    await firefox.control('camera-button');
    await chromium.seesVideoOf(firefox, 30_000);
    await seesMovingFakeCamera(chromium, firefox);

    // Microphone off in Firefox: the mute badge in Chromium.
    await chromium.watch(fiona, 'muted');
    await firefox.control('microphone-button');
    await chromium.seenAt(fiona, 'muted', 10_000);
    assert.equal((await tileOfFiona())?.microphoneEnabled, false);

    // Firefox leaves: it shows "you left", and its tile goes from Chromium, which stays.
    await chromium.watch(fiona, 'gone');
    await firefox.leave();
    await firefox.waitForView('ended', 15_000);
    await chromium.seenAt(fiona, 'gone', 15_000);
    assert.equal(await chromium.view(), 'in-call');
    await Promise.all([chromium.screenshot('browsers-3'), firefox.screenshot('browsers-3')]);
    await done(chromium, firefox);
  });

  void it('no secret in any console line or exported diagnostics of either browser', () => {
    assert.ok(run.secrets.size >= 6, `collected ${run.secrets.size} secrets`);
    const leaks = secretLeaks(run.secrets, [
      ...run.consoleLines.map((line, i): [string, string] => [`console line ${i}`, line]),
      ...run.diagnosticsLogs.map((log, i): [string, string] => [`diagnostics log ${i}`, log]),
    ]);
    assert.deepEqual(leaks, []);
  });
});
