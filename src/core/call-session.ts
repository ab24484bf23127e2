import { isE2EESupported } from 'livekit-client';
import { createCallParts, warmUp, type CallParts } from './call-parts.js';
import { DiagnosticsLog } from './diagnostics.js';
import { describe, discoverTransport, type DiscoveredTransport } from './discovery.js';
import { TypedEmitter } from './emitter.js';
import { MatrixCallError } from './errors.js';
import { routeLivekitLogs } from './livekit-logs.js';
import { LocalMedia } from './local-media.js';
import { notificationTypeFor } from './notifications.js';
import { openMatrixSession, resolveRoom, type MatrixSession } from './matrix-session.js';
import { withTimeout } from './with-timeout.js';
import { CallReactionsEvent } from './call-reactions.js';
import { HomeserverLinkEvent } from './homeserver-link.js';
import { IncomingCallsEvent } from './incoming-calls.js';
import { MemberGraceEvent } from './member-grace.js';
import { NoShowsEvent } from './no-shows.js';
import { MediaEncryptionEvent } from './media-encryption.js';
import { RoomCallEvent } from './room-call.js';
import { RoomProfilesEvent } from './room-profiles.js';
import { SfuConnectionsEvent } from './sfu-connections.js';
import { OWN_SFU_GIVE_UP_MS } from './sfu-recovery.js';
import { buildSnapshot, noProfile } from './snapshot.js';
import {
  CallPhase,
  CallSessionEvent,
  SessionStatus,
  type CallParticipant,
  type CallSessionApi,
  type CallSessionEventMap,
  type CallSessionOptions,
  type CallSnapshot,
  type DeviceKind,
  type LeaveReason,
  type MediaStats,
} from './types.js';

export { CALL_MEMBER_EVENT } from './room-call.js';
export { CALL_KEYS_EVENT } from './key-delivery.js';

const LEAVE_BUDGET_MS = 2000;

/**
 * Joins one Matrix room's call: MatrixRTC membership and keys through
 * matrix-js-sdk, media through LiveKit with per-participant E2EE. What it
 * sends matches Element Call's default (compatibility) mode.
 *
 * This class keeps the lifecycle, the order of joining and leaving, and the
 * errors; each concern of the call is a collaborator of its own (`CallParts`).
 *
 * @example
 * const session = new CallSession({ source: { kind: 'credentials', credentials }, room: '#team:example.org' });
 * session.subscribe((s) => render(s));
 * await session.start();
 * await session.join();
 */
export class CallSession extends TypedEmitter<CallSessionEventMap> implements CallSessionApi {
  readonly diagnostics: DiagnosticsLog;
  readonly options: CallSessionOptions;

  #status: SessionStatus = SessionStatus.Starting;
  #phase: CallPhase = CallPhase.Idle;
  #phaseSince = Date.now();
  #error: MatrixCallError | undefined;
  /** Set once signed in, even if finding the room then fails: dispose() must stop it. */
  #matrix: MatrixSession | undefined;
  private parts: CallParts | undefined;
  readonly #media: LocalMedia;
  #transport: Promise<DiscoveredTransport> | undefined;
  #joinAbort: AbortController | undefined;
  #recovery: AbortController | undefined;
  /** Our SFU dropped before the join finished: recover once it has. */
  #droppedDuringJoin: MatrixCallError | undefined;
  /** While joining: how long each phase took, for the log and benchmarks. */
  #phaseTimings: Record<string, number> | undefined;
  #startPromise: Promise<void> | undefined;
  readonly #teardown: (() => void)[] = [];
  #shownParticipants = new Map<string, CallParticipant>();
  /** Whose camera video the UI shows (see setVisibleParticipants); everyone's until it says. */
  #visible: readonly string[] | undefined;
  #current: CallSnapshot;
  #updateQueued = false;
  #disposed = false;

