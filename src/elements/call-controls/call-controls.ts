import { html, nothing } from 'lit';
import { property, state } from 'lit/decorators.js';
import { CallErrorEvent } from '../../events/call-error.js';
import { CallPartElement } from '../shared/call-part-element.js';
import { tokens } from '../shared/tokens.js';
import { icons } from '../shared/icons.js';
import { isTyping, toggleState } from '../shared/media.js';
import { devicePickers } from '../shared/devices.js';
import { styles } from './call-controls.styles.js';

const interactive = 'button, a, input, select, textarea, summary, [role], [contenteditable]';

/**
 * @summary The call's buttons: microphone, camera, screen share, device menus and leave, with keyboard shortcuts.
 * @tag call-controls
 * @since 0.1
 * @status experimental
 *
 * Shortcuts (unless `no-shortcuts` is set, and never while typing in a text field):
 * `M` toggles the microphone, `V` the camera, `H` raises or lowers the hand, and holding
 * `Space` talks while muted.
 *
 * @slot - Extra controls, placed before the leave button.
 *
 * @event {CallErrorEvent} call-error - A control's command failed (inside `<matrix-call>`, the element reports it once).
 *
 * @csspart base - The row of controls.
 * @csspart button - Every round control button.
 * @csspart microphone-button - The microphone toggle.
 * @csspart camera-button - The camera toggle.
 * @csspart screen-share-button - The screen share toggle.
 * @csspart device-button - The small buttons that open the device panel.
 * @csspart device-menu - The device panel (microphone, camera and speaker pickers).
 * @csspart reactions-button - The button that opens the reactions menu.
 * @csspart reactions-menu - The reactions menu (loaded on first use).
 * @csspart raise-hand-button - The raise/lower hand item in the reactions menu.
 * @csspart reaction-button - Each reaction in the reactions menu.
 * @csspart leave-button - The leave button.
 *
 * @cssproperty [--matrix-call-control-background=light-dark(#e3e7ec, #2c3138)] - Background of a control that is on.
 * @cssproperty [--matrix-call-control-off-background=light-dark(#16191d, #eef1f4)] - Background of a control that is off (muted).
 * @cssproperty [--matrix-call-control-off-text=light-dark(#ffffff, #16191d)] - Icon colour of a control that is off.
 * @cssproperty [--matrix-call-danger=light-dark(#c11f1f, #ff8a80)] - Background of the leave button.
 * @cssproperty [--matrix-call-on-danger=light-dark(#ffffff, #3b0404)] - Text on the leave button.
 *
 * @cssstate push-to-talk - Space is held down and the microphone is on because of it.
 */
export class CallControlsElement extends CallPartElement {
  static override styles = [tokens, styles];

  /** Turns off the keyboard shortcuts (M, V, hold Space). */
  @property({ type: Boolean, attribute: 'no-shortcuts' }) noShortcuts = false;

  @state() private pushToTalk = false;
  @state() private menu: typeof import('./reactions-menu.js') | undefined;

  readonly #call = this.followCall((error) => this.dispatchEvent(new CallErrorEvent(error)));
  readonly #internals = this.attachInternals();

