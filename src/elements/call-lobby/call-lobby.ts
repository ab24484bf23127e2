import { html, nothing } from 'lit';
import { property } from 'lit/decorators.js';
import { live } from 'lit/directives/live.js';
import type { CallSessionApi, CallSnapshot } from '../../core/types.js';
import { CallErrorEvent } from '../../events/call-error.js';
import { CallRequestJoinEvent } from '../../events/call-request-join.js';
import { CallPartElement } from '../shared/call-part-element.js';
import { tokens } from '../shared/tokens.js';
import { screen } from '../shared/screen.js';
import { icons } from '../shared/icons.js';
import { devicePickers } from '../shared/devices.js';
import { avatarColor, initials, streamFor } from '../shared/media.js';
import { styles } from './call-lobby.styles.js';

/**
 * @summary The place before the call: camera preview, microphone level, name, devices, who is in the call already, and Join.
 * @tag call-lobby
 * @since 0.1
 * @status experimental
 *
 * It starts the camera and microphone preview once the session is ready. Join fires
 * `call-request-join`; unless a listener cancels it, the lobby joins the session itself,
 * so a page can build its own flow from `<call-lobby>`, `<call-grid>` and `<call-controls>`.
 *
 * @event {CallRequestJoinEvent} call-request-join - Join was pressed (cancelable); `displayName` is the name typed.
 * @event {CallErrorEvent} call-error - Starting the preview, a toggle or a device change failed.
 *
 * @csspart base - The lobby: preview on one side, the rest on the other.
 * @csspart preview - The camera preview.
 * @csspart level - The microphone level meter.
 * @csspart join-button - The join button.
 */
export class CallLobbyElement extends CallPartElement {
  static override styles = [tokens, screen, styles];

  /** The name typed in the lobby; starts as the user's display name. */
  @property({ attribute: false }) displayName?: string;

  readonly #call = this.followCall((error) => this.dispatchEvent(new CallErrorEvent(error)));
  #previewed: CallSessionApi | undefined;

  /** Joins with the typed name, unless a `call-request-join` listener takes over. */
  join(): Promise<void> {
    const typed = this.displayName?.trim();
    const name = typed && typed !== this.#call.snapshot?.user?.displayName ? typed : undefined;
    if (!this.dispatchEvent(new CallRequestJoinEvent(name))) return Promise.resolve();
    return this.#call.join(name ? { displayName: name } : {});
  }

  protected override updated(): void {
    const session = this.#call.session;
    const s = this.#call.snapshot;
    // After this update, not inside it: the session may answer synchronously.
    if (session && session !== this.#previewed && s?.status === 'ready' && s.phase === 'idle') {
      this.#previewed = session;
      queueMicrotask(() => void this.#call.startPreview());
    }
  }

  override render() {
    const s = this.#call.snapshot;
    if (!s) return nothing;
    return html`<div class="center">
      <div part="base" class="lobby">
        <div class="side">${this.#renderPreview(s)}</div>
        <div class="side">${this.#renderDetails(s)}</div>
      </div>
    </div>`;
  }

  #renderPreview({ local }: CallSnapshot) {
    const t = this.i18n;
    const camera = local.cameraEnabled ? local.cameraTrack : undefined;
    return html`<div part="preview" class="preview">
        ${
          camera
            ? html`<video
                autoplay
                playsinline
                muted
                aria-label=${t.t('preview')}
                .srcObject=${live(streamFor(camera.mediaStreamTrack))}
              ></video>`
            : html`<p class="muted">${t.t('cameraOffPreview')}</p>`
        }
        <div class="preview-controls">
          <button
            class="toggle"
            aria-label=${t.t('microphone')}
            aria-pressed=${local.microphoneEnabled ? 'true' : 'false'}
            @click=${() => this.#call.setMicrophoneEnabled(!local.microphoneEnabled)}
          >
            ${local.microphoneEnabled ? icons.mic : icons.micOff}
          </button>
          <button
            class="toggle"
            aria-label=${t.t('camera')}
            aria-pressed=${local.cameraEnabled ? 'true' : 'false'}
            @click=${() => this.#call.setCameraEnabled(!local.cameraEnabled)}
          >
            ${local.cameraEnabled ? icons.camera : icons.cameraOff}
          </button>
        </div>
      </div>
      <meter
        part="level"
        aria-label=${t.t('micLevel')}
        min="0"
        max="1"
        .value=${local.microphoneEnabled ? local.audioLevel : 0}
      ></meter>`;
  }

  #renderDetails(s: CallSnapshot) {
    const t = this.i18n;
    const { callInProgress } = s;
    const count = callInProgress.userCount;
    const inCall = callInProgress.active && callInProgress.members.length > 0;
    const joinable = s.status === 'ready' && (s.phase === 'idle' || s.phase === 'ended');
    return html`<h2>${t.t('lobbyTitle')}</h2>
      ${s.room ? html`<p class="muted">${s.room.name}</p>` : nothing}
      <label
        >${t.t('yourName')}
        <input
          autocomplete="name"
          .value=${this.displayName ?? s.user?.displayName ?? ''}
          @input=${(e: Event) => {
            this.displayName = (e.target as HTMLInputElement).value;
          }}
      /></label>
      ${devicePickers(t, s, (kind, id) => {
        void this.#call.selectDevice(kind, id);
      })}
      ${inCall ? this.#renderMembers(s) : nothing}
      <button
        part="join-button"
        class="btn primary"
        ?disabled=${this.#call.joining || !joinable}
        @click=${() => this.join()}
      >
        ${
          callInProgress.active
            ? count > 0
              ? t.count('joinCallOne', 'joinCallOther', count)
              : t.t('joinCall')
            : t.t('startCall')
        }
      </button>`;
  }

  #renderMembers({ callInProgress: { members } }: CallSnapshot) {
    return html`<div class="members">
      <div class="faces" aria-hidden="true">
        ${members
          .slice(0, 5)
          .map((m) =>
            m.avatarUrl
              ? html`<img src=${m.avatarUrl} alt="" />`
              : html`<span style="background:${avatarColor(m.userId)}"
                  >${initials(m.displayName)}</span
                >`,
          )}
      </div>
      <span
        >${this.i18n.t('inCallNow')}:
        ${members
          .slice(0, 3)
          .map((m) => m.displayName)
          .join(', ')}${members.length > 3 ? ' …' : ''}</span
      >
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'call-lobby': CallLobbyElement;
  }
}
