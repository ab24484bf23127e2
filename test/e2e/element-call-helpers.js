// Injected into every frame of an Element Call participant's page (playwright `addInitScript`
// runs in iframes too), as plain JavaScript. In Element Call's own frame it reads what Element
// Call shows and decodes: its video tiles, their centre pixel, and the inbound RTP statistics of
// every peer connection (wrapped here before Element Call creates any).
(() => {
  const peerConnections = [];
  const Native = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Native {
    constructor(...args) {
      super(...args);
      peerConnections.push(this);
    }
  };

  const tileElements = () => [...document.querySelectorAll('[data-testid="videoTile"]')];

  function nameOf(tile) {
    return tile.querySelector('[data-testid="name_tag"]')?.textContent?.trim() ?? '';
  }

  function videoOf(tile) {
    return tile.querySelector('video');
  }

  /** The user ID Element Call labels the tile's avatar with. */
  function userIdOf(tile) {
    return tile.querySelector('[role="img"][aria-label^="@"]')?.getAttribute('aria-label') ?? '';
  }

  /** Element Call's raised hand (✋) and reaction indicators, both labelled "Reaction". */
  function indicators(tile) {
    return [...tile.querySelectorAll('[role="img"][aria-label="Reaction"]')].map(
      (e) => e.textContent?.trim() ?? '',
    );
  }

  function describe(tile) {
    const video = videoOf(tile);
    const marks = indicators(tile);
    const tracks = video?.srcObject?.getVideoTracks?.() ?? [];
    const avatar = tile.querySelector('[role="img"][aria-label^="@"]');
    const dataId = tile.getAttribute('data-id') ?? '';
    return {
      name: nameOf(tile),
      userId: userIdOf(tile),
      dataId,
      screenShare: dataId.endsWith(':screen-share'),
      // Spotlight items carry a `spotlightItem` CSS-module class (0.26.1 is pinned).
      inSpotlight:
        !!tile.closest('[data-id="spotlight"]') || /(^|\s)_spotlightItem_/.test(tile.className),
      videoEnabled: tile.getAttribute('data-video-enabled') === 'true',
      videoShown: !!video && video.videoWidth > 0 && video.readyState >= 2,
      avatarShown: !!avatar && getComputedStyle(avatar).display !== 'none',
      micMuted: !!tile.querySelector('svg[data-muted="true"]'),
      raisedHand: marks.includes('✋'),
      reaction: marks.find((m) => m !== '✋') ?? '',
      trackIds: tracks.map((t) => t.id),
    };
  }

  function pixelOf(video) {
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

  async function inbound() {
    const out = [];
    for (const pc of peerConnections) {
      if (pc.connectionState === 'closed') continue;
      const report = await pc.getStats();
      report.forEach((s) => {
        if (s.type !== 'inbound-rtp') return;
        out.push({
          kind: s.kind,
          trackId: s.trackIdentifier ?? '',
          framesDecoded: s.framesDecoded ?? 0,
          packetsReceived: s.packetsReceived ?? 0,
          totalSamplesReceived: s.totalSamplesReceived ?? 0,
          concealedSamples: s.concealedSamples ?? 0,
        });
      });
    }
    return out;
  }

  const seen = {};
  let lastClick = 0;
  addEventListener('click', () => (lastClick = Date.now()), { capture: true });

  window.__ec = {
    /** Date.now() of the last click in Element Call's frame. */
    lastClick: () => lastClick,
    seen,
    /** Polls every 50 ms for a video of `userId` whose centre pixel is within 20 of `rgb`. */
    watchColour: (userId, rgb) => {
      delete seen[userId];
      const timer = setInterval(() => {
        const hit = [...document.querySelectorAll('video')].some((v) => {
          const tile = v.closest('[data-testid="videoTile"]');
          if (!tile || userIdOf(tile) !== userId) return false;
          const px = pixelOf(v);
          return !!px && px.every((c, i) => Math.abs(c - rgb[i]) <= 20);
        });
        if (!hit) return;
        seen[userId] = Date.now();
        clearInterval(timer);
      }, 50);
    },
    tiles: () => tileElements().map(describe),
    /** Centre pixel of every video with frames, by the name on its tile (or '' if none). */
    pixels: () =>
      [...document.querySelectorAll('video')].map((v) => ({
        name: nameOf(v.closest('[data-testid="videoTile"]') ?? document.createElement('div')),
        userId: userIdOf(v.closest('[data-testid="videoTile"]') ?? document.createElement('div')),
        trackIds: (v.srcObject?.getVideoTracks?.() ?? []).map((t) => t.id),
        pixel: pixelOf(v),
        w: v.videoWidth,
      })),
    inbound,
    peerConnections: () => peerConnections.length,
  };
})();