  constructor() {
    super();
    this.addController({
      hostConnected: () => {
        window.addEventListener('keydown', this.#onKeyDown);
        window.addEventListener('keyup', this.#onKeyUp);
        window.addEventListener('blur', this.#endPushToTalk);
      },
      hostDisconnected: () => {
        window.removeEventListener('keydown', this.#onKeyDown);
        window.removeEventListener('keyup', this.#onKeyUp);
        window.removeEventListener('blur', this.#endPushToTalk);
        this.#endPushToTalk();
      },
    });
  }

  /** Turns the microphone on or off (toggles without an argument). */
  toggleMicrophone(on?: boolean): Promise<void> {
    return this.#call.setMicrophoneEnabled(on ?? !this.#call.snapshot?.local.microphoneEnabled);
  }

  /** Turns the camera on or off (toggles without an argument). */
  toggleCamera(on?: boolean): Promise<void> {
    return this.#call.setCameraEnabled(on ?? !this.#call.snapshot?.local.cameraEnabled);
  }

  /** Starts or stops sharing the screen (toggles without an argument). */
  toggleScreenShare(on?: boolean): Promise<void> {
    return this.#call.setScreenShareEnabled(on ?? !this.#call.snapshot?.local.screenShareEnabled);
  }

  /** Raises or lowers our hand (toggles without an argument). */
  toggleHand(raised?: boolean): Promise<void> {
    return this.#call.setHandRaised(raised ?? this.#ownHandRaised === undefined);
  }

  get #ownHandRaised(): number | undefined {
    return this.#call.snapshot?.participants.find((p) => p.isLocal)?.handRaisedAt;
  }

  readonly #onKeyDown = (event: KeyboardEvent) => {
    if (this.noShortcuts || !this.#call.snapshot || event.defaultPrevented) return;
    if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event)) return;
    const key = event.key.toLowerCase();
    if (key === 'm' && !event.repeat) void this.toggleMicrophone();
    else if (key === 'v' && !event.repeat) void this.toggleCamera();
    else if (key === 'h' && !event.repeat) void this.toggleHand();
    else if (key === ' ') {
      const target = event.composedPath()[0];
      if (target instanceof Element && target.closest(interactive)) return;
      event.preventDefault(); // no page scroll while talking
      if (event.repeat || this.pushToTalk || this.#call.snapshot.local.microphoneEnabled) return;
      this.pushToTalk = true;
      toggleState(this.#internals, 'push-to-talk', true);
      void this.#call.setMicrophoneEnabled(true);
    }
  };

  readonly #onKeyUp = (event: KeyboardEvent) => {
    if (event.key === ' ') this.#endPushToTalk();
  };

  readonly #endPushToTalk = () => {
    if (!this.pushToTalk) return;
    this.pushToTalk = false;
    toggleState(this.#internals, 'push-to-talk', false);
    void this.#call.setMicrophoneEnabled(false);
  };

  readonly #onPanelToggle = (event: Event): void => {
    const panel = event.target as HTMLElement;
    if ((event as ToggleEvent).newState !== 'open') return;
    const button = this.renderRoot.querySelector<HTMLElement>(`[data-kind="${this.#panelKind}"]`);
    placeAbove(panel, this.#panelButton);
    button?.focus();
  };

  #panelKind = 'audioinput';
  #panelButton: HTMLElement | undefined;

  readonly #onMoreClick = (event: Event): void => {
    this.#panelButton = event.currentTarget as HTMLElement;
    this.#panelKind = this.#panelButton.dataset['for'] ?? 'audioinput';
  };

  readonly #onMenuToggle = (event: Event): void => {
    const menu = event.target as HTMLElement;
    const button = this.renderRoot.querySelector<HTMLElement>('.react');
    if ((event as ToggleEvent).newState === 'open') {
      placeAbove(menu, button);
      menu.querySelector<HTMLElement>('.item')?.focus();
    } else if (menu.matches(':focus-within') || document.activeElement === document.body)
      button?.focus();
  };

  #closeMenu(): void {
    this.renderRoot.querySelector<HTMLElement>('#reactions')?.hidePopover();
  }

  protected override firstUpdated(): void {
    // Needed in the call only: its chunk loads once the controls show.
    void import('./reactions-menu.js').then((menu) => (this.menu = menu));
  }

  protected override updated(): void {
    // Wire each menu button to its popover (the attribute form is newer than the lint's HTML data).
    const panel = this.renderRoot.querySelector<HTMLElement>('#devices');
    for (const button of this.renderRoot.querySelectorAll<HTMLButtonElement>('.more'))
      button.popoverTargetElement = panel;
    const react = this.renderRoot.querySelector<HTMLButtonElement>('.react');
    if (react)
      react.popoverTargetElement = this.renderRoot.querySelector<HTMLElement>('#reactions');
  }

  override render() {
    const snapshot = this.#call.snapshot;
    if (!snapshot) return nothing;
    const t = this.i18n;
    const { local } = snapshot;
    const mic = local.microphoneEnabled;
    const cam = local.cameraEnabled;
    const share = local.screenShareEnabled;
    const hand = this.#ownHandRaised;
    const menu = this.menu;
    return html`
      <div part="base" class="base" role="group" aria-label=${t.t('controls')}>
        <div class="split">
          <button
            part="button microphone-button"
            class="control mute"
            aria-label=${t.t('microphone')}
            aria-pressed=${mic ? 'true' : 'false'}
            aria-describedby="mic-tip"
            @click=${() => this.toggleMicrophone()}
          >
            ${mic ? icons.mic : icons.micOff}
            <span class="tip" id="mic-tip"
              >${t.t(mic ? 'turnMicOff' : 'turnMicOn')}
              (M)${mic ? nothing : html`<br />${t.t('pushToTalk')}`}</span
            >
          </button>
          <button
            part="button device-button"
            class="control more"
            aria-label=${t.t('chooseMicrophone')}
            data-for="audioinput"
            @click=${this.#onMoreClick}
          >
            ${icons.chevronUp}
          </button>
        </div>
        <div class="split">
          <button
            part="button camera-button"
            class="control mute"
            aria-label=${t.t('camera')}
            aria-pressed=${cam ? 'true' : 'false'}
            aria-describedby="cam-tip"
            @click=${() => this.toggleCamera()}
          >
            ${cam ? icons.camera : icons.cameraOff}
            <span class="tip" id="cam-tip">${t.t(cam ? 'turnCameraOff' : 'turnCameraOn')} (V)</span>
          </button>
          <button
            part="button device-button"
            class="control more"
            aria-label=${t.t('chooseCamera')}
            data-for="videoinput"
            @click=${this.#onMoreClick}
          >
            ${icons.chevronUp}
          </button>
        </div>
        ${
          local.canShareScreen
            ? html`<button
                part="button screen-share-button"
                class="control share"
                aria-label=${t.t('shareScreen')}
                aria-pressed=${share ? 'true' : 'false'}
                aria-describedby="share-tip"
                @click=${() => this.toggleScreenShare()}
              >
                ${icons.screen}
                <span class="tip" id="share-tip"
                  >${t.t(share ? 'stopSharing' : 'shareScreen')}</span
                >
              </button>`
            : nothing
        }
        <button
          part="button reactions-button"
          class="control react"
          aria-label=${t.t('reactions')}
          aria-haspopup="menu"
        >
          <span aria-hidden="true">${hand === undefined ? '🙂' : '✋'}</span>
        </button>
        <slot></slot>
        <button part="button leave-button" class="control leave" @click=${() => this.#call.leave()}>
          ${icons.leave}<span>${t.t('leave')}</span>
        </button>
      </div>
      <div
        id="devices"
        part="device-menu"
        class="panel"
        role="group"
        aria-label=${t.t('settings')}
        .popover=${'auto'}
        @toggle=${this.#onPanelToggle}
      >
        ${devicePickers(t, snapshot, (kind, id) => {
          void this.#call.selectDevice(kind, id);
        })}
      </div>
      <div
        id="reactions"
        part="reactions-menu"
        class="panel menu"
        role="menu"
        aria-label=${t.t('reactions')}
        .popover=${'auto'}
        @toggle=${this.#onMenuToggle}
        @keydown=${(e: KeyboardEvent) => menu?.onMenuKeyDown(e.currentTarget as HTMLElement, e)}
      >
        ${menu?.reactionsMenu(t, {
          handRaised: hand !== undefined,
          canReact: !snapshot.participants.find((p) => p.isLocal)?.reaction,
          // Either choice closes the menu, as Element Call's does.
          toggleHand: () => {
            this.#closeMenu();
            void this.toggleHand();
          },
          react: (name) => {
            this.#closeMenu();
            void this.#call.sendReaction(name);
          },
        })}
      </div>
    `;
  }
}

/** Puts a popover just above the button that opened it, inside the window. */
function placeAbove(panel: HTMLElement, button: HTMLElement | null | undefined): void {
  const box = button?.getBoundingClientRect();
  if (!box) return;
  panel.style.left = `${Math.max(8, Math.min(box.left, innerWidth - panel.offsetWidth - 8))}px`;
  panel.style.bottom = `${innerHeight - box.top + 8}px`;
}

declare global {
  interface HTMLElementTagNameMap {
    'call-controls': CallControlsElement;
  }
}
