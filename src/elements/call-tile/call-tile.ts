import { LitElement, html, nothing, svg } from 'lit';
import { property, state } from 'lit/decorators.js';
import { live } from 'lit/directives/live.js';
import { consume } from '@lit/context';
import type { CallParticipant, CallTrack, VideoViewHandle } from '../../core/types.js';
import { translatorContext } from '../../controller/call-context.js';
import { english, type Translator } from '../../i18n/index.js';
import { CallPinEvent } from '../../events/call-pin.js';
import { CallTileResizeEvent } from '../../events/call-tile-resize.js';
import { tokens } from '../shared/tokens.js';
import { icons } from '../shared/icons.js';
import { avatarColor, initials, streamFor, toggleState } from '../shared/media.js';
import { styles } from './call-tile.styles.js';

const bars = { excellent: 3, good: 2, poor: 1, lost: 0, unknown: 0 } as const;

/**
 * @summary One participant's video (or screen share), with name, mute, speaking, connection and encryption state.
 * @tag call-tile
 * @since 0.1
 * @status experimental
 *
 * @event {CallPinEvent} call-pin - The user pressed the pin button; `tileKey` names the tile, `pinned` the wish.
 * @event {CallTileResizeEvent} call-tile-resize - The video's aspect ratio changed (`aspectRatio`).
 *
 * @csspart base - The tile's frame.
 * @csspart video - The `<video>` element.
 * @csspart avatar - The placeholder shown when there is no video (camera off, waiting, or undecryptable).
 * @csspart name - The name pill (with the mic-off icon when muted).
 * @csspart muted-badge - The mic-off icon inside the name pill.
 * @csspart quality - The connection-quality indicator.
 * @csspart e2ee-badge - The encryption warning ("Waiting for encryption key", "Cannot decrypt").
 * @csspart pin-button - The pin button.
 * @csspart hand-badge - The raised hand (✋), while their hand is up.
 * @csspart reaction - Their reaction's emoji, for the 3 s it shows.
 *
 * @cssproperty [--matrix-call-tile-background=light-dark(#dfe4ea, #262b32)] - Background behind the avatar.
 * @cssproperty [--matrix-call-speaking=light-dark(#0b6e4f, #3fd69f)] - Colour of the soft speaking glow.
 * @cssproperty [--matrix-call-radius=12px] - Corner radius.
 *
 * @cssstate speaking - The participant is speaking.
 * @cssstate muted - Their microphone is off.
 * @cssstate camera-off - No video is shown (camera off, or no frames yet).
 * @cssstate local - This is the local user.
 * @cssstate screen-share - The tile shows a screen share.
 * @cssstate pinned - The tile is pinned.
 * @cssstate waiting-for-key - Their media cannot be decrypted yet: the key has not arrived.
 * @cssstate key-invalid - Their media cannot be decrypted with the keys we have.
 * @cssstate cannot-encrypt - Their app cannot encrypt, so an encrypted call takes none of their media.
 * @cssstate poor-connection - Their connection is poor or lost.
 * @cssstate hand-raised - Their hand is raised.
 */
export class CallTileElement extends LitElement {
  static override styles = [tokens, styles];

  /** The participant to show. */
  @property({ attribute: false }) participant?: CallParticipant;

  /** Which of the participant's videos: `camera` or `screen-share`. */
  @property() source: 'camera' | 'screen-share' = 'camera';

  /** Whether the tile is pinned (the pin button then unpins). */
  @property({ type: Boolean, reflect: true }) pinned = false;

  /** Shows the pin button. */
  @property({ type: Boolean }) pinnable = false;

  @consume({ context: translatorContext, subscribe: true })
  @state()
  private i18n: Translator = english;

  /**
   * The track whose video has shown frames here. Kept per track, not reset on
   * re-render: a tile moved in the grid keeps its <video>, which fires no new
   * `loadedmetadata`.
   */
  @state() private framesOf: MediaStreamTrack | undefined;

