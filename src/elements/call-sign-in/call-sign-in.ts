import { LitElement, css, html, nothing } from 'lit';
import { property, state } from 'lit/decorators.js';
import { consume } from '@lit/context';
import type { MatrixCallError } from '../../core/errors.js';
import { translatorContext } from '../../controller/call-context.js';
import { CallRequestSignInEvent } from '../../events/call-request-sign-in.js';
import { english, type Translator } from '../../i18n/index.js';
import { tokens } from '../shared/tokens.js';
import { screen, screenHost } from '../shared/screen.js';
import { rich } from '../shared/rich-text.js';

/**
 * @summary The sign-in form: homeserver, username and password, and the room when none is set.
 * @tag call-sign-in
 * @since 0.1
 * @status experimental
 *
 * @event {CallRequestSignInEvent} call-request-sign-in - The form was submitted; `fields` holds what was typed.
 *
 * @csspart base - The form's card.
 * @csspart sign-in - The form, by the name `<matrix-call>` gives it.
 */
export class CallSignInElement extends LitElement {
  static override styles = [
    tokens,
    screen,
    screenHost,
    css`
      .error {
        padding: 10px 12px;
        border-radius: 8px;
        border-inline-start: 4px solid var(--_danger);
        background: var(--_bg);
      }
    `,
  ];

  /** Ask for homeserver, username and password (else only the room). */
  @property({ type: Boolean, attribute: 'needs-account' }) needsAccount = false;

  /** Ask for the room. */
  @property({ type: Boolean, attribute: 'needs-room' }) needsRoom = false;

  /** The homeserver to fill in. */
  @property() homeserver = '';

  /** The username to fill in. */
  @property() username = '';

  /** The room to fill in. */
  @property() room = '';

  /** Why the last sign-in failed, shown above the fields. */
  @property({ attribute: false }) error?: MatrixCallError;

  @consume({ context: translatorContext, subscribe: true })
  @state()
  private i18n: Translator = english;

  readonly #submit = (event: SubmitEvent) => {
    event.preventDefault();
    const data = new FormData(event.target as HTMLFormElement);
    const field = (name: string, trim = true) => {
      const value = data.get(name);
      return typeof value === 'string' ? (trim ? value.trim() : value) : '';
    };
    this.dispatchEvent(
      new CallRequestSignInEvent({
        homeserver: field('homeserver'),
        username: field('username'),
        password: field('password', false),
        room: field('room'),
      }),
    );
  };

  override render() {
    const t = this.i18n;
    const error = this.error;
    return html`<div class="center">
      <form part="base sign-in" class="card" @submit=${this.#submit}>
        <h2>${t.t('signInTitle')}</h2>
        ${
          error
            ? html`<p class="error" role="alert">${error.message} ${rich(error.hint)}</p>`
            : nothing
        }
        ${
          this.needsAccount
            ? html`<label
                  >${t.t('homeserver')}
                  <input
                    name="homeserver"
                    type="url"
                    required
                    autocomplete="url"
                    placeholder="https://matrix.example.org"
                    .value=${this.homeserver}
                /></label>
                <label
                  >${t.t('username')}
                  <input name="username" required autocomplete="username" .value=${this.username}
                /></label>
                <label
                  >${t.t('accountPassword')}
                  <input name="password" type="password" required autocomplete="current-password"
                /></label>`
            : nothing
        }
        ${
          this.needsRoom
            ? html`<label
                >${t.t('roomAddress')}
                <input name="room" required placeholder="#room:example.org" .value=${this.room}
              /></label>`
            : nothing
        }
        <button class="btn primary" type="submit">${t.t('signIn')}</button>
      </form>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'call-sign-in': CallSignInElement;
  }
}
