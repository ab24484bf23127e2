import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { property, state } from 'lit/decorators.js';
import { provide } from '@lit/context';
import type { MatrixCallError } from '../../core/errors.js';
import type {
  CallSessionApi,
  CallSessionOptions,
  CallSnapshot,
  DeviceKind,
  MatrixCredentials,
  MediaStats,
  PasswordLogin,
  SessionSource,
} from '../../core/types.js';
import { CallController, loadAndCreateSession } from '../../controller/call-controller.js';
import { callSessionContext, translatorContext } from '../../controller/call-context.js';
import { TranslatorController } from '../../controller/translator-controller.js';
import { Translator, type CallStringKey, type CallStrings } from '../../i18n/index.js';
import { CallErrorEvent } from '../../events/call-error.js';
import { CallRequestJoinEvent } from '../../events/call-request-join.js';
import type { CallRequestSignInEvent } from '../../events/call-request-sign-in.js';
import { CallAudioElement } from '../call-audio/call-audio.js';
import { CallControlsElement } from '../call-controls/call-controls.js';
import { CallGridElement } from '../call-grid/call-grid.js';
import { CallHeaderElement } from '../call-header/call-header.js';
import { CallLobbyElement } from '../call-lobby/call-lobby.js';
import { CallTileElement } from '../call-tile/call-tile.js';
import { tokens } from '../shared/tokens.js';
import { screen } from '../shared/screen.js';
import { toggleState } from '../shared/media.js';
import { callChanges, inCallPhases } from './call-changes.js';
import { matrixCallViews, viewOf, type MatrixCallView } from './call-views.js';
import { loadRareViews, RareViewsController } from './lazy-views.js';
import { PhaseLabelController } from './phase-label.js';
import { controlsParts, gridParts, headerParts, lobbyParts } from './matrix-call.parts.js';
import { sessionInputNames, sessionOptions, sessionSource } from './session-options.js';
import { styles } from './matrix-call.styles.js';

/** matrix-js-sdk's `MatrixClient`, named through the core so elements never import the SDK. */
type MatrixClient = Extract<SessionSource, { kind: 'client' }>['client'];

/** `start` or `join`, with `audio` (camera off) or `video`. */
export type MatrixCallIntent = 'start-video' | 'start-audio' | 'join-video' | 'join-audio';

