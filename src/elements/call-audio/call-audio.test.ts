import { assert, fixture, html } from '@open-wc/testing';
import type { CallAudioElement } from './call-audio.js';
import {
  FakeCallSession,
  fakeAudioTrack,
  fakeParticipant,
  stopFakeMedia,
} from '../../../test/browser/fake-call-session.js';
import {
  $,
  $$,
  assertAccessibleAtEveryWidth,
  settle,
  until,
} from '../../../test/browser/helpers.js';

function withAudio() {
  const a = fakeParticipant(1, { microphoneTrack: fakeAudioTrack() });
  const b = fakeParticipant(2, {
    microphoneTrack: fakeAudioTrack(),
    screenShareAudioTrack: fakeAudioTrack({ source: 'screen-share-audio' }),
  });
  const session = FakeCallSession.inCall([a, b]);
  session.set({
    participants: session.snapshot.participants.map((p) =>
      p.isLocal ? { ...p, microphoneTrack: fakeAudioTrack({ isLocal: true }) } : p,
    ),
  });
  return { session, a, b };
}

describe('<call-audio>', () => {
  afterEach(stopFakeMedia);

  it('plays every remote microphone and screen audio, never our own, and keeps playing', async () => {
    const { session, a, b } = withAudio();
    const el = await fixture<CallAudioElement>(html`<call-audio .session=${session}></call-audio>`);
    await settle(el);
    const audio = $$<HTMLAudioElement>(el, 'audio');
    const tracks = audio.map((x) => (x.srcObject as MediaStream).getAudioTracks()[0]);
    assert.sameMembers(tracks, [
      a.microphoneTrack?.mediaStreamTrack,
      b.microphoneTrack?.mediaStreamTrack,
      b.screenShareAudioTrack?.mediaStreamTrack,
    ]);
    await until(() => audio.every((x) => !x.paused && x.currentTime > 0), 'playing');
    session.set({ participants: [...session.snapshot.participants] });
    await settle(el);
    assert.deepEqual($$<HTMLAudioElement>(el, 'audio'), audio, 'the same elements after an update');
  });

  it('offers a button when the browser blocks autoplay, and plays on click', async () => {
    const { session } = withAudio();
    const original = Object.getOwnPropertyDescriptor(HTMLMediaElement.prototype, 'play');
    const play =
      (original?.value as HTMLMediaElement['play'] | undefined) ?? (() => Promise.resolve());
    let blocked = true;
    HTMLMediaElement.prototype.play = function (this: HTMLMediaElement) {
      return blocked
        ? Promise.reject(new DOMException('no gesture', 'NotAllowedError'))
        : play.call(this);
    };
    try {
      const el = await fixture<CallAudioElement>(
        html`<call-audio .session=${session}></call-audio>`,
      );
      await until(() => $$(el, '[part="enable-button"]').length === 1, 'button');
      await assertAccessibleAtEveryWidth(el, 'autoplay blocked');
      // What a blocked browser does to autoplay, which the stand-in above cannot stop.
      for (const audio of $$<HTMLAudioElement>(el, 'audio')) audio.pause();
      blocked = false;
      $<HTMLButtonElement>(el, '[part="enable-button"]').click();
      await until(() => $$(el, '[part="enable-button"]').length === 0, 'button gone');
      assert.isTrue($$<HTMLAudioElement>(el, 'audio').every((x) => !x.paused));
    } finally {
      if (original) Object.defineProperty(HTMLMediaElement.prototype, 'play', original);
    }
  });

  it('routes audio to the chosen speaker', async () => {
    const sinks: string[] = [];
    const proto = HTMLMediaElement.prototype as { setSinkId: (id: string) => Promise<void> };
    const original = Object.getOwnPropertyDescriptor(HTMLMediaElement.prototype, 'setSinkId');
    proto.setSinkId = (id: string) => {
      sinks.push(id);
      return Promise.resolve();
    };
    try {
      const { session } = withAudio();
      const el = await fixture<CallAudioElement>(
        html`<call-audio .session=${session}></call-audio>`,
      );
      session.setLocal({ audioOutputId: 'spk-2' });
      await settle(el);
      assert.include(sinks, 'spk-2');
    } finally {
      if (original) Object.defineProperty(HTMLMediaElement.prototype, 'setSinkId', original);
    }
  });

  it('is accessible while playing', async () => {
    const { session } = withAudio();
    const el = await fixture<CallAudioElement>(html`<call-audio .session=${session}></call-audio>`);
    await assertAccessibleAtEveryWidth(el, 'playing');
  });
});
