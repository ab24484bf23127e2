import { css, html, nothing } from 'lit';
import { state } from 'lit/decorators.js';
import { live } from 'lit/directives/live.js';
import { repeat } from 'lit/directives/repeat.js';
import type { CallTrack } from '../../core/types.js';
import { CallPartElement } from '../shared/call-part-element.js';
import { tokens } from '../shared/tokens.js';
import { streamFor } from '../shared/media.js';

/**
 * @summary Plays the call's remote audio (microphones and shared-screen audio) on the chosen speaker.
 * @tag call-audio
 * @since 0.1
 * @status experimental
 *
 * It shows nothing but a button when the browser blocks autoplay, which a click on it lifts.
 * Your own microphone is never played back.
 *
 * @csspart enable-button - The "click to hear the call" button, shown while autoplay is blocked.
 */
export class CallAudioElement extends CallPartElement {
  static override styles = [
    tokens,
    css`
      :host {
        display: contents;
      }
    `,
  ];

  @state() private blocked = false;

  readonly #call = this.followCall();

  protected override updated(): void {
    this.#play();
  }

  /** Starts every paused audio element on the selected speaker. */
  readonly #play = (): void => {
    const sink = this.#call.snapshot?.local.audioOutputId ?? '';
    const audio = [...this.renderRoot.querySelectorAll('audio')];
    for (const a of audio)
      if ('setSinkId' in a && a.sinkId !== sink) a.setSinkId(sink).catch(() => undefined);
    const paused = audio.filter((a) => a.paused);
    if (paused.length === 0) this.blocked = false;
    for (const a of paused)
      a.play().then(
        () => (this.blocked = false),
        (error: unknown) => {
          if (error instanceof DOMException && error.name === 'NotAllowedError')
            this.blocked = true;
        },
      );
  };

  override render() {
    const s = this.#call.snapshot;
    if (!s) return nothing;
    const tracks: CallTrack[] = [];
    for (const p of s.participants) {
      if (p.isLocal) continue;
      if (p.microphoneTrack) tracks.push(p.microphoneTrack);
      if (p.screenShareAudioTrack) tracks.push(p.screenShareAudioTrack);
    }
    return html`${
        this.blocked
          ? html`<button part="enable-button" class="btn primary" @click=${this.#play}>
              ${this.i18n.t('enableAudio')}
            </button>`
          : nothing
      }
      <div hidden>
        ${repeat(
          tracks,
          (track) => track.id,
          (track) =>
            html`<audio autoplay .srcObject=${live(streamFor(track.mediaStreamTrack))}></audio>`,
        )}
      </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'call-audio': CallAudioElement;
  }
}
