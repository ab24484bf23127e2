import { LitElement, html, css } from 'lit';
import { property } from 'lit/decorators.js';
import { loadCallEngine } from '../../core/load.js';

/**
 * @summary A complete end-to-end-encrypted group call for one Matrix room.
 * @tag matrix-call
 * @since 0.1
 * @status experimental
 * @csspart base - The outer wrapper.
 */
export class MatrixCallElement extends LitElement {
  static override styles = css`
    :host {
      display: block;
    }
  `;

  /** Room ID (`!…`) or alias (`#…`) of the call's room. */
  @property({ reflect: true }) room = '';

  /** Loads the call engine ahead of time, e.g. when the user hovers a "call" button. */
  static async preload(): Promise<void> {
    await loadCallEngine();
  }

  override render() {
    return html`<div part="base">${this.room}</div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'matrix-call': MatrixCallElement;
  }
}
