// In-page side of the plain legacy client (test/e2e/legacy-client.ts): plain livekit-client
// (its UMD build, `window.LivekitClient`), no E2EE, auto-subscribe, every remote video in a
// <video> keyed by the sender's LiveKit identity. Plain JavaScript, so `page.evaluate`
// callbacks stay one-liners.
(() => {
  let room;
  let camera;
  const videos = new Map();

  async function connect(url, jwt) {
    const { Room, RoomEvent, Track } = window.LivekitClient;
    room = new Room({ adaptiveStream: false, dynacast: false });
    room.on(RoomEvent.TrackSubscribed, (track, _pub, participant) => {
      if (track.kind !== Track.Kind.Video) return;
      const video = track.attach();
      video.muted = true;
      document.body.append(video);
      videos.set(participant.identity, { video, track });
    });
    room.on(RoomEvent.TrackUnsubscribed, (track, _pub, participant) => {
      const entry = videos.get(participant.identity);
      if (entry?.track !== track) return;
      entry.video.remove();
      videos.delete(participant.identity);
    });
    await room.connect(url, jwt, { autoSubscribe: true });
  }

  async function publishCamera() {
    camera = await window.LivekitClient.createLocalVideoTrack({
      resolution: { width: 320, height: 240, frameRate: 15 },
    });
    await room.localParticipant.publishTrack(camera, { simulcast: false });
  }

  async function unpublishCamera() {
    if (!camera) return;
    await room.localParticipant.unpublishTrack(camera, true);
    camera = undefined;
  }

  async function disconnect() {
    await room?.disconnect();
    room = undefined;
  }

  /** Centre pixel of the video received from `identity`: [r, g, b], or null. */
  function pixel(identity) {
    const video = videos.get(identity)?.video;
    if (!video || video.videoWidth === 0 || video.readyState < 2) return null;
    const canvas = document.createElement('canvas');
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    ctx.drawImage(video, 0, 0);
    const { data } = ctx.getImageData(canvas.width >> 1, canvas.height >> 1, 1, 1);
    return [data[0], data[1], data[2]];
  }

  /** Frames decoded and packets received of the video from `identity`. */
  async function received(identity) {
    const receiver = videos.get(identity)?.track.receiver;
    const out = { frames: 0, packets: 0 };
    if (!receiver) return out;
    for (const s of (await receiver.getStats()).values()) {
      if (s.type !== 'inbound-rtp') continue;
      out.frames += s.framesDecoded ?? 0;
      out.packets += s.packetsReceived ?? 0;
    }
    return out;
  }

  /** LiveKit identities of the other participants in the room. */
  const others = () => (room ? [...room.remoteParticipants.keys()] : []);

  window.__legacy = {
    connect,
    publishCamera,
    unpublishCamera,
    disconnect,
    pixel,
    received,
    others,
  };
})();