/**
 * @summary A complete end-to-end-encrypted group call for one Matrix room: sign-in, lobby, call and errors.
 * @tag matrix-call
 * @since 0.1
 * @status experimental
 * @dependency call-lobby
 * @dependency call-header
 * @dependency call-grid
 * @dependency call-tile
 * @dependency call-controls
 * @dependency call-audio
 *
 * It composes `<call-lobby>`, `<call-header>`, `<call-grid>`, `<call-controls>` and
 * `<call-audio>`, and runs the flow between the screens. Give it a room and a way to reach Matrix: a `client`, `credentials`, an
 * `accessToken` with `homeserver`, `user-id` and `device-id`, or nothing, and
 * it asks the user to sign in. Tokens are properties only, never attributes:
 * attributes are part of the DOM, where other scripts, browser extensions,
 * devtools and anything that serializes the page (`outerHTML`, error
 * reporters, session recorders) can read them.
 *
 * @slot header - Extra content at the start of the in-call header, e.g. a logo.
 * @slot controls - Extra controls, placed before the leave button.
 * @slot empty - Shown while you are alone in the call.
 *
 * @event {CallJoinedEvent} call-joined - You are in the call.
 * @event {CallLeftEvent} call-left - You left the call; `reason` is `user` or `error`.
 * @event {CallErrorEvent} call-error - Something failed; `error` is a `MatrixCallError` with `reason`, `hint` and `audience`.
 * @event {CallParticipantJoinedEvent} call-participant-joined - Someone joined while you are in the call (also fired for those already there when you join).
 * @event {CallParticipantLeftEvent} call-participant-left - Someone left the call.
 * @event {CallStateChangedEvent} call-state-changed - The call's phase changed (`phase`, `previous`).
 * @event {CallMediaChangedEvent} call-media-changed - Your microphone, camera or screen share turned on or off.
 *
 * @csspart base - The wrapper of every view.
 * @csspart card - The card of the sign-in, starting, connecting, error and ended views.
 * @csspart sign-in - The sign-in form.
 * @csspart lobby - The lobby (`<call-lobby>`'s `base`).
 * @csspart preview - The lobby's camera preview.
 * @csspart level - The lobby's microphone level meter.
 * @csspart join-button - The lobby's join button.
 * @csspart header - The in-call header (`<call-header>`'s `base`).
 * @csspart room-name - The room name in the header.
 * @csspart participant-count - The participant count in the header.
 * @csspart e2ee-lock - The encryption indicator in the header.
 * @csspart grid - The `<call-grid>`; its parts are exported as `grid__base`, `tile`, `pip`, `spotlight`, `filmstrip`, `pagination`, `empty` and `tile__*`.
 * @csspart controls - The `<call-controls>`; its parts are exported as `controls__*` (e.g. `controls__button`, `controls__leave-button`).
 * @csspart error - The error view's card.
 * @csspart retry-button - The error view's retry button.
 * @csspart diagnostics-button - The error view's "copy diagnostics" button.
 * @csspart notice - A non-fatal error shown above the lobby or the call.
 * @csspart homeserver-lost - The notice, in the call, that the homeserver does not answer (the call goes on).
 * @csspart password-mismatch - The notice that others' media cannot be decrypted with this call's password.
 * @csspart enable-audio-button - The "click to hear the call" button, while the browser blocks autoplay.
 * @csspart ring - The incoming-call banner above the lobby ("Alice is calling", from the room's ring or notification).
 * @csspart ring-join-button - The banner's join button.
 * @csspart ring-dismiss-button - The banner's dismiss button.
 *
 * @cssproperty [--matrix-call-font=system-ui, sans-serif] - Font family.
 * @cssproperty [--matrix-call-background=light-dark(#f3f5f8, #101317)] - Background of the whole element.
 * @cssproperty [--matrix-call-surface=light-dark(#ffffff, #1b1f24)] - Background of cards and menus.
 * @cssproperty [--matrix-call-tile-background=light-dark(#dfe4ea, #262b32)] - Background of tiles without video.
 * @cssproperty [--matrix-call-text=light-dark(#16191d, #eef1f4)] - Text colour.
 * @cssproperty [--matrix-call-text-secondary=light-dark(#545d69, #a8b1bc)] - Secondary text colour.
 * @cssproperty [--matrix-call-border=light-dark(#c9d0d8, #3a4049)] - Borders of fields and cards.
 * @cssproperty [--matrix-call-accent=light-dark(#0b6e4f, #3fd69f)] - Primary buttons, the level meter, focus accents.
 * @cssproperty [--matrix-call-on-accent=light-dark(#ffffff, #06261b)] - Text on the accent colour.
 * @cssproperty [--matrix-call-danger=light-dark(#c11f1f, #ff8a80)] - Leave button and error accents.
 * @cssproperty [--matrix-call-on-danger=light-dark(#ffffff, #3b0404)] - Text on the danger colour.
 * @cssproperty [--matrix-call-control-background=light-dark(#e3e7ec, #2c3138)] - Control buttons that are on.
 * @cssproperty [--matrix-call-control-off-background=light-dark(#16191d, #eef1f4)] - Control buttons that are off.
 * @cssproperty [--matrix-call-control-off-text=light-dark(#ffffff, #16191d)] - Icons on controls that are off.
 * @cssproperty [--matrix-call-speaking=light-dark(#0b6e4f, #3fd69f)] - The speaking glow.
 * @cssproperty [--matrix-call-focus-ring=light-dark(#0a58ca, #8ab4ff)] - The keyboard focus ring.
 * @cssproperty [--matrix-call-radius=12px] - Corner radius of the element, cards and tiles.
 * @cssproperty [--matrix-call-spacing=8px] - The base gap between things.
 *
 * @cssstate sign-in - The sign-in form is shown.
 * @cssstate starting - Signing in and finding the room.
 * @cssstate lobby - The lobby is shown.
 * @cssstate connecting - Joining (or leaving) the call.
 * @cssstate in-call - In the call.
 * @cssstate failed - The error view is shown.
 * @cssstate ended - The "you left the call" view is shown.
 */
export class MatrixCallElement extends LitElement {
  static override styles = [tokens, screen, styles];

  /** The elements this one renders, by tag; `defineElements()` registers them together. */
  static readonly dependencies: Readonly<Record<string, CustomElementConstructor>> = {
    'call-lobby': CallLobbyElement,
    'call-header': CallHeaderElement,
    'call-grid': CallGridElement,
    'call-tile': CallTileElement,
    'call-controls': CallControlsElement,
    'call-audio': CallAudioElement,
  };

