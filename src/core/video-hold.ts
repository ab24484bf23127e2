import { Track, type RemoteTrackPublication } from 'livekit-client';

/**
 * Holds a video we just asked to subscribe to until it is subscribed. In livekit-client's
 * single peer connection the SFU starts forwarding before our side has applied its answer,
 * and the keyframe it asks for then is lost about half the time; the next one waits out
 * LiveKit's 500 ms keyframe-request throttle (bench/README.md, "peer join"). Paused, the
 * SFU asks for no keyframe; resumed once subscribed, it asks and the keyframe arrives.
 * Returns whether it held the video.
 */
export function holdUntilSubscribed(publication: RemoteTrackPublication): boolean {
  if (publication.kind !== Track.Kind.Video || publication.isSubscribed) return false;
  publication.setEnabled(false);
  return !publication.isEnabled;
}

interface PublicationInternals {
  requestedDisabled: boolean | undefined;
  emitTrackUpdate(): void;
}

/**
 * Ends our pause of a video: adaptive stream decides again (a hidden tile or a background
 * tab pauses it). `setEnabled(true)` alone would keep it on whatever the UI does, so this
 * clears livekit-client's request instead, where its internals are as expected.
 */
export function releaseToAdaptiveStream(publication: RemoteTrackPublication): void {
  const p = publication as unknown as Partial<PublicationInternals>;
  if (typeof p.emitTrackUpdate === 'function' && 'requestedDisabled' in publication) {
    p.requestedDisabled = undefined;
    p.emitTrackUpdate();
  } else {
    publication.setEnabled(true);
  }
}
