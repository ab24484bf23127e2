import { fixture, html, oneEvent } from '@open-wc/testing';
import type { CallEndedElement } from './call-ended.js';
import { $$, assertAccessibleAtEveryWidth } from '../../../test/browser/helpers.js';
import { defineRareScreens } from '../matrix-call/rare-views.js';

defineRareScreens();

describe('<call-ended>', () => {
  it('asks to rejoin or to go back to the lobby', async () => {
    const el = await fixture<CallEndedElement>(html`<call-ended></call-ended>`);
    const [rejoin, back] = $$<HTMLButtonElement>(el, 'button');
    const join = oneEvent(el, 'call-request-join');
    rejoin?.click();
    await join;
    const lobby = oneEvent(el, 'call-request-lobby');
    back?.click();
    await lobby;
  });

  it('is accessible', async () => {
    await assertAccessibleAtEveryWidth(await fixture(html`<call-ended></call-ended>`), 'ended');
  });
});
