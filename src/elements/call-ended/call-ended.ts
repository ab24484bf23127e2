import { LitElement, html } from 'lit';
import { state } from 'lit/decorators.js';
import { consume } from '@lit/context';
import { translatorContext } from '../../controller/call-context.js';
import { CallRequestJoinEvent } from '../../events/call-request-join.js';
import { CallRequestLobbyEvent } from '../../events/call-request-lobby.js';
import { english, type Translator } from '../../i18n/index.js';
import { tokens } from '../shared/tokens.js';
import { screen, screenHost } from '../shared/screen.js';

/**
 * @summary The small view after leaving: Rejoin, or back to the lobby.
 * @tag call-ended
 * @since 0.1
 * @status experimental
 *
 * @event {CallRequestJoinEvent} call-request-join - Rejoin was pressed.
 * @event {CallRequestLobbyEvent} call-request-lobby - Back to the lobby was pressed.
 *
 * @csspart base - The card.
 */
export class CallEndedElement extends LitElement {
  static override styles = [tokens, screen, screenHost];

  @consume({ context: translatorContext, subscribe: true })
  @state()
  private i18n: Translator = english;

  override render() {
    const t = this.i18n;
    return html`<div class="center">
      <div part="base" class="card">
        <h2>${t.t('callEnded')}</h2>
        <div class="actions">
          <button
            class="btn primary"
            @click=${() => this.dispatchEvent(new CallRequestJoinEvent(undefined))}
          >
            ${t.t('rejoin')}
          </button>
          <button class="btn" @click=${() => this.dispatchEvent(new CallRequestLobbyEvent())}>
            ${t.t('backToLobby')}
          </button>
        </div>
      </div>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'call-ended': CallEndedElement;
  }
}