  /** Client-server API base URL of the homeserver, e.g. `https://matrix.example.org`. */
  @property() homeserver = '';

  /** Room ID (`!…`) or alias (`#…`) of the call's room. */
  @property({ reflect: true }) room = '';

  /** Matrix user ID, used with `accessToken`. */
  @property({ attribute: 'user-id' }) userId = '';

  /** Matrix device ID, used with `accessToken`. */
  @property({ attribute: 'device-id' }) deviceId = '';

  /**
   * Shared-secret E2EE: everyone who joins with the same password can decrypt
   * the call (Element Call's `password`). Not an account password. Without
   * it, calls in encrypted rooms use per-participant keys.
   */
  @property() password = '';

  /** `start-video`, `start-audio`, `join-video` or `join-audio`. Audio starts with the camera off; `join` never rings. */
  @property() intent: MatrixCallIntent = 'start-video';

  /** Joins as soon as the room is found, without the lobby. */
  @property({ type: Boolean, attribute: 'skip-lobby' }) skipLobby = false;

  /** After leaving, shows the lobby instead of the "you left" view. */
  @property({ type: Boolean, attribute: 'return-to-lobby' }) returnToLobby = false;

  /** Turns off the keyboard shortcuts (M, V, hold Space). */
  @property({ type: Boolean, attribute: 'no-shortcuts' }) noShortcuts = false;

  /** Colour theme: `light`, `dark`, or `auto` (follows `prefers-color-scheme`). */
  @property({ reflect: true }) theme: 'light' | 'dark' | 'auto' = 'auto';

  /** Language of the interface (`en`, `de`); defaults to the nearest `lang` in the page. */
  @property() override lang = '';

  /** URL of the MatrixRTC auth service (lk-jwt-service) to use instead of the one the homeserver advertises. */
  @property({ attribute: 'livekit-service-url' }) livekitServiceUrl = '';

  /**
   * When a `start-*` intent starts a call nobody is in yet: ring (`ring`) or notify
   * (`notification`) the room's members, or send nothing (`none`). By default, as Element Web
   * starts Element Call: a ring in a direct chat, a notification in other rooms.
   */
  @property() notify: '' | 'ring' | 'notification' | 'none' = '';

  /** A started `MatrixClient` (with Rust crypto) to use. */
  @property({ attribute: false }) client?: MatrixClient;

  /** Credentials of an existing Matrix device. Property only: never put a token in an attribute. */
  @property({ attribute: false }) credentials?: MatrixCredentials;

  /** An access token, used with `homeserver`, `user-id` and `device-id`. Property only. */
  @property({ attribute: false }) accessToken = '';

  /** Replacements for single interface strings, by key (see `src/i18n/en.ts`). */
  @property({ attribute: false }) strings: Partial<CallStrings> = {};

  /** A call session to show instead of creating one; the element never disposes it. */
  @property({ attribute: false }) session?: CallSessionApi;

  /** Where the LiveKit E2EE worker is served, if not next to the code (for a strict CSP). */
  @property({ attribute: false }) e2eeWorkerUrl?: string | URL;

  @provide({ context: translatorContext })
  @state()
  private i18n = new Translator();

  @provide({ context: callSessionContext })
  @state()
  private providedSession?: CallSessionApi;

  @state() private login?: PasswordLogin;
  @state() private formRoom = '';
  @state() private ended = false;
  @state() private notice?: MatrixCallError;
  @state() private announcement = '';
  @state() private dismissedRing = '';

