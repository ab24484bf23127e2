import { assert, fixture, html, oneEvent } from '@open-wc/testing';
import type { CallFailureElement } from './call-failure.js';
import { MatrixCallError } from '../../core/errors.js';
import { $, $$, assertAccessibleAtEveryWidth, until } from '../../../test/browser/helpers.js';
import { defineRareScreens } from '../matrix-call/rare-views.js';

defineRareScreens();

const mount = (error: MatrixCallError, diagnostics?: () => string) =>
  fixture<CallFailureElement>(
    html`<call-failure .error=${error} .diagnostics=${diagnostics}></call-failure>`,
  );

describe('<call-failure>', () => {
  it('says what went wrong, who can fix it and how, and offers a retry', async () => {
    const el = await mount(MatrixCallError.noRtcTransport('hs.example'), () => '{}');
    const card = $(el, '[part~="base"]');
    assert.equal(card.getAttribute('role'), 'alert');
    assert.include(card.textContent, 'No call server is set up');
    assert.include(card.textContent, 'For the server admin');
    assert.exists($(el, 'code'), 'settings in the hint shown as code');
    const retry = oneEvent(el, 'call-request-retry');
    $<HTMLButtonElement>(el, '[part="retry-button"]').click();
    await retry;
  });

  it('copies the diagnostics, and says whether that worked', async () => {
    const copied: string[] = [];
    const clipboard = Object.getOwnPropertyDescriptor(Navigator.prototype, 'clipboard');
    Object.defineProperty(navigator, 'clipboard', {
      configurable: true,
      value: {
        writeText: (text: string) => {
          copied.push(text);
          return copied.length > 1 ? Promise.reject(new Error('denied')) : Promise.resolve();
        },
      },
    });
    try {
      const el = await mount(MatrixCallError.connectionLost(), () => '{"entries":[]}');
      $<HTMLButtonElement>(el, '[part="diagnostics-button"]').click();
      await until(() => $(el, '[role="status"]').textContent.includes('Diagnostics copied'), 'ok');
      $<HTMLButtonElement>(el, '[part="diagnostics-button"]').click();
      await until(() => $(el, '[role="status"]').textContent.includes('Could not copy'), 'fail');
      assert.deepEqual(copied, ['{"entries":[]}', '{"entries":[]}']);
    } finally {
      delete (navigator as { clipboard?: unknown }).clipboard;
      if (clipboard) Object.defineProperty(Navigator.prototype, 'clipboard', clipboard);
    }
  });

  it('has no copy button without diagnostics', async () => {
    const el = await mount(MatrixCallError.unknown());
    assert.lengthOf($$(el, '[part="diagnostics-button"]'), 0);
  });

  for (const error of [MatrixCallError.membershipForbidden('m.call'), MatrixCallError.aborted()])
    it(`is accessible: ${error.reason}`, async () => {
      await assertAccessibleAtEveryWidth(await mount(error, () => '{}'), error.reason);
    });
});
