import { assert, fixture, html, oneEvent } from '@open-wc/testing';
import type { CallLobbyElement } from './call-lobby.js';
import { MatrixCallError } from '../../core/errors.js';
import type { CallErrorEvent } from '../../events/call-error.js';
import type { CallRequestJoinEvent } from '../../events/call-request-join.js';
import { FakeCallSession, stopFakeMedia } from '../../../test/browser/fake-call-session.js';
import {
  $,
  $$,
  assertAccessibleAtEveryWidth,
  deepText,
  recordEvents,
  settle,
  until,
} from '../../../test/browser/helpers.js';

async function lobby(session = FakeCallSession.ready()) {
  const el = await fixture<CallLobbyElement>(html`<call-lobby .session=${session}></call-lobby>`);
  await until(() => session.count('startPreview') === 1, 'preview started');
  await settle(el);
  return { el, session };
}

const members = (n: number) => ({
  callInProgress: {
    active: n > 0,
    userCount: n,
    members: Array.from({ length: n }, (_, i) => ({
      userId: `@u${i}:hs`,
      deviceId: 'D',
      displayName: ['Alice', 'Bob', 'Carol', 'Dave'][i] ?? `User ${i}`,
      avatarUrl: undefined,
    })),
  },
});

describe('<call-lobby>', () => {
  afterEach(stopFakeMedia);

  it('starts the preview once the session is ready, and only once', async () => {
    const session = new FakeCallSession();
    const el = await fixture<CallLobbyElement>(html`<call-lobby .session=${session}></call-lobby>`);
    await settle(el);
    assert.equal(session.count('startPreview'), 0, 'not before the session is ready');
    await session.start();
    await until(() => session.count('startPreview') === 1, 'preview started');
    el.requestUpdate();
    await settle(el);
    assert.equal(session.count('startPreview'), 1);
  });

  it('shows the preview, the level, the name, the devices and who is in the call', async () => {
    const { el, session } = await lobby();
    await until(() => session.snapshot.local.cameraTrack !== undefined, 'camera');
    await settle(el);
    const video = $<HTMLVideoElement>(el, '[part="preview"] video');
    assert.strictEqual(
      (video.srcObject as MediaStream).getVideoTracks()[0],
      session.snapshot.local.cameraTrack?.mediaStreamTrack,
    );
    assert.closeTo($<HTMLMeterElement>(el, '[part="level"]').value, 0.4, 0.001);
    assert.equal($<HTMLInputElement>(el, 'input[autocomplete="name"]').value, 'Morgan');
    assert.lengthOf($$(el, 'select'), 3);
    assert.equal($(el, '[part="join-button"]').textContent.trim(), 'Start call');
    session.set(members(4));
    await settle(el);
    assert.equal($(el, '[part="join-button"]').textContent.trim(), 'Join call (4 people)');
    assert.include(deepText(el.shadowRoot as ShadowRoot), 'Alice, Bob, Carol …');
  });

  it('offers no speaker choice where the browser cannot route audio (no setSinkId)', async () => {
    const { el, session } = await lobby();
    session.setLocal({ canSelectAudioOutput: false });
    await settle(el);
    assert.lengthOf($$(el, 'select'), 2, 'microphone and camera only');
    assert.notInclude(deepText(el.shadowRoot as ShadowRoot), 'Speaker');
    await assertAccessibleAtEveryWidth(el, 'no speaker choice');
  });

  it('toggles the microphone and camera, and picks devices', async () => {
    const { el, session } = await lobby();
    const [mic, cam] = $$<HTMLButtonElement>(el, '.toggle');
    mic?.click();
    cam?.click();
    await until(() => !session.snapshot.local.cameraEnabled, 'camera off');
    await settle(el);
    assert.isFalse(session.snapshot.local.microphoneEnabled);
    assert.equal(mic?.getAttribute('aria-pressed'), 'false');
    assert.include(deepText(el.shadowRoot as ShadowRoot), 'Your camera is off');
    $<HTMLSelectElement>(el, 'select[data-kind="audioinput"]').dispatchEvent(new Event('change'));
    await until(() => session.count('selectDevice') === 1, 'device picked');
  });

  it('joins by itself with the typed name, unless a listener takes over', async () => {
    const { el, session } = await lobby();
    const name = $<HTMLInputElement>(el, 'input[autocomplete="name"]');
    name.value = 'Robin';
    name.dispatchEvent(new Event('input'));
    const requested = oneEvent(el, 'call-request-join');
    $<HTMLButtonElement>(el, '[part="join-button"]').click();
    assert.equal(((await requested) as unknown as CallRequestJoinEvent).displayName, 'Robin');
    await until(() => session.count('join') === 1, 'joined');
    const join = session.calls.find((c) => c.method === 'join');
    assert.equal((join?.args[0] as { displayName?: string }).displayName, 'Robin');

    const other = await lobby();
    other.el.addEventListener('call-request-join', (e) => {
      e.preventDefault();
    });
    await other.el.join();
    assert.equal(other.session.count('join'), 0, 'the listener joins instead');
  });

  it('reports a failed preview as a call-error', async () => {
    const session = FakeCallSession.ready();
    session.failures.set('startPreview', MatrixCallError.mediaPermissionDenied('camera'));
    const events = recordEvents(document, ['call-error']);
    await fixture<CallLobbyElement>(html`<call-lobby .session=${session}></call-lobby>`);
    await until(() => events.length === 1, 'an error event');
    assert.equal(
      (events[0] as CallErrorEvent | undefined)?.error.reason,
      'media-permission-denied',
    );
  });

  it('renders nothing without a session', async () => {
    const el = await fixture<CallLobbyElement>(html`<call-lobby></call-lobby>`);
    assert.lengthOf($$(el, '*'), 0);
  });

  describe('accessibility', () => {
    const states = {
      'camera on, nobody in the call': () => FakeCallSession.ready(),
      'camera and microphone off': () => {
        const s = FakeCallSession.ready();
        s.setLocal({ cameraEnabled: false, microphoneEnabled: false });
        return s;
      },
      'people in the call': () => FakeCallSession.ready(members(3)),
      'no devices to pick': () =>
        FakeCallSession.ready({ devices: { audioinput: [], videoinput: [], audiooutput: [] } }),
    };
    for (const [label, make] of Object.entries(states)) {
      it(`is accessible: ${label}`, async () => {
        const { el } = await lobby(make());
        await assertAccessibleAtEveryWidth(el, label);
      });
    }
  });
});
