import { RemoteVideoTrack, Track, type ElementInfo } from 'livekit-client';
import type { CallTrack, TrackSource, VideoViewHandle, VideoViewport } from './types.js';

export function trackSource(source: Track.Source): TrackSource | undefined {
  switch (source) {
    case Track.Source.Camera:
      return 'camera';
    case Track.Source.Microphone:
      return 'microphone';
    case Track.Source.ScreenShare:
      return 'screen-share';
    case Track.Source.ScreenShareAudio:
      return 'screen-share-audio';
    default:
      return undefined;
  }
}

/**
 * A view of a remote video as LiveKit's adaptive stream sees it. The UI
 * reports size and visibility; LiveKit picks the layer and pauses hidden video.
 * This replaces `track.attach(element)`, so the core never touches the DOM.
 */
class ReportedView implements ElementInfo {
  readonly element = {};
  visible: boolean;
  pictureInPicture: boolean;
  visibilityChangedAt: number | undefined;
  handleResize?: () => void;
  handleVisibilityChanged?: () => void;
  #w: number;
  #h: number;

  constructor(viewport: VideoViewport) {
    this.visible = viewport.visible;
    this.pictureInPicture = viewport.pictureInPicture ?? false;
    this.#w = viewport.width;
    this.#h = viewport.height;
  }
  width(): number {
    return this.#w;
  }
  height(): number {
    return this.#h;
  }
  observe(): void {
    // nothing to observe: the page reports changes through update()
  }
  stopObserving(): void {
    // see observe()
  }
  update(viewport: VideoViewport): void {
    const resized = viewport.width !== this.#w || viewport.height !== this.#h;
    const visibility =
      viewport.visible !== this.visible ||
      (viewport.pictureInPicture ?? false) !== this.pictureInPicture;
    this.#w = viewport.width;
    this.#h = viewport.height;
    this.pictureInPicture = viewport.pictureInPicture ?? false;
    if (visibility) {
      this.visible = viewport.visible;
      this.visibilityChangedAt = Date.now();
      this.handleVisibilityChanged?.();
    }
    if (resized) this.handleResize?.();
  }
}

const tracks = new WeakMap<Track, CallTrack>();

/** The stable `CallTrack` wrapper for a LiveKit track (one per track, so UI keys stay stable). */
export function toCallTrack(track: Track, isLocal: boolean, source: TrackSource): CallTrack {
  const existing = tracks.get(track);
  if (existing && existing.mediaStreamTrack === track.mediaStreamTrack) return existing;
  const mediaStreamTrack = track.mediaStreamTrack;
  const callTrack: CallTrack = {
    id: track.sid ?? `${source}:${mediaStreamTrack.id}`,
    kind: track.kind === Track.Kind.Video ? 'video' : 'audio',
    source,
    isLocal,
    mediaStreamTrack,
    observeView(initial: VideoViewport): VideoViewHandle {
      if (!(track instanceof RemoteVideoTrack) || !track.isAdaptiveStream) {
        return { update: () => undefined, release: () => undefined };
      }
      const view = new ReportedView(initial);
      track.observeElementInfo(view);
      let released = false;
      return {
        update: (viewport) => {
          if (!released) view.update(viewport);
        },
        release: () => {
          if (released) return;
          released = true;
          track.stopObservingElementInfo(view);
        },
      };
    },
  };
  tracks.set(track, callTrack);
  return callTrack;
}
