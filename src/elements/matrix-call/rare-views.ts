/**
 * What most visits of `<matrix-call>` never show: the sign-in, error and "you left"
 * screens and the banners above the lobby. They load on first use, as a chunk of their
 * own, with their strings, which keeps the entry small.
 */
import { html, nothing, type TemplateResult } from 'lit';
import type { MatrixCallError } from '../../core/errors.js';
import type { CallSnapshot, IncomingCallNotification } from '../../core/types.js';
import { addFallbackStrings, type Translator } from '../../i18n/index.js';
import { enRare } from '../../i18n/en-rare.js';
import { CallEndedElement } from '../call-ended/call-ended.js';
import { CallFailureElement } from '../call-failure/call-failure.js';
import { CallSignInElement } from '../call-sign-in/call-sign-in.js';
import { icons } from '../shared/icons.js';
import { rich } from '../shared/rich-text.js';

addFallbackStrings(enRare);

/** Registers the screens of this chunk (`<matrix-call>` does when it loads them), skipping defined tags. */
export function defineRareScreens(registry: CustomElementRegistry = customElements): void {
  const screens = {
    'call-sign-in': CallSignInElement,
    'call-failure': CallFailureElement,
    'call-ended': CallEndedElement,
  };
  for (const [tag, ctor] of Object.entries(screens))
    if (!registry.get(tag)) registry.define(tag, ctor);
}

/** Only the ring banner uses these rules, so they come with it. */
const ringStyle = html`<style>
  .banner.ring {
    margin: var(--_gap) var(--_gap) 0;
    border-inline-start-color: var(--_accent);
    box-shadow: 0 2px 8px rgb(0 0 0 / 0.15);
    animation: ring-in 0.25s ease-out;
  }
  .ring .ring-icon {
    display: grid;
    place-items: center;
    width: 36px;
    height: 36px;
    border-radius: 50%;
    background: var(--_accent);
    color: var(--_on-accent);
  }
  /* Movement only: fading would make the text unreadable for a moment. */
  @keyframes ring-in {
    from {
      translate: 0 -8px;
    }
  }
  @media (prefers-reduced-motion: reduce) {
    .banner.ring {
      animation: none;
    }
  }
</style>`;

export interface NoticeBannerOptions {
  t: Translator;
  error: MatrixCallError;
  onClose: () => void;
}

/** A non-fatal error above the lobby or the call, e.g. a camera that failed. */
export function noticeBanner(o: NoticeBannerOptions): TemplateResult {
  const { error } = o;
  return html`<div part="notice" class="banner" role="alert">
    ${icons.warning}
    <p><strong>${o.t.t(`error-${error.reason}`)}.</strong> ${error.message} ${rich(error.hint)}</p>
    <button class="btn" @click=${o.onClose}>OK</button>
  </div>`;
}

export interface RingBannerOptions {
  t: Translator;
  notification: IncomingCallNotification;
  onJoin: () => void;
  onDismiss: () => void;
}

/** "Alice is calling" with Join and Dismiss, above the lobby. */
export function ringBanner(o: RingBannerOptions): TemplateResult {
  const { t, notification: n } = o;
  const name = n.senderName || n.sender;
  return html`${ringStyle}
    <div part="ring" class="banner ring" role="alert">
      <span class="ring-icon" aria-hidden="true"
        >${n.intent === 'audio' ? icons.mic : icons.camera}</span
      >
      <p>
        <strong>${t.t(n.type === 'ring' ? 'incomingCall' : 'callStarted', { name })}</strong>
      </p>
      <button part="ring-join-button" class="btn primary" @click=${o.onJoin}>
        ${t.t('answer')}
      </button>
      <button part="ring-dismiss-button" class="btn" @click=${o.onDismiss}>
        ${t.t('dismiss')}
      </button>
    </div>`;
}

/** A shared-password call where someone's media cannot be decrypted: the passwords differ, most likely. */
export function passwordMismatch(s: CallSnapshot | undefined): boolean {
  return (
    s?.encryption === 'shared-secret' &&
    s.participants.some((p) => !p.isLocal && p.encryption === 'key-invalid')
  );
}

/**
 * Notices above a call under way: the homeserver does not answer (the call
 * goes on), or someone cannot be decrypted with this call's password.
 */
export function callNotices(t: Translator, s: CallSnapshot | undefined): TemplateResult {
  return html`${
    s?.homeserverReachable === false
      ? html`<div part="homeserver-lost" class="banner info" role="status">
          <p>${t.t('homeserver-lost')}</p>
        </div>`
      : nothing
  }${
    passwordMismatch(s)
      ? html`<div part="password-mismatch" class="banner info" role="status">
          <p>${t.t('password-mismatch')}</p>
        </div>`
      : nothing
  }`;
}
