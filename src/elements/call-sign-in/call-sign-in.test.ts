import { assert, fixture, html, oneEvent } from '@open-wc/testing';
import type { CallSignInElement } from './call-sign-in.js';
import { MatrixCallError } from '../../core/errors.js';
import type { CallRequestSignInEvent } from '../../events/call-request-sign-in.js';
import { $, $$, assertAccessibleAtEveryWidth } from '../../../test/browser/helpers.js';
import { defineRareScreens } from '../matrix-call/rare-views.js';

defineRareScreens();

describe('<call-sign-in>', () => {
  it('asks for the account and the room, and hands over what was typed', async () => {
    const el = await fixture<CallSignInElement>(
      html`<call-sign-in needs-account needs-room homeserver="https://hs.example"></call-sign-in>`,
    );
    assert.equal($<HTMLInputElement>(el, 'input[name="homeserver"]').value, 'https://hs.example');
    $<HTMLInputElement>(el, 'input[name="username"]').value = ' alice ';
    $<HTMLInputElement>(el, 'input[name="password"]').value = ' pass word ';
    $<HTMLInputElement>(el, 'input[name="room"]').value = '#standup:hs.example';
    const submitted = oneEvent(el, 'call-request-sign-in');
    $<HTMLFormElement>(el, 'form').requestSubmit();
    const event = (await submitted) as unknown as CallRequestSignInEvent;
    assert.deepEqual(event.fields, {
      homeserver: 'https://hs.example',
      username: 'alice',
      password: ' pass word ',
      room: '#standup:hs.example',
    });
    assert.isTrue(event.cancelable);
  });

  it('asks only for the room when the account is known', async () => {
    const el = await fixture<CallSignInElement>(html`<call-sign-in needs-room></call-sign-in>`);
    assert.deepEqual(
      $$<HTMLInputElement>(el, 'input').map((i) => i.name),
      ['room'],
    );
  });

  it('shows why the last try failed', async () => {
    const el = await fixture<CallSignInElement>(
      html`<call-sign-in needs-account .error=${MatrixCallError.loginFailed()}></call-sign-in>`,
    );
    assert.equal($(el, '.error').getAttribute('role'), 'alert');
    assert.include($(el, '.error').textContent, 'wrong username or password');
  });

  for (const [label, template] of [
    ['everything to fill in', html`<call-sign-in needs-account needs-room></call-sign-in>`],
    [
      'after a failure',
      html`<call-sign-in needs-account .error=${MatrixCallError.loginFailed()}></call-sign-in>`,
    ],
  ] as const) {
    it(`is accessible: ${label}`, async () => {
      await assertAccessibleAtEveryWidth(await fixture(template), label);
    });
  }
});
