import {
  Track,
  type LocalParticipant,
  type RemoteParticipant,
  type TrackPublication,
} from 'livekit-client';
import { toCallTrack } from './tracks.js';
import type { CallTrack, ConnectionQuality, TrackSource } from './types.js';

/** What a LiveKit participant shows and plays, read at one moment: plain data for the snapshot. */
export interface ParticipantMedia {
  speaking: boolean;
  audioLevel: number;
  connectionQuality: ConnectionQuality;
  microphoneEnabled: boolean;
  cameraEnabled: boolean;
  screenShareEnabled: boolean;
  cameraTrack: CallTrack | undefined;
  microphoneTrack: CallTrack | undefined;
  screenShareTrack: CallTrack | undefined;
  screenShareAudioTrack: CallTrack | undefined;
}

/** Our side: speaking, quality and the screen share (camera and mic come from local media). */
export interface LocalParticipantMedia {
  speaking: boolean;
  connectionQuality: ConnectionQuality;
  screenShareTrack: CallTrack | undefined;
}

export function readRemoteParticipant(p: RemoteParticipant): ParticipantMedia {
  const cam = p.getTrackPublication(Track.Source.Camera);
  const mic = p.getTrackPublication(Track.Source.Microphone);
  const screen = p.getTrackPublication(Track.Source.ScreenShare);
  const screenAudio = p.getTrackPublication(Track.Source.ScreenShareAudio);
  return {
    speaking: p.isSpeaking,
    audioLevel: p.audioLevel,
    connectionQuality: quality(p.connectionQuality),
    microphoneEnabled: Boolean(mic && !mic.isMuted),
    cameraEnabled: Boolean(cam && !cam.isMuted),
    screenShareEnabled: Boolean(screen && !screen.isMuted),
    cameraTrack: trackOf(cam, false, 'camera'),
    microphoneTrack: trackOf(mic, false, 'microphone'),
    screenShareTrack: trackOf(screen, false, 'screen-share'),
    screenShareAudioTrack: trackOf(screenAudio, false, 'screen-share-audio'),
  };
}

export function readLocalParticipant(p: LocalParticipant): LocalParticipantMedia {
  return {
    speaking: p.isSpeaking,
    connectionQuality: quality(p.connectionQuality),
    screenShareTrack: trackOf(
      p.getTrackPublication(Track.Source.ScreenShare),
      true,
      'screen-share',
    ),
  };
}

function quality(value: string): ConnectionQuality {
  return value === 'excellent' || value === 'good' || value === 'poor' || value === 'lost'
    ? value
    : 'unknown';
}

function trackOf(
  publication: TrackPublication | undefined,
  isLocal: boolean,
  source: TrackSource,
): CallTrack | undefined {
  const track = publication?.track;
  return track && !publication.isMuted ? toCallTrack(track, isLocal, source) : undefined;
}
