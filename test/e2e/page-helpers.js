// Injected into every e2e page (playwright `addInitScript`) as plain JavaScript, so that
// `page.evaluate` callbacks stay one-liners: functions transpiled by tsx would carry helper
// calls the page does not have. Reads the demo page's <matrix-call> the way a user sees it.
(() => {
  // Keep every peer connection, to read the decoder's own statistics (inter-frame delays).
  const peerConnections = [];
  const Native = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Native {
    constructor(...args) {
      super(...args);
      peerConnections.push(this);
    }
  };

  const call = () => document.querySelector('matrix-call');
  const part = (root, name) => root?.querySelector(`[part~="${name}"]`) ?? null;
  const grid = () => call()?.shadowRoot?.querySelector('call-grid') ?? null;
  const tileElements = () => [...(grid()?.shadowRoot?.querySelectorAll('call-tile') ?? [])];

  /** The tile of a participant (by user ID prefix or participant ID) and source. */
  function findTile(who, source = 'camera') {
    return tileElements().find(
      (t) =>
        t.source === source &&
        t.participant &&
        (t.participant.id === who || t.participant.userId === who),
    );
  }

  function describeTile(t) {
    const root = t.shadowRoot;
    const video = root?.querySelector('video');
    const p = t.participant;
    const rect = t.getBoundingClientRect();
    return {
      id: p?.id ?? '',
      userId: p?.userId ?? '',
      name: p?.displayName ?? '',
      isLocal: !!p?.isLocal,
      source: t.source,
      encryption: p?.encryption ?? '',
      cameraEnabled: !!p?.cameraEnabled,
      microphoneEnabled: !!p?.microphoneEnabled,
      videoShown: !!video && !video.classList.contains('waiting') && video.videoWidth > 0,
      avatar: !!part(root, 'avatar'),
      mutedBadge: !!part(root, 'muted-badge'),
      e2eeBadge: part(root, 'e2ee-badge')?.textContent?.trim() ?? '',
      handBadge: !!part(root, 'hand-badge'),
      reaction: part(root, 'reaction')?.textContent?.trim() ?? '',
      inSpotlight: !!t.closest('[part~="spotlight"]'),
      inViewport:
        rect.width > 0 &&
        rect.bottom > 0 &&
        rect.right > 0 &&
        rect.top < innerHeight &&
        rect.left < innerWidth,
    };
  }

  /** The centre pixel of a tile's video, drawn to a canvas: [r, g, b], or null. */
  function pixel(who, source = 'camera') {
    const video = findTile(who, source)?.shadowRoot?.querySelector('video');
    if (!video || video.videoWidth === 0 || video.readyState < 2) return null;
    const canvas = document.createElement('canvas');
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    ctx.drawImage(video, 0, 0);
    const [r, g, b] = ctx.getImageData(
      Math.floor(canvas.width / 2),
      Math.floor(canvas.height / 2),
      1,
      1,
    ).data;
    return [r, g, b];
  }

  /**
   * Decoder statistics of every received video track, by the sender's user ID: frames decoded
   * and the running sums of inter-frame delays, which bound the longest gap between frames.
   */
  async function videoDecoding() {
    const byTrack = new Map();
    for (const t of tileElements()) {
      const track = t.shadowRoot?.querySelector('video')?.srcObject?.getVideoTracks()[0];
      if (track && t.participant && !t.participant.isLocal)
        byTrack.set(track.id, `${t.participant.userId}|${t.source}`);
    }
    const out = [];
    for (const pc of peerConnections) {
      if (pc.connectionState === 'closed') continue;
      const report = await pc.getStats();
      report.forEach((s) => {
        if (s.type !== 'inbound-rtp' || s.kind !== 'video') return;
        out.push({
          who: byTrack.get(s.trackIdentifier) ?? '',
          framesDecoded: s.framesDecoded ?? 0,
          totalInterFrameDelay: s.totalInterFrameDelay ?? 0,
          totalSquaredInterFrameDelay: s.totalSquaredInterFrameDelay ?? 0,
          at: Date.now(),
        });
      });
    }
    return out;
  }

  /**
   * How many live senders and receivers have an `RTCRtpScriptTransform` (the E2EE path of
   * Firefox and Safari; Chromium's insertable streams leave `transform` empty).
   */
  function scriptTransforms() {
    let senders = 0;
    let receivers = 0;
    for (const pc of peerConnections) {
      if (pc.connectionState === 'closed') continue;
      for (const s of pc.getSenders())
        if (
          s.track &&
          typeof RTCRtpScriptTransform === 'function' &&
          s.transform instanceof RTCRtpScriptTransform
        )
          senders++;
      for (const r of pc.getReceivers())
        if (
          typeof RTCRtpScriptTransform === 'function' &&
          r.transform instanceof RTCRtpScriptTransform
        )
          receivers++;
    }
    return { senders, receivers };
  }

  window.__e2e = {
    videoDecoding,
    scriptTransforms,
    call,
    view: () => call()?.view ?? '',
    error: () => {
      const e = call()?.snapshot?.error;
      if (!e) return '';
      // With the last signalling entries of the diagnostics log (which holds no secrets).
      const log = JSON.parse(call()?.exportDiagnostics() ?? '{"entries":[]}')
        .entries.filter(
          (x) => x.level !== 'debug' && (x.category === 'membership' || x.category === 'session'),
        )
        .slice(-8)
        .map((x) => `${x.time} ${x.message} ${JSON.stringify(x.fields ?? {})}`);
      return `${e.reason}: ${e.message} ${e.hint ?? ''}\n${log.join('\n')}`;
    },
    tiles: () => tileElements().map(describeTile),
    pixel,
    layout: () => grid()?.layout ?? '',
    setPageSize: (n) => {
      const g = grid();
      if (g) g.pageSize = n;
    },
    /** Whether a participant's camera is published, and whether we receive it (the snapshot). */
    camera: (who) => {
      const p = call()?.snapshot?.participants.find((x) => x.id === who || x.userId === who);
      return p ? { published: p.cameraEnabled, received: !!p.cameraTrack } : null;
    },
    // The lock is in <matrix-call>'s own shadow root, or in its <call-header>'s.
    lock: () =>
      (
        part(call()?.shadowRoot, 'e2ee-lock') ??
        part(call()?.shadowRoot?.querySelector('call-header')?.shadowRoot, 'e2ee-lock')
      )?.getAttribute('aria-label') ?? '',
    joinLabel: () => part(call()?.shadowRoot, 'join-button')?.textContent?.trim() ?? '',
    stats: async () => (await call()?.getMediaStats()) ?? [],
    diagnostics: () => call()?.exportDiagnostics() ?? '',
    deviceId: () => call()?.snapshot?.user?.deviceId ?? '',
    /** Clicks a button inside <call-controls> by part name. */
    control: (name) => {
      const controls = call()?.shadowRoot?.querySelector('call-controls');
      const button = part(controls?.shadowRoot, name);
      if (!button) throw new Error(`no ${name}`);
      button.click();
    },
    events: [],
    /** Date.now() of the last click anywhere in the page (inside shadow roots too). */
    lastClick: 0,
    /** Date.now() when a watched state was first seen, by `<what>:<user ID>` (see watch). */
    seen: {},
    /**
     * Polls every 50 ms, in the page, for the moment `userId`'s camera tile reaches a state:
     * `gone` (no tile at all), `placeholder` (avatar instead of video), `muted` (mute badge)
     * or `colour` (the video's centre pixel within 20 of `rgb`: a decrypted frame is shown).
     */
    watch: (userId, what, rgb) => {
      const key = `${what}:${userId}`;
      delete window.__e2e.seen[key];
      const reached = () => {
        const tiles = tileElements().filter((t) => t.participant?.userId === userId);
        if (what === 'gone') return tiles.length === 0;
        if (what === 'colour') {
          const px = pixel(userId);
          return !!px && px.every((c, i) => Math.abs(c - rgb[i]) <= 20);
        }
        const tile = tiles.find((t) => t.source === 'camera');
        if (!tile) return false;
        const info = describeTile(tile);
        return what === 'placeholder' ? info.avatar && !info.videoShown : info.mutedBadge;
      };
      const timer = setInterval(() => {
        if (!reached()) return;
        window.__e2e.seen[key] = Date.now();
        clearInterval(timer);
      }, 50);
    },
  };
  addEventListener('click', () => (window.__e2e.lastClick = Date.now()), { capture: true });
  // Remember the element's events, for assertions on what a host page would see.
  addEventListener('DOMContentLoaded', () => {
    for (const type of ['call-joined', 'call-left', 'call-error', 'call-participant-left'])
      call()?.addEventListener(type, (e) =>
        window.__e2e.events.push({
          type,
          at: performance.now(),
          reason: e.error?.reason ?? e.reason,
        }),
      );
  });
})();