  constructor(options: CallSessionOptions) {
    super();
    this.options = options;
    this.diagnostics = new DiagnosticsLog({ console: options.debug ?? false });
    this.#teardown.push(routeLivekitLogs(this.diagnostics));
    if (options.password) this.diagnostics.addSecret(options.password);
    const videoCall = options.intent !== 'audio';
    this.#media = new LocalMedia({
      log: this.diagnostics,
      onChange: () => {
        this.#syncIntent();
        this.#changed();
        this.emit(CallSessionEvent.LocalMediaChanged, this.#media.state);
      },
      onError: (error) => this.diagnostics.warn('media', error.message, { reason: error.reason }),
      microphoneEnabled: options.media?.microphoneEnabled ?? true,
      cameraEnabled: options.media?.cameraEnabled ?? videoCall,
      audioInputId: options.media?.audioInputId,
      videoInputId: options.media?.videoInputId,
      audioOutputId: options.media?.audioOutputId,
    });
    this.#current = this.#build();
  }

  get snapshot(): CallSnapshot {
    return this.#current;
  }

  subscribe(listener: (snapshot: CallSnapshot) => void): () => void {
    this.on(CallSessionEvent.StateChanged, listener);
    return () => this.off(CallSessionEvent.StateChanged, listener);
  }

  protected override onListenerError(error: unknown, event: keyof CallSessionEventMap): void {
    this.diagnostics.error('session', `a "${event}" listener threw`, {
      error: describe(error),
    });
  }

  // ——— Lifecycle ————————————————————————————————————————————————

  /** Signs in, syncs and finds the room; afterwards the lobby has everything it needs. */
  start(options: { signal?: AbortSignal } = {}): Promise<void> {
    this.#startPromise ??= this.#doStart(options.signal).catch((error: unknown) => {
      this.#startPromise = undefined;
      const mapped = MatrixCallError.from(error);
      this.#status = SessionStatus.Failed;
      this.#error = mapped;
      this.diagnostics.error('session', `start failed: ${mapped.message}`, {
        reason: mapped.reason,
      });
      this.#changed();
      this.emit(CallSessionEvent.Error, mapped);
      throw mapped;
    });
    return this.#startPromise;
  }

  async #doStart(signal: AbortSignal | undefined): Promise<void> {
    this.#status = SessionStatus.Starting;
    this.#error = undefined;
    this.#changed();
    if (!this.options.room) throw MatrixCallError.invalidConfig('room');
    const started = performance.now();
    const log = this.diagnostics;
    const matrix = await openMatrixSession(this.options.source, log, signal, this.options.debug);
    this.#matrix = matrix;
    const room = await resolveRoom(matrix, this.options.room, log, signal);
    this.parts = this.#assemble(matrix, room);
    log.info('session', 'room ready', {
      roomId: room.roomId,
      encryption: this.parts.encryption.mode,
      ms: Math.round(performance.now() - started),
    });
    // Discovery and our grant don't depend on joining: get them now so Join is quicker.
    const parts = this.parts;
    this.#transport = this.#discover();
    this.#transport.then(
      (transport) => {
        if (this.parts === parts && !this.#isInCall())
          parts.ownSfu.prefetch(transport.livekitServiceUrl, ownMemberId(matrix));
      },
      () => undefined, // reported when join() awaits it
    );
    void this.#media.refreshDevices();
    warmUp(this.parts, log);
    this.#status = SessionStatus.Ready;
    this.#changed();
  }

  /** Creates the collaborators for a room, and follows what they report. */
  #assemble(matrix: MatrixSession, room: CallParts['room']): CallParts {
    const parts = createCallParts({
      matrix,
      room,
      options: this.options,
      log: this.diagnostics,
      inCall: () => this.#isInCall(),
    });
    const {
      profiles,
      roomCall,
      incoming,
      encryption,
      connections,
      homeserverLink,
      grace,
      noShows,
      reactions,
    } = parts;
    connections.setVisibleParticipants(this.#visible);
    const changed = () => {
      this.#changed();
    };
    profiles.on(RoomProfilesEvent.Changed, changed);
    encryption.on(MediaEncryptionEvent.Changed, changed);
    connections.on(SfuConnectionsEvent.Changed, changed);
    roomCall.on(RoomCallEvent.MembersChanged, changed);
    incoming.on(IncomingCallsEvent.Changed, changed);
    homeserverLink.on(HomeserverLinkEvent.Changed, changed);
    grace.on(MemberGraceEvent.Changed, changed);
    noShows.on(NoShowsEvent.Changed, changed);
    reactions.on(CallReactionsEvent.Changed, changed);
    incoming.on(IncomingCallsEvent.Incoming, (notification) => {
      this.emit(CallSessionEvent.IncomingNotification, notification);
    });
    roomCall.on(RoomCallEvent.Failed, (error) => {
      this.#lose(error);
    });
    connections.on(SfuConnectionsEvent.OwnDropped, (error) => {
      if (this.#isInCall()) void this.#recoverOwnSfu(error);
      else if (parts.ownSfu.publishing) this.#droppedDuringJoin = error;
    });
    connections.on(SfuConnectionsEvent.OwnReconnecting, () => {
      if (this.#phase === CallPhase.Connected) this.#setPhase(CallPhase.Reconnecting);
    });
    connections.on(SfuConnectionsEvent.OwnReconnected, () => {
      if (this.#phase === CallPhase.Reconnecting) this.#setPhase(CallPhase.Connected);
    });
    this.#teardown.push(() => {
      parts.dispose();
    });
    return parts;
  }

  #discover(): Promise<DiscoveredTransport> {
    const { matrix } = this.#requireParts();
    return discoverTransport({
      userId: matrix.userId,
      override: this.options.livekitServiceUrl,
      getRtcTransports: () => matrix.client._unstable_getRTCTransports(),
      log: this.diagnostics,
    });
  }

  async startPreview(): Promise<void> {
    await this.#media.startPreview();
  }

  async stopPreview(): Promise<void> {
    await this.#media.stopPreview();
  }

  // ——— Join ————————————————————————————————————————————————————

  /**
   * Joins in Element Call's order: discovery, OpenID → JWT, LiveKit connect
   * and publish, then the membership. Peers never see a membership whose
   * media isn't ready, and the LiveKit room exists before anyone looks for it.
   */
  async join(options: { signal?: AbortSignal; displayName?: string } = {}): Promise<void> {
    if (
      this.#phase !== CallPhase.Idle &&
      this.#phase !== CallPhase.Ended &&
      this.#phase !== CallPhase.Failed
    ) {
      throw MatrixCallError.invalidConfig('join(): already joining or in the call');
    }
    await this.start(options);
    const abort = new AbortController();
    this.#joinAbort = abort;
    const signal = options.signal ? AbortSignal.any([options.signal, abort.signal]) : abort.signal;
    this.#error = undefined;
    const timings: Record<string, number> = {};
    this.#phaseTimings = timings;
    try {
      const { matrix, room, profiles, roomCall, encryption, connections, ownSfu } =
        this.#requireParts();
      if (encryption.mode !== 'none' && !isE2EESupported()) throw MatrixCallError.e2eeUnsupported();

      this.#setPhase(CallPhase.Discovering);
      // In a widget the host keeps our profile, and may not let us change it.
      const renamed = matrix.widget
        ? Promise.resolve()
        : profiles.setOwnName(matrix.userId, options.displayName ?? this.options.displayName);
      this.#transport ??= this.#discover();
      const transport = await this.#transport.catch((error: unknown) => {
        this.#transport = undefined; // a later retry rediscovers
        throw error;
      });
      signal.throwIfAborted();

      // The membership (two homeserver round trips, then key delivery) goes out while we
      // connect and publish when others are on that SFU already: its LiveKit room exists, so
      // the connection can't fail for want of it (a service that doesn't create rooms for us).
      const othersOn = (serviceUrl: string) =>
        roomCall.members.some(
          (m) =>
            m.serviceUrl === serviceUrl &&
            !(m.userId === matrix.userId && m.deviceId === matrix.deviceId),
        );
      let membership: Promise<void> | undefined;
      const sendMembership = (serviceUrl: string) => {
        membership ??= (async () => {
          await renamed; // peers should see the new name with the membership
          await roomCall.join(
            {
              serviceUrl,
              roomId: room.roomId,
              memberId: ownMemberId(matrix),
              encryption: encryption.mode,
              intent: this.#intent(),
              notify:
                this.options.notify === 'auto'
                  ? notificationTypeFor(matrix.client, room.roomId)
                  : this.options.notify,
              timing: this.options.membershipTiming ?? {},
            },
            signal,
          );
        })();
        membership.catch(() => undefined); // awaited below
      };
      const { serviceUrl, participant } = await ownSfu.connect({
        ownServiceUrl: transport.livekitServiceUrl,
        memberId: ownMemberId(matrix),
        signal,
        onStep: (step, serviceUrl) => {
          this.#setPhase(step === 'authorizing' ? CallPhase.Authorizing : CallPhase.Connecting);
          if (step === 'connecting' && othersOn(serviceUrl)) sendMembership(serviceUrl);
        },
      });

      this.#setPhase(CallPhase.Publishing);
      await this.#media.attach(participant);
      signal.throwIfAborted();

      this.#setPhase(CallPhase.Joining);
      sendMembership(serviceUrl);
      await membership;

      this.#setPhase(CallPhase.Connected);
      this.#syncIntent(); // the camera may have changed while we joined
      this.#phaseTimings = undefined;
      encryption.watchDecoding();
      connections.followRemoteSfus();
      this.diagnostics.info('session', 'joined the call', timings);
      this.emit(CallSessionEvent.Joined);
      const dropped = this.#droppedDuringJoin;
      this.#droppedDuringJoin = undefined;
      if (dropped) void this.#recoverOwnSfu(dropped);
    } catch (error) {
      const mapped = MatrixCallError.from(error);
      abort.abort(); // ends a membership still waiting for the homeserver
      await this.#abandonJoin();
      if (mapped.reason === 'aborted' && this.#disposed) throw mapped;
      this.#fail(mapped);
      throw mapped;
    } finally {
      if (this.#joinAbort === abort) this.#joinAbort = undefined;
      if (this.#phaseTimings === timings) this.#phaseTimings = undefined;
    }
  }

  /**
   * Our SFU dropped us (or restarted): keep the membership, so peers keep our
   * tile and key, and get back on with a fresh grant and republished media.
   */
  async #recoverOwnSfu(cause: MatrixCallError): Promise<void> {
    const { ownSfu } = this.#requireParts();
    const publishing = ownSfu.publishing;
    if (this.#recovery || !publishing) return;
    const abort = new AbortController();
    this.#recovery = abort;
    const started = performance.now();
    this.#setPhase(CallPhase.Reconnecting);
    this.diagnostics.warn('livekit', 'lost our SFU; reconnecting', {
      sfu: publishing.serviceUrl,
      error: cause.message,
    });
    try {
      const attempts = await ownSfu.reconnect(
        (participant) => this.#media.attach(participant),
        abort.signal,
        this.options.reconnectTimeoutMs ?? OWN_SFU_GIVE_UP_MS,
      );
      this.diagnostics.info('livekit', 'back on our SFU', {
        attempts,
        ms: Math.round(performance.now() - started),
      });
      if (this.#phase === CallPhase.Reconnecting) this.#setPhase(CallPhase.Connected);
    } catch (error) {
      if (abort.signal.aborted) return; // we left meanwhile
      this.#lose(MatrixCallError.connectionLost(error));
    } finally {
      if (this.#recovery === abort) this.#recovery = undefined;
    }
  }

  /** Phase timings of the last join, from the diagnostics log (for benchmarks). */
  get lastJoinTimings(): Record<string, number> | undefined {
    const entry = this.diagnostics.list('session').findLast((e) => e.message === 'joined the call');
    return entry?.fields as Record<string, number> | undefined;
  }

  /** Our SFU or our membership is gone for good: leave the rest too, so nobody sees a ghost of us. */
  #lose(error: MatrixCallError): void {
    if (!this.#isInCall()) return;
    this.#recovery?.abort();
    void this.#abandonJoin().then(() => {
      this.#fail(error);
    });
  }

  /** Undo a partial join: no membership left behind, no LiveKit connection. */
  async #abandonJoin(): Promise<void> {
    await this.#takeDown(LEAVE_BUDGET_MS, LEAVE_BUDGET_MS + 500);
  }

  /**
   * Removes our membership and closes the connections within `budgetMs`, then
   * stops local media. Resolves whether the membership is gone already.
   */
  async #takeDown(membershipBudgetMs: number, budgetMs: number): Promise<boolean> {
    const parts = this.parts;
    this.#recovery?.abort();
    parts?.ownSfu.forget();
    this.#droppedDuringJoin = undefined;
    parts?.encryption.stopWatching();
    const left = parts
      ? await withTimeout(
          Promise.all([
            parts.roomCall.leave(membershipBudgetMs),
            parts.connections.closeAll(),
          ]).then(([ok]) => ok),
          budgetMs,
          undefined,
          () => new Error('leave timed out'),
        ).catch(() => false)
      : true;
    await this.#media.detach().catch(() => undefined);
    parts?.encryption.reset();
    return left;
  }

  // ——— Leave ————————————————————————————————————————————————————

  /**
   * Leaves within about 2 s: the membership is replaced by `{}` (peers see us
   * go at once) while LiveKit disconnects. If the homeserver is slow, the
   * delayed leave event finishes the job on its own.
   */
  async leave(): Promise<void> {
    if (
      this.#phase === CallPhase.Idle ||
      this.#phase === CallPhase.Ended ||
      this.#phase === CallPhase.Leaving
    )
      return;
    if (this.#phase === CallPhase.Failed) {
      this.#setPhase(CallPhase.Idle);
      return;
    }
    this.#joinAbort?.abort();
    this.#setPhase(CallPhase.Leaving);
    const started = performance.now();
    const left = await this.#takeDown(LEAVE_BUDGET_MS - 200, LEAVE_BUDGET_MS);
    this.diagnostics.info(
      'membership',
      left ? 'left the call' : 'left the call (membership removal still pending)',
      { ms: Math.round(performance.now() - started) },
    );
    this.#setPhase(CallPhase.Ended);
    this.emit(CallSessionEvent.Left, 'user');
  }

  #fail(error: MatrixCallError): void {
    this.#error = error;
    this.diagnostics.error('session', `call failed: ${error.message}`, { reason: error.reason });
    this.#setPhase(CallPhase.Failed);
    this.emit(CallSessionEvent.Error, error);
    this.emit(CallSessionEvent.Left, 'error' satisfies LeaveReason);
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#joinAbort?.abort();
    if (
      this.#phase !== CallPhase.Idle &&
      this.#phase !== CallPhase.Ended &&
      this.#phase !== CallPhase.Failed
    ) {
      await this.leave().catch(() => undefined);
    }
    await this.#media.dispose();
    for (const undo of this.#teardown.splice(0)) undo();
    const matrix = this.#matrix;
    if (matrix?.owned) {
      matrix.client.stopClient();
      this.diagnostics.info('matrix', 'stopped our Matrix client');
    }
    this.#status = SessionStatus.Stopped;
    this.#changed();
    this.removeAllListeners();
  }

  // ——— Media controls —————————————————————————————————————————————

  /** `m.call.intent` follows the camera, as Element Call's does: Element Web shows voice or video from it. */
  #intent(): 'audio' | 'video' {
    return this.#media.state.cameraEnabled ? 'video' : 'audio';
  }

  #syncIntent(): void {
    if (this.#isInCall()) this.parts?.roomCall.setIntent(this.#intent());
  }

  async setMicrophoneEnabled(enabled: boolean): Promise<void> {
    await this.#mediaCommand(() => this.#media.setMicrophoneEnabled(enabled));
  }

  async setCameraEnabled(enabled: boolean): Promise<void> {
    await this.#mediaCommand(() => this.#media.setCameraEnabled(enabled));
  }

  async setScreenShareEnabled(enabled: boolean): Promise<void> {
    await this.#mediaCommand(() => this.#media.setScreenShareEnabled(enabled));
  }

  async selectDevice(kind: DeviceKind, deviceId: string): Promise<void> {
    await this.#mediaCommand(() => this.#media.select(kind, deviceId));
  }

  async #mediaCommand(run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (error) {
      const mapped = MatrixCallError.from(error);
      if (mapped.reason !== 'aborted') {
        this.diagnostics.warn('media', mapped.message, { reason: mapped.reason });
        this.emit(CallSessionEvent.Error, mapped);
      }
      throw mapped;
    }
  }

  // ——— Reactions ————————————————————————————————————————————————————

  async setHandRaised(raised: boolean): Promise<void> {
    await this.#reactionCommand((reactions) => reactions.setHandRaised(raised));
  }

  async sendReaction(name: string): Promise<void> {
    await this.#reactionCommand((reactions) => reactions.sendReaction(name));
  }

  async #reactionCommand(run: (reactions: CallParts['reactions']) => Promise<void>): Promise<void> {
    try {
      if (!this.#isInCall()) throw MatrixCallError.invalidConfig('reactions: join the call first');
      await run(this.#requireParts().reactions);
    } catch (error) {
      const mapped = MatrixCallError.from(error);
      this.emit(CallSessionEvent.Error, mapped);
      throw mapped;
    }
  }

  setVisibleParticipants(ids: readonly string[] | undefined): void {
    this.#visible = ids;
    this.parts?.connections.setVisibleParticipants(ids);
  }

  /** Receiver statistics of every subscribed remote track. */
  getMediaStats(): Promise<MediaStats[]> {
    return this.parts?.connections.readStats() ?? Promise.resolve([]);
  }

  // ——— Snapshot —————————————————————————————————————————————————————

  #isInCall(): boolean {
    return this.#phase === CallPhase.Connected || this.#phase === CallPhase.Reconnecting;
  }

  #setPhase(phase: CallPhase): void {
    if (phase === this.#phase) return;
    const previous = this.#phase;
    const settled = [CallPhase.Idle, CallPhase.Ended, CallPhase.Failed] as CallPhase[];
    if (this.#phaseTimings && !settled.includes(previous))
      this.#phaseTimings[previous] = Date.now() - this.#phaseSince;
    this.#phase = phase;
    this.#phaseSince = Date.now();
    if (phase === CallPhase.Connected || phase === CallPhase.Joining) this.parts?.incoming.clear();
    this.diagnostics.info('session', `phase ${phase}`);
    this.#changed();
    this.emit(CallSessionEvent.PhaseChanged, phase, previous);
  }

  /** Batches changes into one new snapshot per microtask. */
  #changed(): void {
    if (this.#updateQueued) return;
    this.#updateQueued = true;
    queueMicrotask(() => {
      this.#updateQueued = false;
      const previous = this.#shownParticipants;
      this.#current = this.#build();
      const next = new Map(this.#current.participants.map((p) => [p.id, p]));
      this.#shownParticipants = next;
      for (const [id, p] of next)
        if (!previous.has(id) && !p.isLocal) this.emit(CallSessionEvent.ParticipantJoined, p);
      for (const [id, p] of previous)
        if (!next.has(id) && !p.isLocal) this.emit(CallSessionEvent.ParticipantLeft, p);
      this.emit(CallSessionEvent.StateChanged, this.#current);
    });
  }

  #build(): CallSnapshot {
    const p = this.parts;
    const m = this.#matrix;
    return buildSnapshot({
      status: this.#status,
      phase: this.#phase,
      phaseSince: this.#phaseSince,
      error: this.#error,
      self: m && { userId: m.userId, deviceId: m.deviceId },
      room: p?.profiles.summary(),
      encryption: p?.encryption.mode ?? 'none',
      members: p ? p.noShows.visible(p.grace.members) : [],
      profileOf: p ? (userId) => p.profiles.of(userId) : noProfile,
      encryptionOf: p ? (identity) => p.encryption.stateOf(identity) : () => 'none',
      local: this.#media.state,
      devices: this.#media.devices,
      sfuLocal: p?.connections.localMedia(),
      sfuRemotes: p?.connections.remoteMedia() ?? new Map(),
      incoming: p?.incoming.current,
      homeserverReachable: p?.homeserverLink.reachable ?? true,
      ...(p ? { reactionsOf: (identity: string) => p.reactions.of(identity) } : {}),
    });
  }

  #requireParts(): CallParts {
    if (!this.parts) throw MatrixCallError.invalidConfig('call start() first');
    return this.parts;
  }
}

/**
 * As Element Call in its default mode: the member ID is the legacy LiveKit identity, so
 * receivers that match key messages' `member.id` against the membership (MSC4143
 * `member_id`) find our keys.
 */
function ownMemberId(matrix: MatrixSession): string {
  return `${matrix.userId}:${matrix.deviceId}`;
}
