// <matrix-call> on the real local stack: the element, the controller and the
// real core together, in one page (separate browsers are the e2e suite's job).
import { assert, fixture, html } from '@open-wc/testing';
import '../../src/define.js';
import type { MatrixCallElement } from '../../src/elements/matrix-call/matrix-call.js';
import type { CallTileElement } from '../../src/elements/call-tile/call-tile.js';
import { deepElements, deepQuery, deepText } from './helpers.js';
import {
  createRoom,
  credentialsOf,
  registerUser,
  stackUrls,
  waitFor,
  type TestUser,
} from './local-stack.js';

/** The first match inside the element, its screens included (each has a shadow root of its own). */
function shadow(el: Element, selector: string): HTMLElement | null {
  const found: HTMLElement | undefined = el.shadowRoot
    ? deepQuery(el.shadowRoot, selector)
    : undefined;
  return found ?? null;
}

/** The element's markup, its screens' shadow trees included. */
function deepHtml(el: Element): string {
  return [el, ...deepElements(el.shadowRoot ?? el)]
    .map((e) => e.outerHTML + (e.shadowRoot?.innerHTML ?? ''))
    .join('');
}

/** Tiles inside <matrix-call> → <call-grid>. */
function tiles(el: MatrixCallElement): CallTileElement[] {
  const grid = shadow(el, 'call-grid');
  return [...(grid?.shadowRoot?.querySelectorAll<CallTileElement>('call-tile') ?? [])];
}

let mounted = 0;

async function mount(
  user: TestUser,
  room: string,
  homeserver = user.homeserverUrl,
): Promise<MatrixCallElement> {
  const el = await fixture<MatrixCallElement>(
    html`<matrix-call
      room=${room}
      style="position:fixed;top:0;width:390px;height:560px"
    ></matrix-call>`,
  );
  el.style.left = `${mounted++ * 400}px`;
  el.credentials = { ...credentialsOf(user), homeserver };
  await waitFor('lobby', () => el.view === 'lobby', 30_000);
  return el;
}

/** A remote tile's <video> is playing decoded frames. */
function playingRemoteVideo(el: MatrixCallElement): boolean {
  for (const tile of tiles(el)) {
    const video = tile.shadowRoot?.querySelector('video');
    if (!video || tile.participant?.isLocal) continue;
    const frames = video.getVideoPlaybackQuality().totalVideoFrames;
    if (video.videoWidth > 0 && frames > 5) return true;
  }
  return false;
}

describe('<matrix-call> on the local stack', function () {
  this.timeout(120_000);

  beforeEach(() => {
    mounted = 0;
  });

  it('two elements join an encrypted call and show each other’s video', async () => {
    const alice = await registerUser({ displayName: 'Alice' });
    const bob = await registerUser({ displayName: 'Bob' });
    const { roomId } = await createRoom(alice, {
      encrypted: true,
      invite: [bob],
      autoJoin: true,
      name: 'Design review',
    });
    const a = await mount(alice, roomId);
    const b = await mount(bob, roomId, bob.homeserverUrl.replace('127.0.0.1', 'localhost'));
    try {
      const joined = new Promise((resolve) => {
        a.addEventListener('call-joined', resolve, { once: true });
      });
      await a.join();
      await joined;
      await waitFor('Bob’s lobby shows the call in progress', () =>
        shadow(b, '[part~="join-button"]')?.textContent.includes('1'),
      );
      await b.join();
      await waitFor('both in call', () => a.view === 'in-call' && b.view === 'in-call');
      await waitFor('two tiles each', () => tiles(a).length === 2 && tiles(b).length === 2, 20_000);
      await waitFor('Alice sees Bob’s video', () => playingRemoteVideo(a), 30_000, 250);
      await waitFor('Bob sees Alice’s video', () => playingRemoteVideo(b), 30_000, 250);
      assert.equal(shadow(a, '[part~="room-name"]')?.textContent.trim(), 'Design review');
      const lock = shadow(a, '[part~="e2ee-lock"]');
      assert.match(lock?.getAttribute('aria-label') ?? '', /encrypted/i);
      assert.notMatch(lock?.getAttribute('aria-label') ?? '', /not encrypted/i);
      // No token anywhere in the DOM.
      for (const el of [a, b]) {
        const dom = deepHtml(el);
        assert.notInclude(dom, alice.accessToken);
        assert.notInclude(dom, bob.accessToken);
      }
      const left = new Promise((resolve) => {
        a.addEventListener('call-left', resolve, { once: true });
      });
      await a.leave();
      await left;
      await waitFor('Bob sees Alice leave', () => tiles(b).length === 1, 5000);
    } finally {
      a.remove();
      b.remove();
    }
  });

  it('shows an actionable error when the room does not exist', async () => {
    const alice = await registerUser();
    const { serverName } = await stackUrls();
    const el = await fixture<MatrixCallElement>(
      html`<matrix-call room="#missing-${Date.now()}:${serverName}"></matrix-call>`,
    );
    el.credentials = credentialsOf(alice);
    try {
      await waitFor('error view', () => el.view === 'failed', 30_000);
      const text = el.shadowRoot ? deepText(el.shadowRoot) : '';
      assert.match(text, /does not exist/);
    } finally {
      el.remove();
    }
  });
});
