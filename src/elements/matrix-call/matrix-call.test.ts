import { assert, expect, fixture, html } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import { MatrixCallElement } from './matrix-call.js';
import type { CallGridElement } from '../call-grid/call-grid.js';
import type { CallTileElement } from '../call-tile/call-tile.js';
import { MatrixCallError } from '../../core/errors.js';
import type {
  CallSessionApi,
  CallSessionOptions,
  IncomingCallNotification,
} from '../../core/types.js';
import type { CallErrorEvent } from '../../events/call-error.js';
import type { CallLeftEvent } from '../../events/call-left.js';
import type { CallMediaChangedEvent } from '../../events/call-media-changed.js';
import type { CallParticipantJoinedEvent } from '../../events/call-participant-joined.js';
import type { CallStateChangedEvent } from '../../events/call-state-changed.js';
import {
  FakeCallSession,
  fakeAudioTrack,
  fakeParticipant,
  fakeVideoTrack,
  stopFakeMedia,
} from '../../../test/browser/fake-call-session.js';
import {
  $ as $in,
  $$ as $$in,
  assertAccessibleAtEveryWidth,
  contrast,
  deepElements,
  deepQuery,
  deepText,
  recordEvents,
  settle,
  until,
} from '../../../test/browser/helpers.js';

const eventTypes = [
  'call-joined',
  'call-left',
  'call-error',
  'call-participant-joined',
  'call-participant-left',
  'call-state-changed',
  'call-media-changed',
];

/** The screens `<matrix-call>` is composed of: their shadow roots count as its own here. */
const screens = 'call-lobby, call-header, call-audio, call-sign-in, call-failure, call-ended';

/** Every match in an element's shadow root, and for `<matrix-call>` in its screens' too. */
function $$<T extends Element = HTMLElement>(host: Element, selector: string): T[] {
  const own = $$in<T>(host, selector);
  if (!(host instanceof MatrixCallElement)) return own;
  const inner = [...(host.shadowRoot?.querySelectorAll(screens) ?? [])];
  return [...own, ...inner.flatMap((screen) => $$in<T>(screen, selector))];
}

/** The first match, as `$$`; fails the test when missing. */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- a typed query
function $<T extends Element = HTMLElement>(host: Element, selector: string): T {
  const found = $$<T>(host, selector)[0];
  if (!found) return $in<T>(host, selector);
  return found;
}

async function mount(session?: CallSessionApi, template = html`<matrix-call></matrix-call>`) {
  const box = await fixture<HTMLDivElement>(
    html`<div style="width:960px;height:640px">${template}</div>`,
  );
  const el = box.querySelector('matrix-call');
  if (!el) throw new Error('no element');
  el.style.height = '100%';
  if (session) el.session = session;
  await settle(el);
  return el;
}

const text = (el: Element) => deepText(el.shadowRoot ?? el);
const button = (el: MatrixCallElement, label: string) => {
  const found = $$<HTMLButtonElement>(el, 'button').find((b) => b.textContent.trim() === label);
  if (!found) throw new Error(`no button "${label}"`);
  return found;
};
const grid = (el: MatrixCallElement) => $<CallGridElement>(el, 'call-grid');
const tiles = (el: MatrixCallElement) => $$<CallTileElement>(grid(el), 'call-tile');

/** Makes the element create fake sessions, and returns the options it asked for. */
function recordSessionOptions(): CallSessionOptions[] {
  const created: CallSessionOptions[] = [];
  MatrixCallElement.createSession = (options) => {
    created.push(options);
    return Promise.resolve(new FakeCallSession());
  };
  return created;
}

async function lobby(session = new FakeCallSession()) {
  const el = await mount(session);
  await until(() => el.view === 'lobby', 'lobby');
  await settle(el);
  return { el, session };
}

async function inCall(remotes: number, patch = {}) {
  const session = FakeCallSession.inCall(remotes, patch);
  const el = await mount(session);
  await until(() => tiles(el).length > 0, 'tiles');
  await settle(el);
  return { el, session };
}

