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
    for (let i = 0; i < 7; i++) {
      await sendKeys({ press: 'Tab' });
      order.push(el.shadowRoot?.activeElement?.getAttribute('aria-label') ?? '');
    }
    assert.deepEqual(order, [
      'Microphone',
      'Choose microphone',
      'Camera',
      'Choose camera',
      'Share screen',
      'Reactions',
      '',
    ]);
    assert.equal(el.shadowRoot?.activeElement?.getAttribute('part'), 'button leave-button');
    await sendKeys({ down: 'Shift' });
    await sendKeys({ press: 'Tab' });
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

  /** Opens the reactions menu (its chunk loads once the controls show). */
  async function openReactions(el: CallControlsElement): Promise<HTMLElement> {
    const menu = $(el, '[part="reactions-menu"]');
    await until(() => !!menu.querySelector('[part~="raise-hand-button"]'), 'menu loaded');
    $<HTMLButtonElement>(el, '[part~="reactions-button"]').click();
    await until(() => menu.matches(':popover-open'), 'reactions menu open');
    return menu;
  }

  it('opens a reactions menu: arrow keys move, Escape closes and gives focus back', async () => {
    const { el } = await controls();
    const menu = await openReactions(el);
    const hand = $(el, '[part~="raise-hand-button"]');
    await until(() => el.shadowRoot?.activeElement === hand, 'focus on the hand item');
    assert.equal(hand.getAttribute('role'), 'menuitemcheckbox');
    assert.equal(hand.getAttribute('aria-checked'), 'false');
    const items = $$(el, '[part~="reaction-button"]');
    assert.lengthOf(items, 16, "Element Call's reactions");
    assert.equal(items[0]?.getAttribute('aria-label'), 'Thumbs up');
    await sendKeys({ press: 'ArrowRight' });
    assert.equal(el.shadowRoot?.activeElement, items[0]);
    await sendKeys({ press: 'End' });
    assert.equal(el.shadowRoot?.activeElement, items[15]);
    await sendKeys({ press: 'ArrowDown' });
    assert.equal(el.shadowRoot?.activeElement, hand, 'wraps around');
    await sendKeys({ press: 'ArrowLeft' });
    assert.equal(el.shadowRoot?.activeElement, items[15]);
    await sendKeys({ press: 'Home' });
    assert.equal(el.shadowRoot?.activeElement, hand);
    await sendKeys({ press: 'Escape' });
    await until(() => !menu.matches(':popover-open'), 'closed with Escape');
    await until(
      () => el.shadowRoot?.activeElement === $(el, '[part~="reactions-button"]'),
      'focus back on the reactions button',
    );
  });

  it('raises and lowers the hand from the menu and with H', async () => {
    const { el, session } = await controls();
    await openReactions(el);
    $<HTMLButtonElement>(el, '[part~="raise-hand-button"]').click();
    await until(() => session.snapshot.participants[0]?.handRaisedAt !== undefined, 'raised');
    await until(() => !$(el, '[part="reactions-menu"]').matches(':popover-open'), 'menu closed');
    await el.updateComplete;
    assert.equal($(el, '[part~="raise-hand-button"]').getAttribute('aria-checked'), 'true');
    assert.include($(el, '[part~="raise-hand-button"]').textContent, 'Lower hand');
    assert.include($(el, '[part~="reactions-button"]').textContent, '✋');
    (document.activeElement as HTMLElement | null)?.blur();
    await sendKeys({ press: 'h' });
    await until(() => session.snapshot.participants[0]?.handRaisedAt === undefined, 'H lowers');
    assert.deepEqual(
      session.calls.filter((c) => c.method === 'setHandRaised').map((c) => c.args[0]),
      [true, false],
    );
  });

  it('sends a reaction and closes the menu; the items wait while ours still shows', async () => {
    const { el, session } = await controls();
    const menu = await openReactions(el);
    $<HTMLButtonElement>(el, '[part~="reaction-button"][aria-label="Party"]').click();
    await until(() => session.count('sendReaction') === 1, 'sent');
    assert.deepEqual(session.calls.find((c) => c.method === 'sendReaction')?.args, ['party']);
    await until(() => !menu.matches(':popover-open'), 'menu closed');
    await openReactions(el);
    await el.updateComplete;
    const party = $<HTMLButtonElement>(el, '[part~="reaction-button"][aria-label="Party"]');
    assert.equal(party.getAttribute('aria-disabled'), 'true');
    party.click();
    await settle(el);
    assert.equal(session.count('sendReaction'), 1, 'nothing sent while ours shows');
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

    it('is accessible with the reactions menu open and the hand raised', async () => {
      const { el, session } = await controls();
      await session.setHandRaised(true);
      await openReactions(el);
      await assertAccessibleAtEveryWidth(el, 'reactions menu open');
    });

    it('is accessible with the device menu open', async () => {
      const { el } = await controls();
      $<HTMLButtonElement>(el, '[part~="device-button"]').click();
      await until(() => $(el, '[part="device-menu"]').matches(':popover-open'), 'menu open');
      await assertAccessibleAtEveryWidth(el, 'device menu open');
    });
  });
});
