import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { MatrixCallError } from '../core/errors.js';
import type {
  CallSessionApi,
  CallSessionOptions,
  CallSnapshot,
  DeviceKind,
} from '../core/types.js';

export interface CallControllerOptions {
  /**
   * An explicit session, read before every host update (for example the
   * element's `session` property, or one from context). It wins over a session
   * the controller created, and the controller never disposes it.
   */
  session?: () => CallSessionApi | undefined;
  /** Starts (signs in) every session the controller attaches to, once. Default `false`. */
  autoStart?: boolean;
  /** Called with each new snapshot, before the host renders it: the place to derive events. */
  onSnapshot?: (snapshot: CallSnapshot, previous: CallSnapshot | undefined) => void;
  /** Called when a command or creating a session fails (never for cancelled joins). */
  onError?: (error: MatrixCallError) => void;
  /** Creates sessions from options; defaults to `createCallSession`, which loads the engine lazily. */
  create?: (options: CallSessionOptions) => Promise<CallSessionApi>;
}

export interface JoinOptions {
  /** Cancels the join; a cancelled join is not an error. */
  signal?: AbortSignal;
  /** The name typed in the lobby. */
  displayName?: string;
}

const started = new WeakSet<CallSessionApi>();

/**
 * The core, loaded on first use: the entry keeps only the UI, and the error
 * catalogue and the engine loader come with the first session.
 */
export const loadAndCreateSession = async (options: CallSessionOptions) =>
  (await import('../core/load.js')).createCallSession(options);

const isCallError = (value: unknown): value is MatrixCallError =>
  value instanceof Error && value.name === 'MatrixCallError';

/** Anything thrown, as a `MatrixCallError` (typed ones pass through unchanged). */
export async function toCallError(thrown: unknown): Promise<MatrixCallError> {
  if (isCallError(thrown)) return thrown;
  return (await import('../core/errors.js')).MatrixCallError.from(thrown);
}

/**
 * Connects a Lit element to a call session: subscribes to its snapshots while
 * the host is connected, re-renders the host on each one, and runs commands
 * whose results are dropped when the session they were for is gone.
 *
 * Commands never reject: a failure is kept in `error` and passed to `onError`.
 *
 * @example
 * ```ts
 * class MyCallBadge extends LitElement {
 *   @property({ attribute: false }) session?: CallSessionApi;
 *   private call = new CallController(this, { session: () => this.session });
 *   render() {
 *     return html`${this.call.snapshot?.participants.length ?? 0} in the call`;
 *   }
 * }
 * ```
 */
export class CallController implements ReactiveController {
  readonly #host: ReactiveControllerHost;
  readonly #options: CallControllerOptions;
  #subscribed: CallSessionApi | undefined;
  #unsubscribe: (() => void) | undefined;
  #owned: CallSessionApi | undefined;
  #ownedOptions: CallSessionOptions | undefined;
  #createId = 0;
  #connected = false;
  #joinAbort: AbortController | undefined;
  #_snapshot: CallSnapshot | undefined;
  #_error: MatrixCallError | undefined;
  #_creating = false;