  readonly #call = new CallController(this, {
    session: () => this.session,
    create: (options) => MatrixCallElement.createSession(options),
    autoStart: true,
    onSnapshot: (snapshot, previous) => {
      this.#onSnapshot(snapshot, previous);
    },
    onError: (error) => {
      this.#report(error);
    },
  });
  readonly #internals = this.attachInternals();
  readonly #reported = new WeakSet<MatrixCallError>();
  readonly #autoJoined = new WeakSet<CallSessionApi>();
  #inCall = false;
  readonly #phaseLabel = new PhaseLabelController(this);
  readonly #rare = new RareViewsController(this);
  #ringTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #language = new TranslatorController(this, {
    lang: () => this.lang,
    strings: () => this.strings,
    onChange: (translator) => (this.i18n = translator),
  });

  /**
   * Creates the call sessions of every `<matrix-call>`. The default loads the
   * engine on first use; replace it to wrap the core or to stand in for it in tests.
   */
  static createSession: (options: CallSessionOptions) => Promise<CallSessionApi> =
    loadAndCreateSession;

  /** Loads the call engine ahead of time, e.g. when the user hovers a "call" button. */
  static async preload(): Promise<void> {
    await (await import('../../core/load.js')).loadCallEngine();
  }

  /** The view on screen. */
  get view(): MatrixCallView {
    const c = this.#call;
    return viewOf({
      snapshot: c.snapshot,
      creating: c.creating,
      error: c.error,
      signedInWithForm: !!this.login,
      ended: this.ended,
      returnToLobby: this.returnToLobby,
      joinsWithoutLobby: this.skipLobby && !!c.session && !this.#autoJoined.has(c.session),
    });
  }

  /** The current call state, or `undefined` before there is a session. */
  get snapshot(): CallSnapshot | undefined {
    return this.#call.snapshot;
  }

  /**
   * Joins the call, with the name typed in the lobby. Failures show in the element and
   * fire `call-error`; the promise never rejects.
   */
  join(): Promise<void> {
    const lobby = this.renderRoot.querySelector('call-lobby');
    const typed = lobby?.displayName?.trim();
    return this.#joinAs(
      typed && typed !== this.#call.snapshot?.user?.displayName ? typed : undefined,
    );
  }

  #joinAs(displayName: string | undefined): Promise<void> {
    this.ended = false;
    // A refused or missing device stays true in the call: its notice stays.
    if (this.notice !== this.#call.snapshot?.local.problem) this.notice = undefined;
    return this.#call.join(displayName ? { displayName } : {});
  }

  /** Leaves the call (or cancels a join under way). */
  leave(): Promise<void> {
    return this.#call.leave();
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

  /** Picks the microphone (`audioinput`), camera (`videoinput`) or speaker (`audiooutput`). */
  setDevice(kind: DeviceKind, deviceId: string): Promise<void> {
    return this.#call.selectDevice(kind, deviceId);
  }

  /**
   * The redacted diagnostics log of the call as JSON (what "copy diagnostics" copies):
   * what happened, when, and why, without tokens or keys. Attach it to bug reports.
   */
  exportDiagnostics(): string {
    const error = this.#call.error;
    return (
      this.#call.session?.diagnostics.export({ error: error?.toJSON(), view: this.view }) ??
      JSON.stringify({ error: error?.toJSON(), view: this.view }, null, 2)
    );
  }

  /** Receiver statistics of the remote tracks (frames decoded and their size, packets, bytes, audio samples); empty outside a call. */
  getMediaStats(): Promise<MediaStats[]> {
    return this.#call.session?.getMediaStats() ?? Promise.resolve([]);
  }

  constructor() {
    super();
    this.addController({
      hostConnected: () => {
        addEventListener('pagehide', this.#onPageHide);
      },
      hostDisconnected: () => {
        clearTimeout(this.#ringTimer);
        removeEventListener('pagehide', this.#onPageHide);
      },
    });
  }

  /**
   * Closing or reloading the page leaves the call right away, so the others see us go now
   * rather than when the delayed leave event fires (best effort: the page may be gone first).
   */
  readonly #onPageHide = (): void => {
    if (this.#inCall) void this.leave();
  };

  protected override firstUpdated(): void {
    const root = this.renderRoot;
    root.addEventListener('call-error', this.#onChildError);
    // The screens ask; this element runs the flow.
    root.addEventListener('call-request-join', this.#onRequestJoin);
    root.addEventListener('call-request-sign-in', this.#onRequestSignIn);
    root.addEventListener('call-request-retry', this.#onRequest(this.#retry));
    root.addEventListener(
      'call-request-lobby',
      this.#onRequest(() => (this.ended = false)),
    );
    // PageUp and PageDown page the grid from anywhere in the call, the controls too.
    root.addEventListener('keydown', (event) => {
      const grid = root.querySelector('call-grid');
      const { key } = event as KeyboardEvent;
      const copy = new KeyboardEvent('keydown', { key, cancelable: true });
      if (grid && !event.composedPath().includes(grid) && !grid.dispatchEvent(copy))
        event.preventDefault();
    });
  }

  readonly #onRequest = (run: () => void) => (event: Event) => {
    event.preventDefault();
    event.stopPropagation();
    run();
  };

  readonly #onChildError = (event: Event) => {
    if (!(event instanceof CallErrorEvent)) return;
    const { error } = event;
    // Report each error once, whether a child or the snapshot saw it first.
    if (this.#reported.has(error)) event.stopPropagation();
    else this.#remember(error);
  };

  readonly #onRequestJoin = (event: Event) => {
    if (!(event instanceof CallRequestJoinEvent)) return;
    this.#onRequest(() => void this.#joinAs(event.displayName))(event);
  };

  readonly #onRequestSignIn = (event: Event) => {
    // Its class comes with the sign-in screen's chunk: not needed to read it.
    this.#onRequest(() => {
      this.#signIn((event as Event & Pick<CallRequestSignInEvent, 'fields'>).fields);
    })(event);
  };

  #source(): SessionSource | undefined {
    return sessionSource(this, this.#form());
  }

  #form() {
    return { login: this.login, room: this.formRoom };
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (sessionInputNames.some((name) => (changed as Map<PropertyKey, unknown>).has(name)))
      this.#call.configure(this.session ? undefined : sessionOptions(this, this.#form()));
    if (changed.has('lang') || changed.has('strings')) this.#language.update();
    this.#provideSession();
    const s = this.#call.snapshot;
    this.#phaseLabel.update(this.view === 'connecting' || s?.phase === 'reconnecting', s);
  }

  #provideSession(): void {
    if (this.providedSession !== this.#call.session) this.providedSession = this.#call.session;
  }

  #onSnapshot(s: CallSnapshot, prev: CallSnapshot | undefined): void {
    this.#provideSession();
    // With a session the engine is loading anyway: fetch the error view now, while the network works.
    void loadRareViews().catch(() => undefined);
    // A camera or microphone the browser refused, lacks or cannot start: say so, and how to fix it.
    const device = s.local.problem;
    if (device && device !== prev?.local.problem) this.#report(device);
    if (!prev) {
      this.#inCall = inCallPhases.has(s.phase);
      return;
    }
    const changes = callChanges(prev, s, this.#inCall, this.i18n);
    this.#inCall = changes.inCall;
    if (changes.left) this.ended = changes.left === 'user';
    for (const event of changes.events) this.dispatchEvent(event);
    for (const text of changes.announcements) this.#announce(text);
    if (s.error && s.error !== prev.error) this.#report(s.error);
  }

  #remember(error: MatrixCallError): void {
    this.#reported.add(error);
    const view = this.view;
    if (view === 'lobby' || view === 'in-call') this.notice = error;
  }

  #report(error: MatrixCallError): void {
    if (error.reason === 'aborted' || this.#reported.has(error)) return;
    this.#remember(error);
    this.dispatchEvent(new CallErrorEvent(error));
  }

  #announce(text: string): void {
    // A repeated message must still change the live region to be read again.
    this.announcement = text === this.announcement ? `${text}\u00a0` : text;
  }

  protected override updated(): void {
    const view = this.view;
    for (const name of matrixCallViews) toggleState(this.#internals, name, name === view);
    const session = this.#call.session;
    const s = this.#call.snapshot;
    // After this update, not inside it: the session may answer synchronously.
    if (session && s?.status === 'ready' && s.phase === 'idle' && this.skipLobby) {
      if (!this.#autoJoined.has(session)) {
        this.#autoJoined.add(session);
        queueMicrotask(() => void this.join());
      }
    }
  }

  readonly #retry = (): void => {
    const c = this.#call;
    this.notice = undefined;
    if (!c.session || c.snapshot?.status === 'failed') {
      if (c.ownsSession || !c.session) c.recreate();
      else void c.start();
    } else void this.join();
  };

  #signIn(fields: CallRequestSignInEvent['fields']): void {
    if (!this.room) this.formRoom = fields.room;
    if (!this.#source() || this.login) {
      this.login = {
        homeserver: fields.homeserver || this.homeserver,
        username: fields.username,
        password: fields.password,
        deviceDisplayName: `matrix-call on ${location.host}`,
      };
    }
  }

  override render() {
    const view = this.view;
    return html`<div part="base" class="base">${this.#renderView(view)}</div>
      <div class="sr-only" role="status" aria-live="polite">${this.announcement}</div>`;
  }

  #renderView(view: MatrixCallView) {
    switch (view) {
      case 'sign-in':
        return this.#renderSignIn();
      case 'starting':
        return this.#renderStatus(this.i18n.t('starting'), true);
      case 'lobby':
        return this.#renderLobby();
      case 'connecting':
        return this.#renderConnecting();
      case 'in-call':
        return this.#renderCall();
      case 'failed':
        return this.#renderFailed();
      case 'ended':
        return this.#renderEnded();
    }
  }

  #renderStatus(label: string, shown: boolean, extra: unknown = nothing) {
    return html`<div class="center">
      <div class="status ${shown ? '' : 'pending'}" role="status">
        <div class="spinner" aria-hidden="true"></div>
        <p>${shown ? label : ''}</p>
        ${extra}
      </div>
    </div>`;
  }

  #renderSignIn() {
    if (!this.#rare.get()) return this.#renderStatus('', false);
    const error = this.#call.snapshot?.error ?? this.#call.error;
    return html`<call-sign-in
      exportparts="sign-in, base:card"
      ?needs-account=${!this.#source() || !!this.login}
      ?needs-room=${!this.room}
      homeserver=${this.login?.homeserver ?? this.homeserver}
      username=${this.login?.username ?? this.userId}
      room=${this.formRoom}
      .error=${this.login ? error : undefined}
    ></call-sign-in>`;
  }

  /** "Alice is calling — Join" above the lobby, until it is answered, dismissed or expires. */
  #renderRing(s: CallSnapshot) {
    const n = s.incomingNotification;
    if (!n || n.eventId === this.dismissedRing || n.expiresAt <= Date.now()) return nothing;
    if (!s.callInProgress.active) return nothing;
    const views = this.#rare.get();
    if (!views) return nothing;
    clearTimeout(this.#ringTimer);
    this.#ringTimer = setTimeout(
      () => {
        this.requestUpdate();
      },
      n.expiresAt - Date.now() + 10,
    );
    return views.ringBanner({
      t: this.i18n,
      notification: n,
      onJoin: () => {
        this.dismissedRing = n.eventId;
        void this.join();
      },
      onDismiss: () => {
        this.dismissedRing = n.eventId;
      },
    });
  }

  /** A non-fatal error above the lobby or the call (its view comes with the rare views). */
  #renderNotice() {
    const error = this.notice;
    const views = error && this.#rare.get();
    if (!error || !views) return nothing;
    return views.noticeBanner({
      t: this.i18n,
      error,
      onClose: () => {
        this.notice = undefined;
      },
    });
  }

  #renderLobby() {
    const s = this.#call.snapshot;
    if (!s) return nothing;
    return html`${this.#renderNotice()}${this.#renderRing(s)}
      <call-lobby exportparts=${lobbyParts}></call-lobby>`;
  }

  #renderConnecting() {
    const phase = this.#phaseLabel.shown;
    const label = phase ? this.i18n.t(`phase-${phase}` as CallStringKey) : '';
    return this.#renderStatus(
      label,
      !!phase,
      phase && this.#call.joining
        ? html`<button class="btn" @click=${() => this.leave()}>${this.i18n.t('cancel')}</button>`
        : nothing,
    );
  }

  #renderCall() {
    const t = this.i18n;
    return html`${this.#renderNotice()}
      <div class="call">
        <call-header exportparts=${headerParts}><slot name="header"></slot></call-header>
        ${
          this.#phaseLabel.shown === 'reconnecting'
            ? html`<div class="banner info" role="status"><p>${t.t('phase-reconnecting')}</p></div>`
            : nothing
        }
        ${this.#rare.get()?.callNotices(t, this.#call.snapshot) ?? nothing}
        <call-audio exportparts="enable-button:enable-audio-button"></call-audio>
        <call-grid part="grid" exportparts=${gridParts}
          ><slot name="empty" slot="empty"></slot
        ></call-grid>
        <call-controls
          part="controls"
          exportparts=${controlsParts}
          ?no-shortcuts=${this.noShortcuts}
          ><slot name="controls"></slot
        ></call-controls>
      </div>`;
  }

  #renderFailed() {
    const error = this.#call.error;
    if (!this.#rare.get())
      return this.#renderStatus(
        error?.message ?? '',
        this.#rare.failed,
        this.#rare.failed
          ? html`<button part="retry-button" class="btn primary" @click=${this.#retry}>
              ${this.i18n.t('retry')}
            </button>`
          : nothing,
      );
    return html`<call-failure
      exportparts="error, base:card, retry-button, diagnostics-button"
      .error=${error}
      .diagnostics=${this.#diagnostics}
    ></call-failure>`;
  }

  readonly #diagnostics = () => this.exportDiagnostics();

  #renderEnded() {
    if (!this.#rare.get()) return this.#renderStatus('', false);
    return html`<call-ended exportparts="base:card"></call-ended>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'matrix-call': MatrixCallElement;
  }
}
