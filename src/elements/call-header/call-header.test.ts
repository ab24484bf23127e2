import { assert, fixture, html } from '@open-wc/testing';
import type { CallHeaderElement } from './call-header.js';
import { FakeCallSession, stopFakeMedia } from '../../../test/browser/fake-call-session.js';
import { $, $$, assertAccessibleAtEveryWidth, settle } from '../../../test/browser/helpers.js';

async function header(session = FakeCallSession.inCall(2)) {
  const el = await fixture<CallHeaderElement>(
    html`<call-header .session=${session}><span>Logo</span></call-header>`,
  );
  await settle(el);
  return { el, session };
}

describe('<call-header>', () => {
  afterEach(stopFakeMedia);

  it('names the room, counts the people and slots in extra content', async () => {
    const { el, session } = await header();
    assert.equal($(el, '[part="room-name"]').textContent.trim(), 'Team standup');
    assert.include($(el, '[part="participant-count"]').textContent, '3 participants');
    assert.lengthOf($<HTMLSlotElement>(el, 'slot').assignedElements(), 1);
    session.set({ participants: session.snapshot.participants.slice(0, 1) });
    await settle(el);
    assert.include($(el, '[part="participant-count"]').textContent, '1 participant');
  });

  it('says how the call is encrypted, with a tooltip that explains it', async () => {
    const { el, session } = await header();
    const lock = $(el, '[part="e2ee-lock"]');
    assert.equal(lock.getAttribute('aria-label'), 'End-to-end encrypted');
    assert.include($(el, '#lock-tip').textContent, 'own keys');
    session.set({ encryption: 'none' });
    await settle(el);
    assert.equal(lock.getAttribute('aria-label'), 'Not encrypted');
    assert.isTrue(lock.classList.contains('none'), 'shown as a warning');
  });

  it('renders nothing without a session', async () => {
    const el = await fixture<CallHeaderElement>(html`<call-header></call-header>`);
    assert.lengthOf($$(el, '*'), 0);
  });

  describe('accessibility', () => {
    for (const encryption of ['per-participant', 'shared-secret', 'none'] as const) {
      it(`is accessible: ${encryption}`, async () => {
        const { el } = await header(FakeCallSession.inCall(3, { encryption }));
        await assertAccessibleAtEveryWidth(el, encryption);
      });
    }
  });
});