  readonly #internals = this.attachInternals();
  #view: VideoViewHandle | undefined;
  #viewTrack: CallTrack | undefined;
  #intersecting = true;
  #size = { width: 0, height: 0 };
  #ratio = 0;
  #resizeObserver: ResizeObserver | undefined;
  #intersectionObserver: IntersectionObserver | undefined;

  /** The video's last known `videoWidth / videoHeight`, or 0 before any frame. */
  get aspectRatio(): number {
    return this.#ratio;
  }

  /** The track this tile shows, if it should show video. */
  get track(): CallTrack | undefined {
    const p = this.participant;
    if (!p) return undefined;
    return this.source === 'screen-share'
      ? p.screenShareEnabled
        ? p.screenShareTrack
        : undefined
      : p.cameraEnabled
        ? p.cameraTrack
        : undefined;
  }

  constructor() {
    super();
    this.addController({
      hostConnected: () => {
        this.#observe();
        this.requestUpdate(); // register the view again (released on disconnect)
      },
      hostDisconnected: () => {
        this.#resizeObserver?.disconnect();
        this.#intersectionObserver?.disconnect();
        document.removeEventListener('visibilitychange', this.#reportView);
        this.#releaseView();
      },
    });
  }

  #observe(): void {
    this.#resizeObserver = new ResizeObserver(([entry]) => {
      if (!entry) return;
      this.#size = { width: entry.contentRect.width, height: entry.contentRect.height };
      this.#reportView();
    });
    this.#resizeObserver.observe(this);
    this.#intersectionObserver = new IntersectionObserver(([entry]) => {
      if (!entry) return;
      this.#intersecting = entry.isIntersecting;
      this.#reportView();
    });
    this.#intersectionObserver.observe(this);
    document.addEventListener('visibilitychange', this.#reportView);
  }

  protected override willUpdate(): void {
    const p = this.participant;
    const screen = this.source === 'screen-share';
    const states: Record<string, boolean> = {
      speaking: !screen && !!p?.speaking,
      muted: !screen && p?.microphoneEnabled === false,
      'camera-off': !this.#hasFrames,
      local: !!p?.isLocal,
      'screen-share': screen,
      pinned: this.pinned,
      'waiting-for-key': p?.encryption === 'waiting-for-key',
      'key-invalid': p?.encryption === 'key-invalid',
      'cannot-encrypt': p?.encryption === 'unsupported',
      'poor-connection': p?.connectionQuality === 'poor' || p?.connectionQuality === 'lost',
      'hand-raised': !screen && p?.handRaisedAt !== undefined,
    };
    for (const [name, on] of Object.entries(states)) toggleState(this.#internals, name, on);
  }

  protected override updated(): void {
    const track = this.track;
    if (track !== this.#viewTrack) {
      this.#releaseView();
      if (track && track.kind === 'video') {
        this.#viewTrack = track;
        this.#view = track.observeView(this.#viewport());
      }
    }
  }

  #viewport() {
    return {
      visible: this.#intersecting && document.visibilityState !== 'hidden',
      width: Math.round(this.#size.width),
      height: Math.round(this.#size.height),
    };
  }

  readonly #reportView = () => {
    this.#view?.update(this.#viewport());
  };

  #releaseView(): void {
    this.#view?.release();
    this.#view = undefined;
    this.#viewTrack = undefined;
  }

  readonly #onVideoResize = (event: Event): void => {
    const video = event.target as HTMLVideoElement;
    if (!video.videoWidth || !video.videoHeight) return;
    this.framesOf = this.track?.mediaStreamTrack;
    const ratio = video.videoWidth / video.videoHeight;
    if (Math.abs(ratio - this.#ratio) < 0.01) return;
    this.#ratio = ratio;
    this.dispatchEvent(new CallTileResizeEvent(ratio));
  };

  get #hasFrames(): boolean {
    return !!this.track && this.framesOf === this.track.mediaStreamTrack;
  }

  private get tileKey(): string {
    const id = this.participant?.id ?? '';
    return this.source === 'screen-share' ? `${id}:screen` : id;
  }

  readonly #onPin = (): void => {
    this.dispatchEvent(new CallPinEvent(this.tileKey, !this.pinned));
  };

  override render() {
    const p = this.participant;
    if (!p) return html`<div part="base" class="base"></div>`;
    const t = this.i18n;
    const screen = this.source === 'screen-share';
    const track = this.track;
    const name = p.isLocal ? t.t('youName', { name: p.displayName }) : p.displayName;
    const label = screen ? t.t('screenOf', { name }) : name;
    const e2ee = p.encryption;
    const decryptable =
      e2ee !== 'waiting-for-key' && e2ee !== 'key-invalid' && e2ee !== 'unsupported';
    const showVideo = this.#hasFrames && (p.isLocal || decryptable);
    const quality = p.connectionQuality;
    const lit = bars[quality];
    return html`
      <div part="base" class="base" role="group" aria-label=${label}>
        ${
          track
            ? html`<video
                part="video"
                class=${[
                  screen ? 'contain' : '',
                  p.isLocal && !screen ? 'mirror' : '',
                  showVideo ? '' : 'waiting',
                ].join(' ')}
                autoplay
                playsinline
                muted
                .srcObject=${live(streamFor(track.mediaStreamTrack))}
                @resize=${this.#onVideoResize}
                @loadedmetadata=${this.#onVideoResize}
              ></video>`
            : nothing
        }
        ${
          showVideo
            ? nothing
            : html`<div part="avatar" class="avatar">
                ${
                  p.avatarUrl
                    ? html`<img src=${p.avatarUrl} alt="" />`
                    : html`<span style="background:${avatarColor(p.userId)}" aria-hidden="true"
                        >${initials(p.displayName)}</span
                      >`
                }
              </div>`
        }
        ${
          !p.isLocal && !decryptable
            ? html`<span part="e2ee-badge" class="pill e2ee" role="status"
                >${e2ee === 'waiting-for-key' ? icons.lock : icons.warning}${t.t(
                  e2ee === 'key-invalid'
                    ? 'cannotDecrypt'
                    : e2ee === 'unsupported'
                      ? 'cannotEncrypt'
                      : 'waitingForKey',
                )}</span
              >`
            : nothing
        }
        ${
          screen || !p.reaction
            ? nothing
            : html`<span part="reaction" class="reaction" role="img" aria-label=${p.reaction.emoji}
                >${p.reaction.emoji}</span
              >`
        }
        <div class="overlay">
          ${
            screen || p.handRaisedAt === undefined
              ? nothing
              : html`<span part="hand-badge" class="pill" role="img" aria-label=${t.t('handRaised')}
                  >✋</span
                >`
          }
          <span part="name" class="pill">
            ${
              !screen && !p.microphoneEnabled
                ? html`<span part="muted-badge" role="img" aria-label=${t.t('micMuted')}
                    >${icons.micOff}</span
                  >`
                : nothing
            }
            <span class="name">${screen ? label : name}</span>
          </span>
          ${
            p.isLocal || screen
              ? nothing
              : html`<span
                  part="quality"
                  class="pill quality"
                  role="img"
                  aria-label=${t.t(`quality-${quality}`)}
                  title=${t.t(`quality-${quality}`)}
                  ><svg viewBox="0 0 14 12" width="14" height="12" aria-hidden="true">
                    ${[0, 1, 2].map(
                      (i) =>
                        svg`<rect x=${i * 5} y=${8 - i * 4} width="3" height=${4 + i * 4} rx="1" class=${i < lit ? 'on' : ''}/>`,
                    )}
                  </svg></span
                >`
          }
        </div>
        ${
          this.pinnable
            ? html`<button
                part="pin-button"
                class="pin"
                aria-pressed=${this.pinned ? 'true' : 'false'}
                aria-label=${t.t('pin', { name: label })}
                @click=${this.#onPin}
              >
                ${icons.pin}
              </button>`
            : nothing
        }
      </div>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'call-tile': CallTileElement;
  }
}
