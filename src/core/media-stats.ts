import { RemoteAudioTrack, RemoteVideoTrack, type Room } from 'livekit-client';
import type { MediaStats } from './types.js';

interface InboundRtp {
  type?: string;
  framesDecoded?: number;
  packetsReceived?: number;
  packetsLost?: number;
  bytesReceived?: number;
  frameWidth?: number;
  frameHeight?: number;
  concealedSamples?: number;
  totalSamplesReceived?: number;
}

/** Receiver statistics of every subscribed remote track in these LiveKit rooms. */
export async function readMediaStats(rooms: readonly Room[]): Promise<MediaStats[]> {
  const out: MediaStats[] = [];
  for (const room of rooms) {
    for (const participant of room.remoteParticipants.values()) {
      for (const publication of participant.trackPublications.values()) {
        const track = publication.track;
        if (!(track instanceof RemoteVideoTrack) && !(track instanceof RemoteAudioTrack)) continue;
        try {
          // The receiver's own inbound-rtp report: livekit-client's getReceiverStats()
          // leaves out packetsReceived and totalSamplesReceived for audio.
          const report = await track.receiver?.getStats();
          let s: InboundRtp | undefined;
          report?.forEach((v: InboundRtp) => {
            if (v.type === 'inbound-rtp') s = v;
          });
          if (!s) continue;
          out.push({
            participantId: participant.identity,
            trackId: publication.trackSid,
            source: publication.source,
            kind: track instanceof RemoteVideoTrack ? 'video' : 'audio',
            framesDecoded: s.framesDecoded ?? 0,
            packetsReceived: s.packetsReceived ?? 0,
            packetsLost: s.packetsLost ?? 0,
            bytesReceived: s.bytesReceived ?? 0,
            frameWidth: s.frameWidth ?? 0,
            frameHeight: s.frameHeight ?? 0,
            totalSamplesReceived: s.totalSamplesReceived ?? 0,
            concealedSamples: s.concealedSamples ?? 0,
          });
        } catch {
          // a track that just ended has no stats
        }
      }
    }
  }
  return out;
}
