import { html, nothing } from 'lit';
import { CallPartElement } from '../shared/call-part-element.js';
import { tokens } from '../shared/tokens.js';
import { icons } from '../shared/icons.js';
import { styles } from './call-header.styles.js';

/**
 * @summary The bar above the call: the room's name, how many are in the call, and how the call is encrypted.
 * @tag call-header
 * @since 0.1
 * @status experimental
 *
 * @slot - Extra content at the start, e.g. a logo.
 *
 * @csspart base - The bar.
 * @csspart room-name - The room name.
 * @csspart participant-count - The participant count.
 * @csspart e2ee-lock - The encryption indicator; its tooltip explains the mode.
 */
export class CallHeaderElement extends CallPartElement {
  static override styles = [tokens, styles];

  readonly #call = this.followCall();

  override render() {
    const s = this.#call.snapshot;
    if (!s) return nothing;
    const t = this.i18n;
    const mode = s.encryption;
    const lockKey = `e2ee-${mode}` as const;
    const count = t.count('participantsOne', 'participantsOther', s.participants.length);
    return html`<header part="base">
      <slot></slot>
      <h2 part="room-name">${s.room?.name ?? ''}</h2>
      <span part="participant-count" class="chip" title=${count}
        >${icons.users}<span aria-hidden="true">${s.participants.length}</span
        ><span class="sr-only">${count}</span></span
      >
      <button
        part="e2ee-lock"
        class="chip lock ${mode}"
        aria-describedby="lock-tip"
        aria-label=${t.t(lockKey)}
      >
        ${mode === 'none' ? icons.lockOpen : icons.lock}<span class="lock-label" aria-hidden="true"
          >${t.t(lockKey)}</span
        >
        <span class="tip" id="lock-tip">${t.t(`${lockKey}-detail`)}</span>
      </button>
    </header>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'call-header': CallHeaderElement;
  }
}