describe('<matrix-call>', () => {
  const originalCreate = MatrixCallElement.createSession;
  // The rarely shown views come in their own chunk; have it loaded, as a page would by then.
  before(async () => {
    await import('./rare-views.js');
  });
  afterEach(() => {
    MatrixCallElement.createSession = originalCreate;
    stopFakeMedia();
  });

  describe('sign-in', () => {
    it('asks for an account and a room when it has neither', async () => {
      const el = await mount();
      assert.equal(el.view, 'sign-in');
      assert.isTrue(el.matches(':state(sign-in)'));
      await until(() => $$(el, 'form').length === 1, 'the sign-in form (a chunk of its own)');
      for (const name of ['homeserver', 'username', 'password', 'room'])
        assert.exists($(el, `input[name="${name}"]`));
      await expect(el).to.be.accessible();
    });

    it('signs in with a password, shows a failure inline, and retries', async () => {
      const created: CallSessionOptions[] = [];
      const sessions: FakeCallSession[] = [];
      MatrixCallElement.createSession = (options) => {
        created.push(options);
        const session = new FakeCallSession();
        if (created.length === 1) session.failures.set('start', MatrixCallError.loginFailed());
        sessions.push(session);
        return Promise.resolve(session);
      };
      const el = await mount(
        undefined,
        html`<matrix-call
          room="#standup:example.org"
          homeserver="https://hs.example"
        ></matrix-call>`,
      );
      assert.lengthOf($$(el, 'input[name="room"]'), 0, 'the room is known');
      assert.equal($<HTMLInputElement>(el, 'input[name="homeserver"]').value, 'https://hs.example');
      $<HTMLInputElement>(el, 'input[name="username"]').value = 'alice';
      $<HTMLInputElement>(el, 'input[name="password"]').value = 'wrong';
      $<HTMLFormElement>(el, 'form').requestSubmit();
      await until(() => created.length === 1, 'session created');
      assert.deepEqual(created[0]?.source, {
        kind: 'password',
        login: {
          homeserver: 'https://hs.example',
          username: 'alice',
          password: 'wrong',
          deviceDisplayName: `matrix-call on ${location.host}`,
        },
      });
      assert.equal(created[0]?.room, '#standup:example.org');
      await until(() => $$(el, '.error').length === 1, 'inline error');
      assert.equal(el.view, 'sign-in');
      assert.include($(el, '.error').textContent, 'wrong username or password');
      $<HTMLInputElement>(el, 'input[name="password"]').value = 'right';
      $<HTMLFormElement>(el, 'form').requestSubmit();
      await until(() => el.view === 'lobby', 'lobby after signing in');
      assert.isTrue(sessions[0]?.disposed, 'the failed session is disposed');
    });

    it('uses an access token given as a property, with the attributes', async () => {
      const created = recordSessionOptions();
      const el = await mount(
        undefined,
        html`<matrix-call
          homeserver="https://hs.example"
          room="!r:hs.example"
          user-id="@a:hs.example"
          device-id="DEV"
          password="shared secret"
          intent="join-audio"
          notify="ring"
          livekit-service-url="https://rtc.hs.example"
          .accessToken=${'syt_token'}
        ></matrix-call>`,
      );
      await until(() => el.view === 'lobby', 'lobby');
      assert.lengthOf(created, 1);
      assert.deepInclude(created[0], {
        room: '!r:hs.example',
        password: 'shared secret',
        livekitServiceUrl: 'https://rtc.hs.example',
        intent: 'audio',
        media: { cameraEnabled: false },
      });
      assert.isUndefined(created[0]?.notify, 'joining never rings');
      assert.deepEqual(created[0]?.source, {
        kind: 'credentials',
        credentials: {
          homeserver: 'https://hs.example',
          userId: '@a:hs.example',
          deviceId: 'DEV',
          accessToken: 'syt_token',
        },
      });
    });

    it('starting a call notifies by default, as Element Web starts Element Call; none opts out', async () => {
      const credentials = {
        homeserver: 'https://hs',
        userId: '@u:hs',
        deviceId: 'D',
        accessToken: 't',
      };
      const created = recordSessionOptions();
      const byDefault = await mount(
        undefined,
        html`<matrix-call room="!r:hs" .credentials=${credentials}></matrix-call>`,
      );
      await until(() => byDefault.view === 'lobby', 'lobby');
      assert.equal(created[0]?.notify, 'auto', 'ring in a direct chat, notify elsewhere');
      byDefault.remove();
      const quiet = await mount(
        undefined,
        html`<matrix-call room="!r:hs" notify="none" .credentials=${credentials}></matrix-call>`,
      );
      await until(() => quiet.view === 'lobby', 'lobby');
      assert.isUndefined(created[1]?.notify, 'notify="none" sends nothing');
    });

    it('rings only when starting a call', async () => {
      const created = recordSessionOptions();
      const el = await mount(
        undefined,
        html`<matrix-call
          room="!r:hs"
          notify="ring"
          .credentials=${{
            homeserver: 'https://hs',
            userId: '@u:hs',
            deviceId: 'D',
            accessToken: 't',
          }}
        ></matrix-call>`,
      );
      await until(() => el.view === 'lobby', 'lobby');
      assert.equal(created[0]?.notify, 'ring');
      assert.equal(created[0]?.intent, 'video');
      assert.isUndefined(
        created[0]?.media,
        'video calls start with the camera as the lobby left it',
      );
    });

    it('never puts a token in an attribute', async () => {
      const token = 'syt_c2VjcmV0_TOKENabc123';
      MatrixCallElement.createSession = () => Promise.resolve(FakeCallSession.inCall(3));
      const el = await mount(undefined, html`<matrix-call room="!r:hs"></matrix-call>`);
      el.credentials = {
        homeserver: 'https://hs',
        userId: '@u:hs',
        deviceId: 'D',
        accessToken: token,
      };
      el.accessToken = token;
      await until(() => el.view === 'in-call', 'in call');
      await settle(el);
      for (const node of [el, ...deepElements(el.shadowRoot as ShadowRoot)])
        for (const attr of node.attributes) assert.notInclude(attr.value, token, attr.name);
      assert.notInclude(el.outerHTML, token);
      assert.notInclude(el.shadowRoot?.innerHTML, token);
    });
  });

  describe('views', () => {
    it('shows a spinner while starting', async () => {
      const session = new FakeCallSession();
      session.start = () => new Promise(() => undefined);
      const el = await mount(session);
      assert.equal(el.view, 'starting');
      assert.include(text(el), 'Getting ready…');
      assert.exists($(el, '.spinner'));
    });

    it('shows the lobby with preview, level meter, devices, name and a start button', async () => {
      const { el, session } = await lobby();
      assert.isTrue(el.matches(':state(lobby)'));
      await until(() => session.snapshot.local.cameraTrack !== undefined, 'preview started');
      assert.equal(session.count('startPreview'), 1);
      await settle(el);
      const video = $<HTMLVideoElement>(el, '[part="preview"] video');
      assert.strictEqual(
        (video.srcObject as MediaStream).getVideoTracks()[0],
        session.snapshot.local.cameraTrack?.mediaStreamTrack,
      );
      assert.include(getComputedStyle(video).transform, 'matrix(-1', 'mirrored');
      assert.closeTo($<HTMLMeterElement>(el, '[part="level"]').value, 0.4, 0.001);
      assert.lengthOf($$(el, 'select'), 3);
      assert.equal($<HTMLInputElement>(el, 'input[autocomplete="name"]').value, 'Morgan');
      assert.equal($(el, '[part="join-button"]').textContent.trim(), 'Start call');
      await expect(el).to.be.accessible();
    });

    it('says who is in the call already and joins with the typed name', async () => {
      const { el, session } = await lobby();
      session.set({
        callInProgress: {
          active: true,
          userCount: 3,
          members: [1, 2, 3].map((i) => ({
            userId: `@u${i}:hs`,
            deviceId: 'D',
            displayName: ['Alice', 'Bob', 'Carol'][i - 1] ?? '',
            avatarUrl: undefined,
          })),
        },
      });
      await settle(el);
      assert.equal($(el, '[part="join-button"]').textContent.trim(), 'Join call (3 people)');
      assert.include(text(el), 'Alice, Bob, Carol');
      assert.lengthOf($$(el, '.faces > *'), 3);
      const name = $<HTMLInputElement>(el, 'input[autocomplete="name"]');
      name.value = 'Robin';
      name.dispatchEvent(new Event('input'));
      $<HTMLSelectElement>(el, 'select[data-kind="videoinput"]').dispatchEvent(new Event('change'));
      await until(() => session.count('selectDevice') === 1, 'device picked');
      $<HTMLButtonElement>(el, '[part="join-button"]').click();
      await until(() => el.view === 'in-call', 'joined');
      const join = session.calls.find((c) => c.method === 'join');
      assert.equal((join?.args[0] as { displayName?: string }).displayName, 'Robin');
    });

    it('shows the phase label only once a phase has lasted 300 ms, and can cancel', async () => {
      const { el, session } = await lobby();
      session.holdJoinAt = 'connecting';
      void el.join();
      await until(() => session.snapshot.phase === 'connecting', 'connecting');
      await settle(el);
      assert.equal(el.view, 'connecting');
      assert.notInclude(text(el), 'Connecting to the call server');
      await until(() => text(el).includes('Connecting to the call server…'), 'label after 300 ms');
      assert.isAtLeast(Date.now() - session.snapshot.phaseSince, 300);
      button(el, 'Cancel').click();
      await until(() => el.view === 'lobby', 'back to the lobby');
    });

    for (const count of [1, 2, 4, 12]) {
      it(`shows a call with ${count} people`, async () => {
        const { el } = await inCall(count - 1);
        assert.equal(el.view, 'in-call');
        assert.equal($(el, '[part="room-name"]').textContent.trim(), 'Team standup');
        assert.include(
          $(el, '[part="participant-count"]').textContent,
          count === 1 ? '1 participant' : `${count} participants`,
        );
        assert.lengthOf(tiles(el), Math.min(count, 9));
        assert.equal(grid(el).layout, count === 1 ? 'empty' : count === 2 ? 'one-on-one' : 'grid');
        if (count === 12) assert.equal(grid(el).pageCount, 2);
        if (count === 1 || count === 4) await expect(el).to.be.accessible();
      });
    }

    it('pages the grid with PageDown and PageUp from the controls too', async () => {
      const { el } = await inCall(12);
      (deepQuery(el, '[part~="leave-button"]') as HTMLElement).focus();
      await sendKeys({ press: 'PageDown' });
      await until(() => deepText(grid(el).shadowRoot as Node).includes('Page 2 of 2'), 'page 2');
      await sendKeys({ press: 'PageUp' });
      await until(() => deepText(grid(el).shadowRoot as Node).includes('Page 1 of 2'), 'page 1');
      const focused = el.shadowRoot?.activeElement?.shadowRoot?.activeElement;
      assert.include(focused?.getAttribute('part'), 'leave-button', 'focus stays on the controls');
    });

    it('explains the encryption on hover and on focus', async () => {
      const { el, session } = await inCall(1);
      const lock = $(el, '[part="e2ee-lock"]');
      const tip = $(el, '#lock-tip');
      assert.equal(lock.getAttribute('aria-label'), 'End-to-end encrypted');
      assert.equal(lock.getAttribute('aria-describedby'), 'lock-tip');
      assert.include(tip.textContent, 'own keys');
      assert.equal(getComputedStyle(tip).opacity, '0');
      // Keyboard modality, so :focus-visible applies to the focus that follows (WebKit decides
      // at the moment of focus; Chromium and Firefox also after it).
      await sendKeys({ press: 'Shift' });
      lock.focus();
      await until(() => getComputedStyle(tip).opacity === '1', 'tooltip on focus');
      session.set({ encryption: 'shared-secret' });
      await settle(el);
      assert.include(tip.textContent, 'shared password');
      session.set({ encryption: 'none' });
      await settle(el);
      assert.equal(lock.getAttribute('aria-label'), 'Not encrypted');
    });

    it('puts a screen share in the spotlight', async () => {
      const sharer = fakeParticipant(1, {
        screenShareEnabled: true,
        screenShareTrack: fakeVideoTrack({ source: 'screen-share', width: 1280, height: 720 }),
      });
      const session = FakeCallSession.inCall([sharer, fakeParticipant(2)]);
      const el = await mount(session);
      await until(() => tiles(el).length > 0, 'tiles');
      assert.equal(grid(el).layout, 'spotlight');
    });

    it('plays each remote microphone in its own audio element, never the local one', async () => {
      const a = fakeParticipant(1, { microphoneTrack: fakeAudioTrack() });
      const b = fakeParticipant(2, {
        microphoneTrack: fakeAudioTrack(),
        screenShareAudioTrack: fakeAudioTrack({ source: 'screen-share-audio' }),
      });
      const session = FakeCallSession.inCall([a, b]);
      session.setLocal({ audioOutputId: 'spk-2' });
      session.set({
        participants: session.snapshot.participants.map((p) =>
          p.isLocal ? { ...p, microphoneTrack: fakeAudioTrack({ isLocal: true }) } : p,
        ),
      });
      const el = await mount(session);
      await settle(el);
      const audio = $$<HTMLAudioElement>(el, 'audio');
      assert.lengthOf(audio, 3);
      const tracks = audio.map((x) => (x.srcObject as MediaStream).getAudioTracks()[0]);
      assert.includeMembers(tracks, [
        a.microphoneTrack?.mediaStreamTrack,
        b.microphoneTrack?.mediaStreamTrack,
        b.screenShareAudioTrack?.mediaStreamTrack,
      ]);
      for (const x of audio) assert.isTrue(x.autoplay);
    });

    it('routes remote audio to the chosen speaker', async () => {
      const sinks: string[] = [];
      const proto = HTMLMediaElement.prototype as { setSinkId: (id: string) => Promise<void> };
      const original = Object.getOwnPropertyDescriptor(HTMLMediaElement.prototype, 'setSinkId');
      proto.setSinkId = function (this: HTMLMediaElement, id: string) {
        sinks.push(id);
        return Promise.resolve();
      };
      try {
        const session = FakeCallSession.inCall([
          fakeParticipant(1, { microphoneTrack: fakeAudioTrack() }),
        ]);
        const el = await mount(session);
        session.setLocal({ audioOutputId: 'spk-2' });
        await settle(el);
        assert.include(sinks, 'spk-2');
      } finally {
        if (original) Object.defineProperty(HTMLMediaElement.prototype, 'setSinkId', original);
      }
    });

    it("shows a remote's camera turning off on the next update", async () => {
      const { el, session } = await inCall(1);
      const remote = session.snapshot.participants[1];
      const tile = tiles(el).find((t) => t.participant?.id === remote?.id);
      session.updateParticipant(remote?.id ?? '', { cameraEnabled: false });
      await el.updateComplete;
      await grid(el).updateComplete;
      await tile?.updateComplete;
      assert.exists($(tile as Element, '[part="avatar"]'));
      assert.lengthOf($$(tile as Element, 'video'), 0);
    });

    it('keeps the call on screen while reconnecting, with a notice after 300 ms', async () => {
      const { el, session } = await inCall(2);
      session.set({ phase: 'reconnecting' });
      await settle(el);
      assert.equal(el.view, 'in-call');
      assert.notInclude(text(el), 'Reconnecting…');
      await until(() => text(el).includes('Reconnecting…'), 'reconnecting notice');
      assert.lengthOf(tiles(el), 3);
      session.set({ phase: 'connected' });
      await settle(el);
      assert.notInclude(text(el), 'Reconnecting…');
    });
  });

  describe('devices', () => {
    it('says when the browser refused the camera, how to allow it, and that joining still works', async () => {
      const session = FakeCallSession.ready();
      const el = await mount(session);
      const errors: string[] = [];
      el.addEventListener('call-error', (e) => errors.push(e.error.reason));
      session.set({
        local: {
          ...session.snapshot.local,
          cameraEnabled: false,
          problem: MatrixCallError.mediaPermissionDenied(
            'camera',
            new DOMException('', 'NotAllowedError'),
          ),
        },
      });
      await until(() => !!el.shadowRoot?.querySelector('[part~="notice"]'), 'notice');
      assert.include(text(el), 'Permission to use the camera was denied');
      // Where the permission is kept differs per browser (WebKitGTK has site settings).
      assert.include(
        text(el),
        navigator.userAgent.includes('Firefox/')
          ? 'remove the block on the camera'
          : 'site settings',
      );
      assert.include(text(el), 'still join');
      assert.deepEqual(errors, ['media-permission-denied']);
      assert.isOk(el.shadowRoot?.querySelector('call-lobby'), 'the lobby stays, with Join');
      await assertAccessibleAtEveryWidth(el, 'camera refused');
    });
  });

  describe('homeserver', () => {
    it('says the call continues while the homeserver does not answer, and stops saying it after', async () => {
      const { el, session } = await inCall(2);
      assert.notInclude(text(el), 'homeserver lost');
      session.set({ homeserverReachable: false });
      await settle(el);
      assert.include(text(el), 'Connection to your homeserver lost; the call continues');
      assert.lengthOf(tiles(el), 3, 'the call stays on screen');
      await assertAccessibleAtEveryWidth(el, 'homeserver lost');
      session.set({ homeserverReachable: true });
      await settle(el);
      assert.notInclude(text(el), 'homeserver lost');
    });
  });

  describe('shared password', () => {
    it('says the password probably differs when someone cannot be decrypted', async () => {
      const { el, session } = await inCall(2, { encryption: 'shared-secret' });
      assert.notInclude(text(el), 'password for this call probably differs');
      const [local, bob, carol] = session.snapshot.participants;
      if (!local || !bob || !carol) throw new Error('participants');
      session.set({ participants: [local, { ...bob, encryption: 'key-invalid' }, carol] });
      await settle(el);
      assert.include(text(el), 'your password for this call probably differs from theirs');
      await assertAccessibleAtEveryWidth(el, 'password mismatch notice');
    });

    it('does not blame the password in a per-participant call', async () => {
      const { el, session } = await inCall(1);
      const [local, bob] = session.snapshot.participants;
      if (!local || !bob) throw new Error('participants');
      session.set({ participants: [local, { ...bob, encryption: 'key-invalid' }] });
      await settle(el);
      assert.notInclude(text(el), 'password');
    });
  });

  describe('errors', () => {
    const errors: MatrixCallError[] = [
      MatrixCallError.invalidConfig('room'),
      MatrixCallError.homeserverUnreachable('https://hs.example'),
      MatrixCallError.unknownToken(),
      MatrixCallError.roomNotFound('#nope:hs'),
      MatrixCallError.notInRoom('#closed:hs'),
      MatrixCallError.cryptoInitFailed(),
      MatrixCallError.noRtcTransport('hs.example'),
      MatrixCallError.jwtFetchFailed({ status: 500, endpoint: 'https://rtc.hs/sfu/get' }),
      MatrixCallError.sfuRoomCreationRestricted(),
      MatrixCallError.livekitConnectFailed(),
      MatrixCallError.connectionLost(),
      MatrixCallError.membershipForbidden('org.matrix.msc3401.call.member'),
      MatrixCallError.membershipFailed(),
      MatrixCallError.mediaPermissionDenied('camera'),
      MatrixCallError.mediaDeviceNotFound('microphone'),
      MatrixCallError.mediaDeviceFailed('camera'),
      MatrixCallError.e2eeUnsupported(),
      MatrixCallError.loginFailed(),
      MatrixCallError.aborted(),
      MatrixCallError.unknown(),
    ];

    for (const error of errors) {
      it(`explains ${error.reason}`, async () => {
        const session = FakeCallSession.ready({ phase: 'failed', error });
        const el = await mount(session);
        assert.equal(el.view, 'failed');
        const card = $(el, '[part~="error"]');
        assert.equal(card.getAttribute('role'), 'alert');
        const shown = card.textContent.replace(/\s+/g, ' ');
        assert.notInclude(shown, `error-${error.reason}`, 'a translated title');
        assert.include(shown, error.message);
        assert.include(shown, (error.hint ?? '').replace(/`/g, ''), 'the hint, `code` as code');
        if (error.hint)
          assert.include(
            shown,
            error.audience === 'admin' ? 'For the server admin' : 'What you can do',
          );
        assert.exists($(el, '[part="retry-button"]'));
        assert.exists($(el, '[part="diagnostics-button"]'));
      });
    }

    it('retries a failed join and copies the diagnostics', async () => {
      const error = MatrixCallError.livekitConnectFailed();
      const session = FakeCallSession.ready({ phase: 'failed', error });
      session.diagnostics.info('livekit', 'connect failed', { url: 'wss://sfu' });
      const el = await mount(session);
      await expect(el).to.be.accessible();
      let copied = '';
      const clipboard = navigator.clipboard as { writeText: (text: string) => Promise<void> };
      const original = clipboard.writeText.bind(clipboard);
      clipboard.writeText = (value: string) => {
        copied = value;
        return Promise.resolve();
      };
      try {
        $<HTMLButtonElement>(el, '[part="diagnostics-button"]').click();
        await until(() => copied !== '', 'copied');
      } finally {
        clipboard.writeText = original;
      }
      const exported = JSON.parse(copied) as { entries: { message: string }[]; error: unknown };
      assert.deepInclude(
        exported.entries.map((e) => e.message),
        'connect failed',
      );
      assert.deepEqual(exported.error, JSON.parse(JSON.stringify(error.toJSON())));
      await settle(el);
      assert.include(text(el), 'Diagnostics copied');
      $<HTMLButtonElement>(el, '[part="retry-button"]').click();
      await until(() => el.view === 'in-call', 'joined on retry');
    });

    it('restarts a session whose start failed', async () => {
      let made = 0;
      MatrixCallElement.createSession = () => {
        const session = new FakeCallSession();
        if (++made === 1) session.failures.set('start', MatrixCallError.roomNotFound('#x:hs'));
        return Promise.resolve(session);
      };
      const el = await mount(undefined, html`<matrix-call room="#x:hs"></matrix-call>`);
      el.accessToken = 'syt_x';
      el.homeserver = 'https://hs';
      el.userId = '@u:hs';
      el.deviceId = 'D';
      await until(() => el.view === 'failed', 'failed');
      assert.include(text(el), 'Room not found');
      $<HTMLButtonElement>(el, '[part="retry-button"]').click();
      await until(() => el.view === 'lobby', 'lobby after retry');
      assert.equal(made, 2);
    });

    it('shows a failed engine download with a retry', async () => {
      let made = 0;
      MatrixCallElement.createSession = () =>
        ++made === 1
          ? Promise.reject(new MatrixCallError('unknown', 'The call code could not be loaded.'))
          : Promise.resolve(new FakeCallSession());
      const el = await mount(undefined, html`<matrix-call room="!r:hs"></matrix-call>`);
      el.credentials = {
        homeserver: 'https://hs',
        userId: '@u:hs',
        deviceId: 'D',
        accessToken: 't',
      };
      await until(() => el.view === 'failed', 'failed');
      assert.include(text(el), 'The call code could not be loaded.');
      $<HTMLButtonElement>(el, '[part="retry-button"]').click();
      await until(() => el.view === 'lobby', 'lobby after retry');
    });

    it('shows a media error in the lobby without leaving it', async () => {
      const session = new FakeCallSession();
      session.failures.set('startPreview', MatrixCallError.mediaPermissionDenied('camera'));
      const el = await mount(session);
      await until(() => $$(el, '[part="notice"]').length === 1, 'notice');
      assert.equal(el.view, 'lobby');
      assert.include(text(el), 'Permission to use the camera was denied.');
      button(el, 'OK').click();
      await settle(el);
      assert.lengthOf($$(el, '[part="notice"]'), 0);
    });
  });

  describe('events', () => {
    it('fires each event once, on the real change only', async () => {
      const { el, session } = await lobby();
      session.remotes = [fakeParticipant(1)];
      const events = recordEvents(el, eventTypes);
      await el.join();
      await until(() => el.view === 'in-call', 'in call');
      const names = () => events.map((e) => e.type);
      assert.equal(names().filter((n) => n === 'call-joined').length, 1);
      const phases = events
        .filter((e): e is CallStateChangedEvent => e.type === 'call-state-changed')
        .map((e) => e.phase);
      assert.deepEqual(phases, [
        'discovering',
        'authorizing',
        'connecting',
        'publishing',
        'joining',
        'connected',
      ]);
      const joined = events.filter(
        (e): e is CallParticipantJoinedEvent => e.type === 'call-participant-joined',
      );
      assert.deepEqual(
        joined.map((e) => e.participant.displayName),
        ['Alice'],
      );
      for (const e of events) assert.isTrue(e.bubbles && e.composed, e.type);

      events.length = 0;
      el.requestUpdate();
      await settle(el);
      session.set({ participants: [...session.snapshot.participants] });
      await settle(el);
      assert.deepEqual(names(), [], 'nothing on a re-render or an unchanged snapshot');

      await el.toggleMicrophone();
      await until(() => names().includes('call-media-changed'), 'media event');
      const media = events.find((e) => e.type === 'call-media-changed') as CallMediaChangedEvent;
      assert.isFalse(media.microphoneEnabled);
      assert.isTrue(media.cameraEnabled);

      const bob = fakeParticipant(2);
      session.set({ participants: [...session.snapshot.participants, bob] });
      await settle(el);
      session.set({ participants: session.snapshot.participants.filter((p) => p.id !== bob.id) });
      await settle(el);
      assert.deepEqual(names().slice(1), ['call-participant-joined', 'call-participant-left']);

      events.length = 0;
      const error = MatrixCallError.mediaDeviceFailed('camera');
      session.failures.set('setCameraEnabled', error);
      await el.toggleCamera();
      session.set({ error });
      await settle(el);
      const reported = events.filter((e): e is CallErrorEvent => e.type === 'call-error');
      assert.lengthOf(reported, 1, 'one error event for one error');
      assert.equal(reported[0]?.error, error);

      events.length = 0;
      await el.leave();
      await until(() => names().includes('call-left'), 'left');
      const left = events.find((e) => e.type === 'call-left') as CallLeftEvent;
      assert.equal(left.reason, 'user');
      assert.equal(names().filter((n) => n === 'call-left').length, 1);
      assert.equal(names().filter((n) => n === 'call-participant-left').length, 1);
    });

    it('reports an error from the controls once, as the element', async () => {
      const { el, session } = await inCall(1);
      const events = recordEvents(document, ['call-error']);
      const error = MatrixCallError.mediaPermissionDenied('screen');
      session.failures.set('setScreenShareEnabled', error);
      deepQuery<HTMLButtonElement>(el, '[part~="screen-share-button"]')?.click();
      await until(() => events.length === 1, 'error event');
      session.set({ error });
      await settle(el);
      assert.lengthOf(events, 1);
      assert.equal(events[0]?.target, el);
      assert.include(text(el), 'Permission to use the screen was denied.');
    });

    it('announces joins, leaves and your own mute state', async () => {
      const { el, session } = await inCall(1);
      const live = $(el, '[aria-live="polite"]');
      session.set({ participants: [...session.snapshot.participants, fakeParticipant(2)] });
      await settle(el);
      assert.equal(live.textContent.trim(), 'Bob joined');
      session.set({ participants: session.snapshot.participants.slice(0, 2) });
      await settle(el);
      assert.equal(live.textContent.trim(), 'Bob left');
      await el.toggleMicrophone(false);
      await settle(el);
      assert.equal(live.textContent.trim(), 'Microphone off');
    });

    it('announces raised and lowered hands and reactions, once each', async () => {
      const { el, session } = await inCall(1);
      const live = $(el, '[aria-live="polite"]');
      const alice = session.snapshot.participants[1];
      assert.ok(alice);
      session.updateParticipant(alice.id, { handRaisedAt: Date.now() });
      await settle(el);
      assert.equal(live.textContent.trim(), 'Alice raised their hand');
      const reaction = { emoji: '👏', name: 'clapping' };
      session.updateParticipant(alice.id, { reaction });
      await settle(el);
      assert.equal(live.textContent.trim(), 'Alice reacted 👏');
      session.updateParticipant(alice.id, { speaking: true }); // the same reaction still shows
      await settle(el);
      assert.equal(live.textContent.trim(), 'Alice reacted 👏');
      session.updateParticipant(alice.id, { handRaisedAt: undefined, reaction: undefined });
      await settle(el);
      assert.equal(live.textContent.trim(), 'Alice lowered their hand');
    });
  });

  describe('incoming call', () => {
    const notification = (
      patch: Partial<IncomingCallNotification> = {},
    ): IncomingCallNotification => ({
      eventId: '$ring',
      roomId: '!room:hs',
      sender: '@alice:hs',
      senderName: 'Alice',
      type: 'ring',
      intent: 'video',
      expiresAt: Date.now() + 30_000,
      ...patch,
    });
    const ringing = (patch: Partial<IncomingCallNotification> = {}) =>
      FakeCallSession.ready({
        callInProgress: {
          active: true,
          userCount: 1,
          members: [
            { userId: '@alice:hs', deviceId: 'A', displayName: 'Alice', avatarUrl: undefined },
          ],
        },
        incomingNotification: notification(patch),
      });

    it('shows "Alice is calling" in the lobby and joins from it', async () => {
      const session = ringing();
      const el = await mount(session);
      await until(() => $$(el, '[part~="ring"]').length === 1, 'ring banner');
      const banner = $(el, '[part~="ring"]');
      assert.equal(banner.getAttribute('role'), 'alert');
      assert.include(banner.textContent.replace(/\s+/g, ' '), 'Alice is calling');
      await expect(el).to.be.accessible();
      $<HTMLButtonElement>(el, '[part~="ring-join-button"]').click();
      await until(() => el.view === 'in-call', 'joined from the ring');
      assert.equal(session.count('join'), 1);
    });

    it('says "started a call" for a notification, and can be dismissed', async () => {
      const el = await mount(ringing({ type: 'notification' }));
      await until(() => $$(el, '[part~="ring"]').length === 1, 'banner');
      assert.include($(el, '[part~="ring"]').textContent, 'Alice started a call');
      $<HTMLButtonElement>(el, '[part~="ring-dismiss-button"]').click();
      await settle(el);
      assert.lengthOf($$(el, '[part~="ring"]'), 0, 'dismissed');
      assert.equal(el.view, 'lobby');
    });

    it('stops ringing when the ring expires or the call is over', async () => {
      const session = ringing({ expiresAt: Date.now() + 400 });
      const el = await mount(session);
      await until(() => $$(el, '[part~="ring"]').length === 1, 'banner');
      await until(() => $$(el, '[part~="ring"]').length === 0, 'gone when it expires', 3000);
      session.set({ incomingNotification: notification({ eventId: '$2' }) });
      await until(() => $$(el, '[part~="ring"]').length === 1, 'a new ring');
      session.set({ callInProgress: { active: false, members: [], userCount: 0 } });
      await until(() => $$(el, '[part~="ring"]').length === 0, 'gone when the call is over');
    });

    it('is translated', async () => {
      const el = await mount(ringing(), html`<matrix-call lang="de"></matrix-call>`);
      await until(() => text(el).includes('Alice ruft an'), 'German ring');
    });
  });

  describe('ending', () => {
    it('shows a small ended view after leaving, with rejoin', async () => {
      const { el, session } = await lobby();
      await el.join();
      await until(() => el.view === 'in-call', 'in call');
      deepQuery<HTMLButtonElement>(el, '[part~="leave-button"]')?.click();
      await until(() => el.view === 'ended', 'ended');
      assert.include(text(el), 'You left the call');
      await expect(el).to.be.accessible();
      button(el, 'Rejoin').click();
      await until(() => el.view === 'in-call', 'rejoined');
      assert.equal(session.count('join'), 2);
    });

    it('goes back to the lobby after leaving with return-to-lobby', async () => {
      const session = FakeCallSession.ready();
      const el = await mount(session, html`<matrix-call return-to-lobby></matrix-call>`);
      await el.join();
      await until(() => el.view === 'in-call', 'in call');
      await el.leave();
      await until(() => el.view === 'lobby', 'lobby');
    });

    it('joins straight away with skip-lobby', async () => {
      const session = new FakeCallSession();
      const el = await mount(session, html`<matrix-call skip-lobby></matrix-call>`);
      await until(() => el.view === 'in-call', 'in call without the lobby');
      assert.equal(session.count('startPreview'), 0);
    });
  });

  describe('theming', () => {
    it('applies tokens and parts from the page, through exportparts', async () => {
      const style = document.createElement('style');
      style.textContent = `
        matrix-call.themed { --matrix-call-accent: rgb(200, 0, 100); }
        matrix-call.themed::part(tile__name) { color: rgb(1, 2, 3); }
        matrix-call.themed::part(controls__leave-button) { border-radius: 3px; }`;
      document.head.append(style);
      try {
        const session = FakeCallSession.inCall(2);
        const el = await mount(session, html`<matrix-call class="themed"></matrix-call>`);
        await until(() => tiles(el).length === 3, 'tiles');
        const name = $(tiles(el)[0] as Element, '[part="name"]');
        assert.equal(getComputedStyle(name).color, 'rgb(1, 2, 3)');
        const leave = deepQuery(el, '[part~="leave-button"]') as HTMLElement;
        assert.equal(getComputedStyle(leave).borderTopLeftRadius, '3px');
        const lobbyEl = await mount(
          FakeCallSession.ready(),
          html`<matrix-call class="themed"></matrix-call>`,
        );
        assert.equal(
          getComputedStyle($(lobbyEl, '[part="join-button"]')).backgroundColor,
          'rgb(200, 0, 100)',
        );
      } finally {
        style.remove();
      }
    });

    for (const theme of ['light', 'dark'] as const) {
      it(`has AA contrast in the ${theme} theme`, async () => {
        const session = new FakeCallSession();
        const el = await mount(session, html`<matrix-call theme=${theme}></matrix-call>`);
        await until(() => el.view === 'lobby', 'lobby');
        const bg = getComputedStyle(el).backgroundColor;
        const fg = getComputedStyle(el).color;
        assert.isAtLeast(contrast(fg, bg), 7);
        const join = getComputedStyle($(el, '[part="join-button"]'));
        assert.isAtLeast(contrast(join.color, join.backgroundColor), 4.5);
        const muted = getComputedStyle($(el, '.muted'));
        const card = getComputedStyle($(el, '.side h2').closest('.center') ?? el);
        assert.isAtLeast(
          contrast(
            muted.color,
            card.backgroundColor === 'rgba(0, 0, 0, 0)' ? bg : card.backgroundColor,
          ),
          4.5,
        );
        await expect(el).to.be.accessible();
      });
    }

    it('looks different in light and dark', async () => {
      const light = await mount(
        FakeCallSession.ready(),
        html`<matrix-call theme="light"></matrix-call>`,
      );
      const lightBg = getComputedStyle(light).backgroundColor;
      const dark = await mount(
        FakeCallSession.ready(),
        html`<matrix-call theme="dark"></matrix-call>`,
      );
      const darkBg = getComputedStyle(dark).backgroundColor;
      assert.notEqual(lightBg, darkBg);
      assert.isAbove(contrast(lightBg, 'rgb(0, 0, 0)'), contrast(darkBg, 'rgb(0, 0, 0)'));
    });
  });

  describe('i18n', () => {
    it('speaks German with lang="de", phase labels included', async () => {
      const session = FakeCallSession.ready();
      const el = await mount(session, html`<matrix-call lang="de"></matrix-call>`);
      await until(() => text(el).includes('Bereit zum Beitreten?'), 'German lobby');
      assert.equal($(el, '[part="join-button"]').textContent.trim(), 'Anruf starten');
      session.holdJoinAt = 'authorizing';
      void el.join();
      await until(() => text(el).includes('Berechtigung wird eingeholt'), 'German phase label');
    });

    it('takes the language of the page and overrides single strings', async () => {
      const box = await fixture<HTMLDivElement>(
        html`<div lang="de-AT" style="height:500px">
          <matrix-call
            .session=${FakeCallSession.ready()}
            .strings=${{ startCall: 'Los!' }}
          ></matrix-call>
        </div>`,
      );
      const el = box.querySelector('matrix-call') as MatrixCallElement;
      await until(() => text(el).includes('Bereit zum Beitreten?'), 'German from the page');
      assert.equal($(el, '[part="join-button"]').textContent.trim(), 'Los!');
      el.lang = 'en';
      await until(() => text(el).includes('Ready to join?'), 'back to English');
      assert.equal($(el, '[part="join-button"]').textContent.trim(), 'Los!');
    });
  });

  describe('context', () => {
    it("gives children the call, and a child's own session wins", async () => {
      const { el, session } = await inCall(1);
      const controls = $<HTMLElement & { session?: CallSessionApi }>(el, 'call-controls');
      const mic = () => deepQuery(controls, '[part~="microphone-button"]');
      assert.equal(mic()?.getAttribute('aria-pressed'), 'true');
      const other = FakeCallSession.inCall(1);
      other.setLocal({ microphoneEnabled: false });
      controls.session = other;
      await settle(el);
      await (controls as unknown as { updateComplete: Promise<unknown> }).updateComplete;
      assert.equal(mic()?.getAttribute('aria-pressed'), 'false', 'the explicit session');
      assert.isTrue(session.snapshot.local.microphoneEnabled);
    });
  });

  describe('methods', () => {
    it('toggles media and picks devices', async () => {
      const { el, session } = await inCall(1);
      await el.toggleCamera();
      assert.isFalse(session.snapshot.local.cameraEnabled);
      await el.toggleCamera(true);
      assert.isTrue(session.snapshot.local.cameraEnabled);
      await el.toggleScreenShare();
      assert.isTrue(session.snapshot.local.screenShareEnabled);
      await el.setDevice('audiooutput', 'spk-2');
      assert.equal(session.snapshot.local.audioOutputId, 'spk-2');
      assert.equal(el.snapshot, session.snapshot);
    });

    it('exports the redacted diagnostics and the receiver statistics', async () => {
      const { el, session } = await inCall(1);
      session.diagnostics.addSecret('syt_secret_token_value');
      session.diagnostics.info('auth', 'got a token syt_secret_token_value');
      const exported = JSON.parse(el.exportDiagnostics()) as {
        view: string;
        entries: { message: string }[];
      };
      assert.equal(exported.view, 'in-call');
      assert.include(
        exported.entries.map((e) => e.message),
        'got a token [redacted]',
      );
      assert.notInclude(el.exportDiagnostics(), 'syt_secret_token_value');
      assert.deepEqual(await el.getMediaStats(), []);
      const bare = await mount();
      assert.include(bare.exportDiagnostics(), '"view": "sign-in"');
      assert.deepEqual(await bare.getMediaStats(), []);
    });

    it('leaves the call when the page goes away (pagehide), not before', async () => {
      const { el, session } = await inCall(1);
      assert.equal(session.count('leave'), 0);
      dispatchEvent(new PageTransitionEvent('pagehide', { persisted: false }));
      await until(() => session.count('leave') === 1, 'left on pagehide');
      const idle = await lobby();
      dispatchEvent(new PageTransitionEvent('pagehide', { persisted: false }));
      await settle(idle.el);
      assert.equal(idle.session.count('leave'), 0, 'nothing to leave from the lobby');
      el.remove();
    });
  });

  describe('accessibility at every width', () => {
    /** Mounts at the page's full width, so phone-sized media queries apply. */
    async function fullWidth(
      session: CallSessionApi | undefined,
      template = html`<matrix-call></matrix-call>`,
    ) {
      const box = await fixture<HTMLDivElement>(html`<div style="height:700px">${template}</div>`);
      const el = box.querySelector('matrix-call');
      if (!el) throw new Error('no element');
      if (session) el.session = session;
      await settle(el);
      return el;
    }
    const ring: IncomingCallNotification = {
      eventId: '$ring',
      roomId: '!room:hs',
      sender: '@alice:hs',
      senderName: 'Alice',
      type: 'ring',
      intent: 'video',
      expiresAt: Date.now() + 600_000,
    };
    const views: Record<
      string,
      { session?: () => FakeCallSession; view: string; ready?: (el: MatrixCallElement) => boolean }
    > = {
      'sign-in': { view: 'sign-in', ready: (el) => $$(el, 'form').length === 1 },
      starting: {
        session: () => {
          const s = new FakeCallSession();
          s.start = () => new Promise(() => undefined);
          return s;
        },
        view: 'starting',
      },
      lobby: { session: () => FakeCallSession.ready(), view: 'lobby' },
      'lobby with a ring': {
        session: () =>
          FakeCallSession.ready({
            callInProgress: {
              active: true,
              userCount: 1,
              members: [
                { userId: '@alice:hs', deviceId: 'A', displayName: 'Alice', avatarUrl: undefined },
              ],
            },
            incomingNotification: ring,
          }),
        view: 'lobby',
        ready: (el) => $$(el, '[part~="ring"]').length === 1,
      },
      connecting: {
        session: () =>
          FakeCallSession.ready({ phase: 'connecting', phaseSince: Date.now() - 1000 }),
        view: 'connecting',
      },
      'in the call': { session: () => FakeCallSession.inCall(3), view: 'in-call' },
      reconnecting: {
        session: () =>
          FakeCallSession.inCall(1, { phase: 'reconnecting', phaseSince: Date.now() - 1000 }),
        view: 'in-call',
      },
      failed: {
        session: () =>
          FakeCallSession.ready({ phase: 'failed', error: MatrixCallError.connectionLost() }),
        view: 'failed',
        ready: (el) => $$(el, '[part~="error"]').length === 1,
      },
    };
    for (const [label, { session, view, ready }] of Object.entries(views)) {
      it(`is accessible: ${label}`, async () => {
        const el = await fullWidth(session?.());
        await until(() => el.view === view && (ready?.(el) ?? true), label);
        await assertAccessibleAtEveryWidth(el, label);
      });
    }

    it('is accessible: a notice in the call, and the ended view', async () => {
      const session = FakeCallSession.ready();
      const el = await fullWidth(session);
      await until(() => el.view === 'lobby', 'lobby');
      await el.join();
      await until(() => el.view === 'in-call', 'in call');
      session.failures.set('setCameraEnabled', MatrixCallError.mediaDeviceFailed('camera'));
      await el.toggleCamera();
      await until(() => $$(el, '[part="notice"]').length === 1, 'notice');
      await assertAccessibleAtEveryWidth(el, 'notice in the call');
      await el.leave();
      await until(() => el.view === 'ended' && text(el).includes('You left the call'), 'ended');
      await assertAccessibleAtEveryWidth(el, 'ended');
    });
  });
});
