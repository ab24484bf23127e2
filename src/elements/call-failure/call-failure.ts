import { LitElement, css, html, nothing } from 'lit';
import { property, state } from 'lit/decorators.js';
import { consume } from '@lit/context';
import type { MatrixCallError } from '../../core/errors.js';
import { translatorContext } from '../../controller/call-context.js';
import { CallRequestRetryEvent } from '../../events/call-request-retry.js';
import { english, type Translator } from '../../i18n/index.js';
import { tokens } from '../shared/tokens.js';
import { screen, screenHost } from '../shared/screen.js';
import { rich } from '../shared/rich-text.js';

/**
 * @summary The error view: what went wrong, what to do about it (and whether that is for you or your server's admin), Try again and Copy diagnostics.
 * @tag call-failure
 * @since 0.1
 * @status experimental
 *
 * @event {CallRequestRetryEvent} call-request-retry - Try again was pressed.
 *
 * @csspart base - The card.
 * @csspart error - The card, by the name `<matrix-call>` gives it.
 * @csspart retry-button - The retry button.
 * @csspart diagnostics-button - The "copy diagnostics" button.
 */
export class CallFailureElement extends LitElement {
  static override styles = [
    tokens,
    screen,
    screenHost,
    css`
      .audience {
        font-size: 13px;
        font-weight: 700;
        text-transform: uppercase;
        color: var(--_muted);
      }
    `,
  ];

  /** The error to explain. */
  @property({ attribute: false }) error?: MatrixCallError;

  /** Gives the redacted diagnostics log to copy; without it, there is no copy button. */
  @property({ attribute: false }) diagnostics?: () => string;

  @consume({ context: translatorContext, subscribe: true })
  @state()
  private i18n: Translator = english;

  @state() private copyStatus = '';

  readonly #copy = async () => {
    const t = this.i18n;
    try {
      await navigator.clipboard.writeText(this.diagnostics?.() ?? '');
      this.copyStatus = t.t('copied');
    } catch {
      this.copyStatus = t.t('copyFailed');
    }
  };

  override render() {
    const t = this.i18n;
    const error = this.error;
    return html`<div class="center">
      <div part="base error" class="card" role="alert">
        <h2>${t.t(`error-${error?.reason ?? 'unknown'}`)}</h2>
        <p>${error?.message}</p>
        ${
          error?.hint
            ? html`<p class="audience">
                  ${t.t(error.audience === 'admin' ? 'forAdmin' : 'forYou')}
                </p>
                <p class="muted">${rich(error.hint)}</p>`
            : nothing
        }
        <div class="actions">
          <button
            part="retry-button"
            class="btn ${error?.retryable === false ? '' : 'primary'}"
            @click=${() => this.dispatchEvent(new CallRequestRetryEvent())}
          >
            ${t.t('retry')}
          </button>
          ${
            this.diagnostics
              ? html`<button part="diagnostics-button" class="btn" @click=${this.#copy}>
                  ${t.t('copyDiagnostics')}
                </button>`
              : nothing
          }
        </div>
        <p class="muted" role="status">${this.copyStatus}</p>
      </div>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'call-failure': CallFailureElement;
  }
}
