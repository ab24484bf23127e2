// In-page side of the large-call publishers (bench/large-call-swarm.ts): one LiveKit room per
// simulated member, each publishing a small canvas camera and a quiet tone with per-participant
// E2EE (the member's own key, HKDF material as MatrixRTC clients import it). Plain livekit-client
// (its UMD build, `window.LivekitClient`); nothing is subscribed. Plain JavaScript, so
// `page.evaluate` callbacks stay one-liners.
(() => {
  const members = new Map();
  let workerUrl;
  let audio;

  class MemberKeys extends window.LivekitClient.BaseKeyProvider {
    constructor() {
      super({ ratchetWindowSize: 10, keyringSize: 256 });
    }
    async set(identity, index, bytes) {
      const material = await crypto.subtle.importKey('raw', bytes, 'HKDF', false, [
        'deriveBits',
        'deriveKey',
      ]);
      this.onSetEncryptionKey(material, identity, index);
    }
  }

  const fromBase64 = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));

  // One timer draws every canvas: a solid colour, and a bar that moves so each frame differs.
  let tick = 0;
  setInterval(() => {
    tick++;
    for (const m of members.values()) {
      const { ctx, rgb } = m;
      ctx.fillStyle = `rgb(${rgb.join(',')})`;
      ctx.fillRect(0, 0, 320, 180);
      ctx.fillStyle = 'rgba(0,0,0,0.5)';
      ctx.fillRect((tick * 8) % 320, 170, 16, 10);
    }
  }, 100);

  function setWorkerSource(source) {
    workerUrl = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  }

  /** A tone, silent until `setLoud`: LiveKit's active-speaker detection follows the loud one. */
  function tone() {
    audio ??= new AudioContext();
    const osc = audio.createOscillator();
    osc.frequency.value = 220 + Math.random() * 440;
    const gain = audio.createGain();
    gain.gain.value = 0;
    const out = audio.createMediaStreamDestination();
    osc.connect(gain).connect(out);
    osc.start();
    return { track: out.stream.getAudioTracks()[0], gain };
  }

  /** Only `id` speaks. */
  function setLoud(id) {
    for (const [other, m] of members) if (m.gain) m.gain.gain.value = other === id ? 0.5 : 0;
  }

  async function add(id, url, jwt, keyB64, rgb) {
    const { Room, LocalVideoTrack, LocalAudioTrack, VideoPresets } = window.LivekitClient;
    const keyProvider = new MemberKeys();
    await keyProvider.set(id, 0, fromBase64(keyB64));
    const room = new Room({
      adaptiveStream: false,
      dynacast: true,
      e2ee: { keyProvider, worker: new Worker(workerUrl) },
    });
    const canvas = document.createElement('canvas');
    canvas.width = 320;
    canvas.height = 180;
    const ctx = canvas.getContext('2d');
    const m = { room, keyProvider, ctx, rgb, published: false };
    members.set(id, m);
    await room.setE2EEEnabled(true);
    await room.connect(url, jwt, { autoSubscribe: false });
    const video = new LocalVideoTrack(canvas.captureStream(10).getVideoTracks()[0]);
    await room.localParticipant.publishTrack(video, {
      source: 'camera',
      simulcast: true,
      videoCodec: 'vp8',
      videoEncoding: { maxBitrate: 200_000, maxFramerate: 10 },
      videoSimulcastLayers: [VideoPresets.h90],
    });
    const { track, gain } = tone();
    m.gain = gain;
    await room.localParticipant.publishTrack(new LocalAudioTrack(track), {
      source: 'microphone',
      dtx: true,
      red: false,
    });
    m.published = true;
  }

  async function remove(id) {
    const m = members.get(id);
    members.delete(id);
    await m?.room.disconnect();
  }

  function publishedCount() {
    return [...members.values()].filter((m) => m.published).length;
  }

  window.__swarm = { setWorkerSource, add, setLoud, remove, publishedCount };
})();
