/**
 * The views of `<matrix-call>` that most visits never show: sign-in, the error view, the
 * "you left" view and the incoming-call banner. They load on first use (a chunk of their
 * own), which keeps the entry small.
 */
import { html, nothing, type TemplateResult } from 'lit';
import type { MatrixCallError } from '../../core/errors.js';
import type { IncomingCallNotification } from '../../core/types.js';
import { addFallbackStrings, type Translator } from '../../i18n/index.js';
import { enRare } from '../../i18n/en-rare.js';
import { icons } from '../shared/icons.js';

addFallbackStrings(enRare);

/** Only these views use these rules, so they come with them. */
const style = html`<style>
  .error {
    padding: 10px 12px;
    border-radius: 8px;
    border-inline-start: 4px solid var(--_danger);
    background: var(--_bg);
  }
  .actions {
    display: flex;
    flex-wrap: wrap;
    gap: var(--_gap);
  }
  .audience {
    font-size: 13px;
    font-weight: 700;
    text-transform: uppercase;
    color: var(--_muted);
  }
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
  @keyframes ring-in {
    from {
      translate: 0 -8px;
      opacity: 0;
    }
  }
  @media (prefers-reduced-motion: reduce) {
    .banner.ring {
      animation: none;
    }
  }
</style>`;

/** Hints quote settings in `backticks`: show those as code. */
export const rich = (text = '') =>
  text.split('`').map((part, i) => (i % 2 ? html`<code>${part}</code>` : part));

export interface SignInFields {
  homeserver: string;
  username: string;
  password: string;
  room: string;
}

export interface SignInViewOptions {
  t: Translator;
  /** Ask for homeserver, username and password (else only the room). */
  needsAccount: boolean;
  /** Ask for the room. */
  needsRoom: boolean;
  homeserver: string;
  username: string;
  room: string;
  error: MatrixCallError | undefined;
  onSubmit: (fields: SignInFields) => void;
}

export function signInView(o: SignInViewOptions): TemplateResult {
  const { t } = o;
  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    const data = new FormData(event.target as HTMLFormElement);
    const field = (name: string, trim = true) => {
      const value = data.get(name);
      return typeof value === 'string' ? (trim ? value.trim() : value) : '';
    };
    o.onSubmit({
      homeserver: field('homeserver'),
      username: field('username'),
      password: field('password', false),
      room: field('room'),
    });
  };
  return html`${style}
    <div class="center">
      <form part="card sign-in" class="card" @submit=${submit}>
        <h2>${t.t('signInTitle')}</h2>
        ${
          o.error
            ? html`<p class="error" role="alert">${o.error.message} ${rich(o.error.hint)}</p>`
            : nothing
        }
        ${
          o.needsAccount
            ? html`<label
                  >${t.t('homeserver')}
                  <input
                    name="homeserver"
                    type="url"
                    required
                    autocomplete="url"
                    placeholder="https://matrix.example.org"
                    .value=${o.homeserver}
                /></label>
                <label
                  >${t.t('username')}
                  <input name="username" required autocomplete="username" .value=${o.username}
                /></label>
                <label
                  >${t.t('accountPassword')}
                  <input name="password" type="password" required autocomplete="current-password"
                /></label>`
            : nothing
        }
        ${
          o.needsRoom
            ? html`<label
                >${t.t('roomAddress')}
                <input name="room" required placeholder="#room:example.org" .value=${o.room}
              /></label>`
            : nothing
        }
        <button class="btn primary" type="submit">${t.t('signIn')}</button>
      </form>
    </div>`;
}

export interface FailedViewOptions {
  t: Translator;
  error: MatrixCallError | undefined;
  copyStatus: string;
  onRetry: () => void;
  /** The diagnostics to copy (redacted JSON). */
  diagnostics: () => string;
  onCopied: (status: string) => void;
}

export function failedView(o: FailedViewOptions): TemplateResult {
  const { t, error } = o;
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(o.diagnostics());
      o.onCopied(t.t('copied'));
    } catch {
      o.onCopied(t.t('copyFailed'));
    }
  };
  return html`${style}
    <div class="center">
      <div part="card error" class="card" role="alert">
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
            @click=${o.onRetry}
          >
            ${t.t('retry')}
          </button>
          <button part="diagnostics-button" class="btn" @click=${copy}>
            ${t.t('copyDiagnostics')}
          </button>
        </div>
        <p class="muted" role="status">${o.copyStatus}</p>
      </div>
    </div>`;
}

export interface EndedViewOptions {
  t: Translator;
  onRejoin: () => void;
  onBack: () => void;
}

export function endedView(o: EndedViewOptions): TemplateResult {
  const { t } = o;
  return html`${style}
    <div class="center">
      <div part="card" class="card">
        <h2>${t.t('callEnded')}</h2>
        <div class="actions">
          <button class="btn primary" @click=${o.onRejoin}>${t.t('rejoin')}</button>
          <button class="btn" @click=${o.onBack}>${t.t('backToLobby')}</button>
        </div>
      </div>
    </div>`;
}

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
  return html`${style}
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
