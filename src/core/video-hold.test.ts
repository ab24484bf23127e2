// livekit-client's own publication and video track, with the settings they would send the
// SFU. What the hold is for (the keyframe that reaches us) is measured by
// bench/join-latency.ts; media with it is checked in test/browser/core-*.test.ts.
import { assert } from '@open-wc/testing';
import { RemoteTrackPublication, RemoteVideoTrack, Track, TrackType } from 'livekit-client';
import { holdUntilSubscribed, releaseToAdaptiveStream } from './video-hold.js';

interface Internals {
  setTrack(track: RemoteVideoTrack | undefined): void;
  handleVisibilityChange(visible: boolean): void;
}

/** A subscribed-to publication, and the `disabled` flag of every settings update it sends. */
function publication(kind: Track.Kind) {
  const info = {
    sid: kind === Track.Kind.Video ? 'TR_V' : 'TR_A',
    name: kind,
    type: kind === Track.Kind.Video ? TrackType.VIDEO : TrackType.AUDIO,
    muted: false,
  };
  const pub = new RemoteTrackPublication(kind, info as never, false, {});
  const disabled: boolean[] = [];
  pub.on('updateSettings', (settings: { disabled: boolean }) => disabled.push(settings.disabled));
  pub.setSubscribed(true);
  return { pub, disabled, internals: pub as unknown as Internals };
}

function adaptiveVideoTrack(): RemoteVideoTrack {
  const canvas = document.createElement('canvas');
  const [media] = canvas.captureStream(1).getVideoTracks();
  if (!media) throw new Error('no canvas track');
  return new RemoteVideoTrack(media, 'TR_V', undefined as unknown as RTCRtpReceiver, {
    pixelDensity: 1,
  });
}

describe('video hold', () => {
  it('pauses a video until it is subscribed, then hands it back to adaptive stream', () => {
    const { pub, disabled, internals } = publication(Track.Kind.Video);
    assert.isTrue(holdUntilSubscribed(pub));
    assert.deepEqual(disabled, [true], 'the SFU is told to hold it');
    internals.setTrack(adaptiveVideoTrack());
    releaseToAdaptiveStream(pub);
    assert.equal(disabled.at(-1), false, 'released');
    // Adaptive stream decides again: a hidden tile pauses it.
    internals.handleVisibilityChange(false);
    assert.equal(disabled.at(-1), true);
    internals.handleVisibilityChange(true);
    assert.equal(disabled.at(-1), false);
  });

  it('where setEnabled(true) would keep a hidden video coming', () => {
    const { pub, disabled, internals } = publication(Track.Kind.Video);
    holdUntilSubscribed(pub);
    internals.setTrack(adaptiveVideoTrack());
    pub.setEnabled(true);
    internals.handleVisibilityChange(false);
    assert.equal(disabled.at(-1), false);
  });

  it('holds neither audio nor a video already subscribed', () => {
    const audio = publication(Track.Kind.Audio);
    assert.isFalse(holdUntilSubscribed(audio.pub));
    assert.deepEqual(audio.disabled, []);
    const video = publication(Track.Kind.Video);
    video.internals.setTrack(adaptiveVideoTrack());
    const before = video.disabled.length;
    assert.isFalse(holdUntilSubscribed(video.pub));
    assert.equal(video.disabled.length, before);
  });
});