  constructor(host: ReactiveControllerHost, options: CallControllerOptions = {}) {
    this.#options = options;
    (this.#host = host).addController(this);
  }

  /** The session in use: the explicit one if given, else the one this controller created. */
  get session(): CallSessionApi | undefined {
    return this.#subscribed;
  }

  /** The latest snapshot of `session`, or `undefined` without a session. */
  get snapshot(): CallSnapshot | undefined {
    return this.#_snapshot;
  }

  /** The last failed command's error, else the snapshot's error. */
  get error(): MatrixCallError | undefined {
    return this.#_error ?? this.#_snapshot?.error;
  }

  /** Whether a session is being created (the engine may still be downloading). */
  get creating(): boolean {
    return this.#_creating;
  }

  /** Whether `session` was created here (and will be disposed here). */
  get ownsSession(): boolean {
    return this.#subscribed !== undefined && this.#subscribed === this.#owned;
  }

  /** Whether a join is under way. */
  get joining(): boolean {
    return this.#joinAbort !== undefined;
  }

  /**
   * Sets what to create a session from, when no explicit session is given.
   * A different object disposes the previous created session and creates a
   * new one; the same object (or a retry with `recreate`) keeps it.
   */
  configure(options: CallSessionOptions | undefined): void {
    if (options === this.#ownedOptions) return;
    this.#ownedOptions = options;
    this.recreate();
  }

  /** Disposes the created session and creates it again from the same options. */
  recreate(): void {
    const id = ++this.#createId;
    const previous = this.#owned;
    this.#owned = undefined;
    this.#_creating = false;
    if (previous) void previous.dispose().catch(() => undefined);
    const options = this.#ownedOptions;
    if (options && this.#connected && !this.#options.session?.()) {
      this.#_creating = true;
      this.#_error = undefined;
      (this.#options.create ?? loadAndCreateSession)(options).then(
        (session) => {
          if (id !== this.#createId) {
            void session.dispose().catch(() => undefined);
            return;
          }
          this.#_creating = false;
          this.#owned = session;
          this.#sync();
          this.#host.requestUpdate();
        },
        async (thrown: unknown) => {
          const error = await toCallError(thrown);
          if (id !== this.#createId) return;
          this.#_creating = false;
          this.#fail(error);
        },
      );
    }
    this.#sync();
    this.#host.requestUpdate();
  }

  hostConnected(): void {
    this.#connected = true;
    if (this.#ownedOptions && !this.#owned && !this.#_creating) this.recreate();
    else this.#sync();
  }

  /** Picks up a changed explicit session before the host renders. */
  hostUpdate(): void {
    this.#sync();
  }

  hostDisconnected(): void {
    this.#connected = false;
    this.#detach();
    // A move in the DOM reconnects in the same task; only a real removal ends the call.
    queueMicrotask(() => {
      if (this.#connected) return;
      this.#createId++;
      this.#_creating = false;
      const owned = this.#owned;
      this.#owned = undefined;
      if (owned) void owned.dispose().catch(() => undefined);
    });
  }

  /** Signs in, syncs and finds the room. */
  start(): Promise<void> {
    return this.#run((s) => s.start());
  }

  /** Starts the camera and microphone for the lobby. */
  startPreview(): Promise<void> {
    return this.#run((s) => s.startPreview());
  }

  stopPreview(): Promise<void> {
    return this.#run((s) => s.stopPreview());
  }

  /** Joins the call; a second join cancels the first. */
  join(options: JoinOptions = {}): Promise<void> {
    this.#joinAbort?.abort();
    const abort = new AbortController();
    this.#joinAbort = abort;
    options.signal?.addEventListener(
      'abort',
      () => {
        abort.abort();
      },
      { once: true },
    );
    const joinOptions: { signal: AbortSignal; displayName?: string } = { signal: abort.signal };
    if (options.displayName) joinOptions.displayName = options.displayName;
    return this.#run(
      (s) => s.join(joinOptions),
      () => this.#joinAbort === abort,
    ).finally(() => {
      if (this.#joinAbort === abort) {
        this.#joinAbort = undefined;
        this.#host.requestUpdate();
      }
    });
  }

  /** Cancels a join under way. */
  cancelJoin(): void {
    this.#joinAbort?.abort();
  }

  /** Leaves the call (cancelling a join under way). */
  leave(): Promise<void> {
    this.cancelJoin();
    return this.#run((s) => s.leave());
  }

  setMicrophoneEnabled(enabled: boolean): Promise<void> {
    return this.#run((s) => s.setMicrophoneEnabled(enabled));
  }

  setCameraEnabled(enabled: boolean): Promise<void> {
    return this.#run((s) => s.setCameraEnabled(enabled));
  }

  setScreenShareEnabled(enabled: boolean): Promise<void> {
    return this.#run((s) => s.setScreenShareEnabled(enabled));
  }

  selectDevice(kind: DeviceKind, deviceId: string): Promise<void> {
    return this.#run((s) => s.selectDevice(kind, deviceId));
  }

  setHandRaised(raised: boolean): Promise<void> {
    return this.#run((s) => s.setHandRaised(raised));
  }

  sendReaction(name: string): Promise<void> {
    return this.#run((s) => s.sendReaction(name));
  }

  /** Forgets the last command error. */
  clearError(): void {
    this.#_error = undefined;
    this.#host.requestUpdate();
  }

  async #run(
    command: (session: CallSessionApi) => Promise<void>,
    current: () => boolean = () => true,
  ): Promise<void> {
    const session = this.#subscribed;
    if (!session) return;
    this.#_error = undefined;
    try {
      await command(session);
    } catch (thrown) {
      const error = await toCallError(thrown);
      // Drop results for a session that is gone or a command that was superseded.
      if (session !== this.#subscribed || !current() || error.reason === 'aborted') return;
      this.#fail(error);
    }
  }

  #fail(error: MatrixCallError): void {
    this.#_error = error;
    this.#options.onError?.(error);
    this.#host.requestUpdate();
  }

  #sync(): void {
    const next = this.#connected ? (this.#options.session?.() ?? this.#owned) : undefined;
    if (next === this.#subscribed) return;
    this.#detach();
    this.#subscribed = next;
    this.#_error = undefined;
    if (!next) return;
    this.#unsubscribe = next.subscribe((snapshot) => {
      this.#receive(snapshot);
    });
    this.#receive(next.snapshot);
    if (this.#options.autoStart && !started.has(next)) {
      started.add(next);
      const { status } = next.snapshot;
      if (status !== 'ready' && status !== 'failed') void this.start();
    }
  }

  #detach(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#joinAbort?.abort();
    this.#joinAbort = undefined;
    this.#subscribed = undefined;
    this.#_snapshot = undefined;
  }

  #receive(snapshot: CallSnapshot): void {
    const previous = this.#_snapshot;
    if (snapshot === previous) return;
    this.#_snapshot = snapshot;
    this.#options.onSnapshot?.(snapshot, previous);
    this.#host.requestUpdate();
  }
}
