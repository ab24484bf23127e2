import { assert, expect, fixture, html } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import type { CallControlsElement } from './call-controls.js';
import { FakeCallSession, stopFakeMedia } from '../../../test/browser/fake-call-session.js';
import {
  $,
  $$,
  assertAccessibleAtEveryWidth,
  settle,
  until,
} from '../../../test/browser/helpers.js';

async function controls(session = FakeCallSession.inCall(2), attrs = html``) {
  const box = await fixture<HTMLDivElement>(
    html`<div>
      <input id="outside" aria-label="A text field on the page" />
      <call-controls .session=${session}></call-controls>${attrs}
    </div>`,
  );
  const el = box.querySelector('call-controls');
  if (!el) throw new Error('no controls');
  await settle(el);
  return { el, session, box };
}

const pressed = (el: CallControlsElement, part: string) =>
  $(el, `[part~="${part}"]`).getAttribute('aria-pressed');

describe('<call-controls>', () => {
  afterEach(stopFakeMedia);
  beforeEach(() => {
    (document.activeElement as HTMLElement | null)?.blur();
  });

  it('toggles the microphone and camera and shows their state with aria-pressed', async () => {
    const { el, session } = await controls();
    assert.equal(pressed(el, 'microphone-button'), 'true');
    $<HTMLButtonElement>(el, '[part~="microphone-button"]').click();
    await until(() => !session.snapshot.local.microphoneEnabled, 'mic off');
    await el.updateComplete;
    assert.equal(pressed(el, 'microphone-button'), 'false');
    $<HTMLButtonElement>(el, '[part~="camera-button"]').click();
    await until(() => !session.snapshot.local.cameraEnabled, 'camera off');
    await el.updateComplete;
    assert.equal(pressed(el, 'camera-button'), 'false');
    assert.include($(el, '#cam-tip').textContent, 'Turn camera on');
  });

  it('shares the screen, and hides the button where the browser cannot', async () => {
    const { el, session } = await controls();
    $<HTMLButtonElement>(el, '[part~="screen-share-button"]').click();
    await until(() => session.snapshot.local.screenShareEnabled, 'sharing');
    session.setLocal({ canShareScreen: false });
    await el.updateComplete;
    assert.lengthOf($$(el, '[part~="screen-share-button"]'), 0);
  });

  it('leaves the call', async () => {
    const { el, session } = await controls();
    $<HTMLButtonElement>(el, '[part~="leave-button"]').click();
    await until(() => session.count('leave') === 1, 'left');
  });

  it('toggles with M and V, but not while typing in a text field', async () => {
    const { el, session, box } = await controls();
    await sendKeys({ press: 'm' });
    await until(() => !session.snapshot.local.microphoneEnabled, 'M mutes');
    await sendKeys({ press: 'v' });
    await until(() => !session.snapshot.local.cameraEnabled, 'V stops the camera');
    box.querySelector<HTMLInputElement>('#outside')?.focus();
    await sendKeys({ type: 'mv' });
    await settle(el);
    assert.equal(session.count('setMicrophoneEnabled'), 1, 'typing is not a shortcut');
    assert.equal(session.count('setCameraEnabled'), 1);
  });

  it('talks while Space is held and mutes again on release', async () => {
    const session = FakeCallSession.inCall(2);
    session.setLocal({ microphoneEnabled: false });
    const { el } = await controls(session);
    await sendKeys({ down: ' ' });
    await until(() => session.snapshot.local.microphoneEnabled, 'mic on while held');
    assert.isTrue(el.matches(':state(push-to-talk)'));
    await sendKeys({ up: ' ' });
    await until(() => !session.snapshot.local.microphoneEnabled, 'mic off on release');
    assert.isFalse(el.matches(':state(push-to-talk)'));
  });

  it('leaves Space to a focused button', async () => {
    const session = FakeCallSession.inCall(2);
    session.setLocal({ microphoneEnabled: false });
    const { el } = await controls(session);
    $<HTMLButtonElement>(el, '[part~="camera-button"]').focus();
    await sendKeys({ press: ' ' });
    await until(() => !session.snapshot.local.cameraEnabled, 'Space pressed the button');
    assert.equal(session.count('setMicrophoneEnabled'), 0, 'no push-to-talk');
  });

  it('has no shortcuts with no-shortcuts', async () => {
    const { el, session } = await controls();
    el.noShortcuts = true;
    await el.updateComplete;
    await sendKeys({ press: 'm' });
    await settle(el);
    assert.equal(session.count('setMicrophoneEnabled'), 0);
  });

  it('moves focus through the controls in order, with a visible ring and tooltip', async () => {
    const { el, box } = await controls();
    box.querySelector<HTMLInputElement>('#outside')?.focus();
    const order: string[] = [];
    for (let i = 0; i < 6; i++) {
      await sendKeys({ press: 'Tab' });
      order.push(el.shadowRoot?.activeElement?.getAttribute('aria-label') ?? '');
    }
    assert.deepEqual(order, [
      'Microphone',
      'Choose microphone',
      'Camera',
      'Choose camera',
      'Share screen',
      '',
    ]);
    assert.equal(el.shadowRoot?.activeElement?.getAttribute('part'), 'button leave-button');
    await sendKeys({ down: 'Shift' });
    await sendKeys({ press: 'Tab' });
    await sendKeys({ up: 'Shift' });
    const share = $(el, '[part~="screen-share-button"]');
    assert.notEqual(getComputedStyle(share).outlineStyle, 'none', 'focus ring');
    await until(() => getComputedStyle($(el, '#share-tip')).opacity === '1', 'tooltip on focus');
  });

  it('opens the device panel and switches devices', async () => {
    const { el, session } = await controls();
    $<HTMLButtonElement>(el, '[aria-label="Choose microphone"]').click();
    const panel = $(el, '[part="device-menu"]');
    await until(() => panel.matches(':popover-open'), 'panel open');
    const mic = $<HTMLSelectElement>(el, 'select[data-kind="audioinput"]');
    await until(() => el.shadowRoot?.activeElement === mic, 'focus on the microphone picker');
    assert.lengthOf($$(el, 'select'), 3, 'microphone, camera, speaker');
    mic.value = 'mic-2';
    mic.dispatchEvent(new Event('change'));
    await until(() => session.snapshot.local.audioInputId === 'mic-2', 'device selected');
    await sendKeys({ press: 'Escape' });
    await until(() => !panel.matches(':popover-open'), 'closed with Escape');
  });

  it('is accessible', async () => {
    const { el } = await controls();
    await expect(el).to.be.accessible();
    const session = FakeCallSession.inCall(1);
    session.setLocal({ microphoneEnabled: false, cameraEnabled: false });
    const { el: off } = await controls(session);
    await expect(off).to.be.accessible();
  });

  describe('accessibility at every width', () => {
    const states: Record<string, (s: FakeCallSession) => void> = {
      'everything on': () => undefined,
      'microphone and camera off': (s) => {
        s.setLocal({ microphoneEnabled: false, cameraEnabled: false });
      },
      'sharing the screen': (s) => {
        s.setLocal({ screenShareEnabled: true });
      },
      'no screen sharing in this browser': (s) => {
        s.setLocal({ canShareScreen: false });
      },
    };
    for (const [label, apply] of Object.entries(states)) {
      it(`is accessible: ${label}`, async () => {
        const session = FakeCallSession.inCall(2);
        apply(session);
        const { el } = await controls(session);
        await assertAccessibleAtEveryWidth(el, label);
      });
    }

    it('is accessible with the device menu open', async () => {
      const { el } = await controls();
      $<HTMLButtonElement>(el, '[part~="device-button"]').click();
      await until(() => $(el, '[part="device-menu"]').matches(':popover-open'), 'menu open');
      await assertAccessibleAtEveryWidth(el, 'device menu open');
    });
  });
});
