import {
  ConnectionState,
  CryptorError,
  CryptorErrorReason,
  DisconnectReason,
  isE2EESupported,
  LogLevel,
  ParticipantEvent,
  RemoteAudioTrack,
  RemoteVideoTrack,
  RoomEvent,
  setLogExtension,
  setLogLevel,
  Track,
  type BaseKeyProvider,
  type Participant,
  type RemoteParticipant,
  type TrackPublication,
} from 'livekit-client';
import {
  ClientEvent,
  EventTimeline,
  EventType,
  MatrixEventEvent,
  RoomEvent as MatrixRoomEvent,
  RoomStateEvent,
  type MatrixEvent,
  type Room,
} from 'matrix-js-sdk/lib/matrix.js';
import {
  MatrixRTCSessionEvent,
  MembershipManagerEvent,
  type MatrixRTCSession,
} from 'matrix-js-sdk/lib/matrixrtc/index.js';
import { AvatarCache } from './avatars.js';
import { DiagnosticsLog, fingerprint } from './diagnostics.js';
import { describe, discoverTransport, type DiscoveredTransport } from './discovery.js';
import { createSharedSecretKeyProvider, MatrixKeyProvider } from './e2ee.js';
import { createE2eeWorker } from './e2ee-worker.js';
import { TypedEmitter } from './emitter.js';
import { MatrixCallError } from './errors.js';
import { LocalMedia } from './local-media.js';
import { mapMatrixError, matrixErrorInfo } from './matrix-errors.js';
import {
  openMatrixSession,
  resolveRoom,
  withTimeout,
  type MatrixSession,
} from './matrix-session.js';
import {
  foreignServiceUrls,
  hashedRtcIdentity,
  readMemberships,
  type MemberInfo,
} from './membership.js';
import { parseIncomingNotification, CALL_NOTIFICATION_EVENT } from './notifications.js';
import {
  fetchPublishGrant,
  fetchSubscribeGrant,
  type OpenIdToken,
  type SfuGrant,
} from './sfu-auth.js';
import { SfuConnection } from './sfu-connection.js';
import { toCallTrack } from './tracks.js';
import {
  CallPhase,
  callPhaseLabels,
  CallSessionEvent,
  SessionStatus,
  type CallInProgress,
  type CallParticipant,
  type CallSessionApi,
  type CallSessionEventMap,
  type CallSessionOptions,
  type CallSnapshot,
  type ConnectionQuality,
  type DeviceKind,
  type EncryptionMode,
  type IncomingCallNotification,
  type LeaveReason,
  type MediaStats,
  type ParticipantEncryptionState,
} from './types.js';

/** The state event type Element Call and matrix-js-sdk use for memberships. */
export const CALL_MEMBER_EVENT = 'org.matrix.msc3401.call.member';
/** The to-device event type per-participant media keys travel in. */
export const CALL_KEYS_EVENT = 'io.element.call.encryption_keys';

const LEAVE_BUDGET_MS = 2000;
const JOIN_CONFIRM_TIMEOUT_MS = 20_000;
/** Decoding is checked every 2 s, and every 500 ms while someone's media cannot be decrypted. */
const STATS_INTERVAL_MS = 500;
const STATS_IDLE_TICKS = 4;
/**
 * Time between sending a rotated media key and encrypting with it. matrix-js-sdk's 1 s is
 * shorter than to-device delivery on a busy homeserver (up to 1.4 s seen in the e2e suite);
 * a receiver without the key drops frames and then needs a keyframe, a freeze of ~3 s for
 * everyone who stays when someone leaves. The cost: joiners of a call whose key is older
 * than the rotation grace period (10 s) see the others this much later.
 */
const USE_KEY_DELAY_MS = 3000;

interface EncryptionTrouble {
  reason: 'missing' | 'invalid';
  at: number;
}

/** Diagnostics logs of live sessions; livekit-client has one global logger. */
const livekitLogTargets = new Set<DiagnosticsLog>();
let livekitLogRouted = false;

/**
 * Joins one Matrix room's call: MatrixRTC membership and keys through
 * matrix-js-sdk, media through LiveKit with per-participant E2EE. What it
 * sends matches Element Call's default (compatibility) mode.
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

  private status: SessionStatus = SessionStatus.Starting;
  private phase: CallPhase = CallPhase.Idle;
  private phaseSince = Date.now();
  private error: MatrixCallError | undefined;
  private matrix: MatrixSession | undefined;
  private room: Room | undefined;
  private rtc: MatrixRTCSession | undefined;
  private avatars: AvatarCache | undefined;
  private readonly media: LocalMedia;
  private encryption: EncryptionMode = 'none';
  private members: MemberInfo[] = [];
  private transport: Promise<DiscoveredTransport> | undefined;
  private ownServiceUrl: string | undefined;
  private memberId: string | undefined;
  private keyProvider: BaseKeyProvider | undefined;
  private own: SfuConnection | undefined;
  private readonly remoteConnections = new Map<string, SfuConnection>();
  private readonly pendingConnections = new Set<string>();
  private readonly keysFor = new Map<string, number>();
  private readonly ignoredIdentities = new Set<string>();
  private readonly encryptionTrouble = new Map<string, EncryptionTrouble>();
  /** Last video frame count per remote track, and when it was read. */
  private readonly framesDecoded = new Map<string, { frames: number; at: number }>();
  private statsTick = 0;
  private incoming: IncomingCallNotification | undefined;
  private joinAbort: AbortController | undefined;
  private startPromise: Promise<void> | undefined;
  private spareWorker: Worker | undefined;
  private statsTimer: ReturnType<typeof setInterval> | undefined;
  private readonly teardown: (() => void)[] = [];
  private shownParticipants = new Map<string, CallParticipant>();
  private current: CallSnapshot;
  private updateQueued = false;
  private disposed = false;

  constructor(options: CallSessionOptions) {
    super();
    this.options = options;
    this.diagnostics = new DiagnosticsLog({ console: options.debug ?? false });
    routeLivekitLogs(this.diagnostics);
    if (options.password) this.diagnostics.addSecret(options.password);
    const videoCall = options.intent !== 'audio';
    this.media = new LocalMedia({
      log: this.diagnostics,
      onChange: () => {
        this.changed();
        this.emit(CallSessionEvent.LocalMediaChanged, this.media.state);
      },
      onError: (error) => this.diagnostics.warn('media', error.message, { reason: error.reason }),
      microphoneEnabled: options.media?.microphoneEnabled ?? true,
      cameraEnabled: options.media?.cameraEnabled ?? videoCall,
      audioInputId: options.media?.audioInputId,
      videoInputId: options.media?.videoInputId,
      audioOutputId: options.media?.audioOutputId,
    });
    this.current = this.build();
  }

  get snapshot(): CallSnapshot {
    return this.current;
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
    this.startPromise ??= this.doStart(options.signal).catch((error: unknown) => {
      this.startPromise = undefined;
      const mapped = MatrixCallError.from(error);
      this.status = SessionStatus.Failed;
      this.error = mapped;
      this.diagnostics.error('session', `start failed: ${mapped.message}`, {
        reason: mapped.reason,
      });
      this.changed();
      this.emit(CallSessionEvent.Error, mapped);
      throw mapped;
    });
    return this.startPromise;
  }

  private async doStart(signal: AbortSignal | undefined): Promise<void> {
    this.status = SessionStatus.Starting;
    this.error = undefined;
    this.changed();
    if (!this.options.room) throw MatrixCallError.invalidConfig('room');
    const started = performance.now();
    const matrix = await openMatrixSession(
      this.options.source,
      this.diagnostics,
      signal,
      this.options.debug,
    );
    this.matrix = matrix;
    const room = await resolveRoom(matrix, this.options.room, this.diagnostics, signal);
    this.room = room;
    this.avatars = new AvatarCache(matrix.client, this.diagnostics, () => {
      this.changed();
    });
    this.encryption = this.options.password
      ? 'shared-secret'
      : room.hasEncryptionStateEvent()
        ? 'per-participant'
        : 'none';
    this.diagnostics.info('session', 'room ready', {
      roomId: room.roomId,
      encryption: this.encryption,
      ms: Math.round(performance.now() - started),
    });
    this.watchRoom(room);
    // Discovery doesn't depend on joining: start it now so Join is quicker.
    this.transport = this.discover();
    this.transport.catch(() => undefined); // reported when join() awaits it
    void this.media.refreshDevices();
    this.warmUp(room);
    this.status = SessionStatus.Ready;
    this.changed();
  }

  /**
   * Work that joining needs but that doesn't depend on it, done while the user
   * is in the lobby: Olm sessions with the room's devices (media keys travel
   * over them) and the E2EE worker (a ~100 KB script to fetch and parse).
   */
  private warmUp(room: Room): void {
    if (this.encryption === 'none') return;
    if (this.encryption === 'per-participant') {
      try {
        this.matrix?.client.getCrypto()?.prepareToEncrypt(room);
      } catch (error) {
        this.diagnostics.debug('keys', 'could not prepare Olm sessions early', {
          error: describe(error),
        });
      }
    }
    try {
      this.spareWorker ??= createE2eeWorker(this.options.e2eeWorkerUrl);
    } catch (error) {
      this.diagnostics.debug('e2ee', 'could not start the E2EE worker early', {
        error: describe(error),
      });
    }
  }

  private discover(): Promise<DiscoveredTransport> {
    const matrix = this.requireMatrix();
    return discoverTransport({
      userId: matrix.userId,
      override: this.options.livekitServiceUrl,
      getRtcTransports: () => matrix.client._unstable_getRTCTransports(),
      log: this.diagnostics,
    });
  }

  private watchRoom(room: Room): void {
    const client = this.requireMatrix().client;
    const rtc = client.matrixRTC.getRoomSession(room);
    this.rtc = rtc;
    const onMemberships = () => {
      this.onMembershipsChanged();
    };
    const onKey = (
      key: Uint8Array<ArrayBuffer>,
      index: number,
      _parts: unknown,
      identity: string,
    ) => void this.onEncryptionKey(key, index, identity);
    const onManagerError = (error: unknown) => {
      this.onMembershipManagerError(error);
    };
    const onStatus = (_old: unknown, status: unknown) =>
      this.diagnostics.info('membership', `membership status ${String(status)}`);
    const onProbablyLeft = (left: boolean) => {
      if (left)
        this.diagnostics.warn(
          'membership',
          'our membership may have expired on the server (network trouble)',
        );
    };
    rtc.on(MatrixRTCSessionEvent.MembershipsChanged, onMemberships);
    rtc.on(MatrixRTCSessionEvent.EncryptionKeyChanged, onKey);
    rtc.on(MatrixRTCSessionEvent.MembershipManagerError, onManagerError);
    rtc.on(MembershipManagerEvent.StatusChanged, onStatus);
    rtc.on(MembershipManagerEvent.ProbablyLeft, onProbablyLeft);
    const onState = () => {
      this.changed();
    };
    room.on(RoomStateEvent.Members, onState);
    room.on(MatrixRoomEvent.Name, onState);
    const onTimeline = (event: MatrixEvent) => {
      this.onTimelineEvent(event);
    };
    room.on(MatrixRoomEvent.Timeline, onTimeline);
    // What arrives over to-device, before matrix-js-sdk filters it: tells "never
    // delivered" apart from "dropped on receipt" when a key goes missing.
    const onToDevice = ({
      message,
    }: {
      message: { type: string; sender: string; content: unknown };
    }) => {
      if (message.type !== CALL_KEYS_EVENT) return;
      const content = message.content as { room_id?: unknown; keys?: { index?: unknown } } | null;
      if (content?.room_id !== room.roomId) return;
      this.diagnostics.debug('keys', 'key message arrived (to-device)', {
        from: message.sender,
        keyIndex: typeof content.keys?.index === 'number' ? content.keys.index : null,
      });
    };
    client.on(ClientEvent.ReceivedToDeviceMessage, onToDevice);
    if (this.matrix?.owned) this.observeKeySends(client);
    this.teardown.push(() => {
      rtc.off(MatrixRTCSessionEvent.MembershipsChanged, onMemberships);
      rtc.off(MatrixRTCSessionEvent.EncryptionKeyChanged, onKey);
      rtc.off(MatrixRTCSessionEvent.MembershipManagerError, onManagerError);
      rtc.off(MembershipManagerEvent.StatusChanged, onStatus);
      rtc.off(MembershipManagerEvent.ProbablyLeft, onProbablyLeft);
      room.off(RoomStateEvent.Members, onState);
      room.off(MatrixRoomEvent.Name, onState);
      room.off(MatrixRoomEvent.Timeline, onTimeline);
      client.off(ClientEvent.ReceivedToDeviceMessage, onToDevice);
    });
    this.onMembershipsChanged();
  }

  /**
   * matrix-js-sdk swallows errors from sending media keys; on a client we own,
   * record each send and its outcome so a missing key can be traced.
   */
  private observeKeySends(client: MatrixSession['client']): void {
    const send = client.encryptAndSendToDevice.bind(client);
    client.encryptAndSendToDevice = async (type, devices, payload) => {
      if (type !== CALL_KEYS_EVENT) return send(type, devices, payload);
      const keyIndex = (payload as { keys?: { index?: number } }).keys?.index ?? null;
      try {
        await send(type, devices, payload);
        this.diagnostics.info('keys', 'key message sent (to-device)', {
          keyIndex,
          devices: devices.length,
        });
      } catch (error) {
        this.diagnostics.error('keys', 'sending a media key failed', {
          keyIndex,
          error: describe(error),
        });
        throw error;
      }
    };
  }

  async startPreview(): Promise<void> {
    await this.media.startPreview();
  }

  async stopPreview(): Promise<void> {
    await this.media.stopPreview();
  }

  // ——— Join ————————————————————————————————————————————————————

  /**
   * Joins in Element Call's order: discovery, OpenID → JWT, LiveKit connect
   * and publish, then the membership. Peers never see a membership whose
   * media isn't ready, and the LiveKit room exists before anyone looks for it.
   */
  async join(options: { signal?: AbortSignal; displayName?: string } = {}): Promise<void> {
    if (
      this.phase !== CallPhase.Idle &&
      this.phase !== CallPhase.Ended &&
      this.phase !== CallPhase.Failed
    ) {
      throw MatrixCallError.invalidConfig('join(): already joining or in the call');
    }
    await this.start(options);
    const abort = new AbortController();
    this.joinAbort = abort;
    const signal = options.signal ? AbortSignal.any([options.signal, abort.signal]) : abort.signal;
    this.error = undefined;
    const timings: Record<string, number> = {};
    let mark = performance.now();
    const lap = (name: string) => {
      const now = performance.now();
      timings[name] = Math.round(now - mark);
      mark = now;
    };
    try {
      const matrix = this.requireMatrix();
      const room = this.requireRoom();
      if (this.encryption !== 'none' && !isE2EESupported()) throw MatrixCallError.e2eeUnsupported();

      this.setPhase(CallPhase.Discovering);
      const renamed = this.applyDisplayName(options.displayName ?? this.options.displayName);
      // The OpenID token and discovery are independent round trips: run them together.
      const openId = matrix.client.getOpenIdToken() as Promise<OpenIdToken>;
      openId.catch(() => undefined);
      this.transport ??= this.discover();
      const transport = await this.transport.catch((error: unknown) => {
        this.transport = undefined; // a later retry rediscovers
        throw error;
      });
      this.ownServiceUrl = transport.livekitServiceUrl;
      signal.throwIfAborted();
      lap('discovering');

      this.setPhase(CallPhase.Authorizing);
      this.memberId = crypto.randomUUID();
      const grant = await fetchPublishGrant({
        serviceUrl: transport.livekitServiceUrl,
        roomId: room.roomId,
        userId: matrix.userId,
        deviceId: matrix.deviceId,
        homeserver: matrix.homeserver,
        memberId: this.memberId,
        getOpenIdToken: () => matrix.client.getOpenIdToken(),
        prefetchedToken: openId,
        log: this.diagnostics,
        signal,
      });
      const expectedIdentity = `${matrix.userId}:${matrix.deviceId}`;
      if (grant.livekitIdentity !== expectedIdentity) {
        this.diagnostics.warn(
          'auth',
          'the JWT identity differs from our membership identity; peers may not decrypt us',
          {
            expected: expectedIdentity,
            got: grant.livekitIdentity,
          },
        );
      }
      lap('authorizing');

      this.setPhase(CallPhase.Connecting);
      this.keyProvider = await this.createKeyProvider();
      const own = new SfuConnection({
        serviceUrl: transport.livekitServiceUrl,
        role: 'publish',
        keyProvider: this.keyProvider,
        e2eeWorkerUrl: this.options.e2eeWorkerUrl,
        worker: this.takeSpareWorker(),
        log: this.diagnostics,
      });
      this.own = own;
      this.wireConnection(own);
      await own.connect(grant, signal);
      lap('connecting');

      this.setPhase(CallPhase.Publishing);
      await this.media.attach(own.room.localParticipant);
      signal.throwIfAborted();
      lap('publishing');

      this.setPhase(CallPhase.Joining);
      await renamed; // peers should see the new name with the membership
      await this.sendMembership(transport, signal);
      lap('joining');

      this.setPhase(CallPhase.Connected);
      this.startStatsPolling();
      this.reconcileConnections();
      this.diagnostics.info('session', 'joined the call', timings);
      this.emit(CallSessionEvent.Joined);
    } catch (error) {
      const mapped = MatrixCallError.from(error);
      await this.abandonJoin();
      if (mapped.reason === 'aborted' && this.disposed) throw mapped;
      this.fail(mapped);
      throw mapped;
    } finally {
      if (this.joinAbort === abort) this.joinAbort = undefined;
    }
  }

  /** Phase timings of the last join, from the diagnostics log (for benchmarks). */
  get lastJoinTimings(): Record<string, number> | undefined {
    const entry = this.diagnostics.list('session').findLast((e) => e.message === 'joined the call');
    return entry?.fields as Record<string, number> | undefined;
  }

  /**
   * Sets the name chosen in the lobby as our display name in this room only
   * (a per-room nick, like `/myroomnick`), never the global profile. Best effort.
   */
  private async applyDisplayName(name: string | undefined): Promise<void> {
    const matrix = this.matrix;
    const room = this.room;
    const wanted = name?.trim();
    if (!matrix || !room || !wanted || wanted === this.displayName(matrix.userId)) return;
    try {
      const current =
        room
          .getLiveTimeline()
          .getState(EventTimeline.FORWARDS)
          ?.getStateEvents(EventType.RoomMember, matrix.userId)
          ?.getContent() ?? {};
      await withTimeout(
        matrix.client.sendStateEvent(
          room.roomId,
          EventType.RoomMember,
          { ...current, membership: 'join', displayname: wanted },
          matrix.userId,
        ),
        5000,
        undefined,
        () => new Error('timed out'),
      );
      this.diagnostics.info('matrix', 'set the display name for this room');
    } catch (error) {
      this.diagnostics.warn('matrix', 'could not set the display name', { error: describe(error) });
    }
  }

  private takeSpareWorker(): Worker | undefined {
    const worker = this.spareWorker;
    this.spareWorker = undefined;
    return worker;
  }

  private async createKeyProvider(): Promise<BaseKeyProvider | undefined> {
    if (this.encryption === 'none') return undefined;
    if (this.encryption === 'shared-secret') {
      const provider = await createSharedSecretKeyProvider(this.options.password ?? '');
      this.diagnostics.info('e2ee', 'shared-secret E2EE (PBKDF2)', {
        secretFingerprint: await fingerprint(this.options.password ?? ''),
      });
      return provider;
    }
    this.diagnostics.info('e2ee', 'per-participant E2EE (keys over Olm to-device)');
    return new MatrixKeyProvider();
  }

  private async sendMembership(transport: DiscoveredTransport, signal: AbortSignal): Promise<void> {
    const matrix = this.requireMatrix();
    const room = this.requireRoom();
    const rtc = this.requireRtc();
    const timing = this.options.membershipTiming ?? {};
    const confirmed = new Promise<void>((resolve, reject) => {
      const check = () => {
        if (
          rtc.memberships.some((m) => m.userId === matrix.userId && m.deviceId === matrix.deviceId)
        )
          done(resolve);
      };
      const onError = (error: unknown) => {
        done(() => {
          reject(this.membershipError(error));
        });
      };
      const done = (settle: () => void) => {
        rtc.off(MatrixRTCSessionEvent.MembershipsChanged, check);
        rtc.off(MatrixRTCSessionEvent.MembershipManagerError, onError);
        settle();
      };
      rtc.on(MatrixRTCSessionEvent.MembershipsChanged, check);
      rtc.on(MatrixRTCSessionEvent.MembershipManagerError, onError);
    });
    this.diagnostics.info('membership', 'sending membership (state event + delayed leave)', {
      eventType: CALL_MEMBER_EVENT,
      focus: 'multi_sfu',
      sfu: transport.livekitServiceUrl,
    });
    rtc.joinRTCSession(
      {
        userId: matrix.userId,
        deviceId: matrix.deviceId,
        memberId: this.memberId ?? crypto.randomUUID(),
      },
      [],
      {
        type: 'livekit',
        livekit_service_url: transport.livekitServiceUrl,
        livekit_alias: room.roomId,
      },
      {
        manageMediaKeys: this.encryption === 'per-participant',
        callIntent: this.options.intent ?? 'video',
        notificationType: this.options.notify,
        delayedLeaveEventDelayMs: timing.delayedLeaveEventDelayMs,
        delayedLeaveEventRestartMs: timing.delayedLeaveEventRestartMs,
        membershipEventExpiryMs: timing.membershipEventExpiryMs,
        networkErrorRetryMs: timing.networkErrorRetryMs,
        useKeyDelay: timing.useKeyDelayMs ?? USE_KEY_DELAY_MS,
        keyRotationGracePeriodMs: timing.keyRotationGracePeriodMs,
      },
    );
    await withTimeout(confirmed, JOIN_CONFIRM_TIMEOUT_MS, signal, () =>
      MatrixCallError.membershipFailed(
        new Error('our membership did not come back from the homeserver in time'),
      ),
    );
    this.diagnostics.info('membership', 'membership visible in room state');
  }

  /** Maps a membership-manager failure; M_FORBIDDEN means power levels. */
  private membershipError(error: unknown): MatrixCallError {
    let cause: unknown = error;
    for (let depth = 0; depth < 5 && cause; depth++) {
      const { errcode, status } = matrixErrorInfo(cause);
      if (errcode === 'M_FORBIDDEN' || status === 403) {
        const mapped = MatrixCallError.membershipForbidden(CALL_MEMBER_EVENT, error);
        this.diagnostics.error('membership', 'M_FORBIDDEN sending the call membership', {
          hint: `power_levels.events["${CALL_MEMBER_EVENT}"] is higher than this user's power level`,
        });
        return mapped;
      }
      cause = (cause as { cause?: unknown }).cause;
    }
    this.diagnostics.error('membership', 'membership manager failed', { error: describe(error) });
    return mapMatrixError(error, this.matrix?.homeserver ?? '', (e) =>
      MatrixCallError.membershipFailed(e),
    );
  }

  private onMembershipManagerError(error: unknown): void {
    // During join(), sendMembership() turns this into the join's rejection.
    if (this.phase !== CallPhase.Connected && this.phase !== CallPhase.Reconnecting) return;
    const mapped = this.membershipError(error);
    void this.abandonJoin().then(() => {
      this.fail(mapped);
    });
  }

  /** Undo a partial join: no membership left behind, no LiveKit connection. */
  private async abandonJoin(): Promise<void> {
    this.stopStatsPolling();
    const rtc = this.rtc;
    const tasks: Promise<unknown>[] = [];
    if (rtc?.isJoined()) tasks.push(rtc.leaveRoomSession(LEAVE_BUDGET_MS).catch(() => false));
    tasks.push(this.closeConnections());
    await withTimeout(
      Promise.all(tasks),
      LEAVE_BUDGET_MS + 500,
      undefined,
      () => new Error('timeout'),
    ).catch(() => undefined);
    await this.media.detach().catch(() => undefined);
    this.resetCallState();
  }

  private resetCallState(): void {
    this.keysFor.clear();
    this.ignoredIdentities.clear();
    this.encryptionTrouble.clear();
    this.framesDecoded.clear();
    this.keyProvider = undefined;
    this.memberId = undefined;
  }

  private async closeConnections(): Promise<void> {
    const all = [this.own, ...this.remoteConnections.values()].filter(
      (c): c is SfuConnection => c !== undefined,
    );
    this.own = undefined;
    this.remoteConnections.clear();
    this.pendingConnections.clear();
    await Promise.all(all.map((c) => c.close()));
  }

  // ——— Leave ————————————————————————————————————————————————————

  /**
   * Leaves within about 2 s: the membership is replaced by `{}` (peers see us
   * go at once) while LiveKit disconnects. If the homeserver is slow, the
   * delayed leave event finishes the job on its own.
   */
  async leave(): Promise<void> {
    if (
      this.phase === CallPhase.Idle ||
      this.phase === CallPhase.Ended ||
      this.phase === CallPhase.Leaving
    )
      return;
    if (this.phase === CallPhase.Failed) {
      this.setPhase(CallPhase.Idle);
      return;
    }
    this.joinAbort?.abort();
    this.setPhase(CallPhase.Leaving);
    const started = performance.now();
    this.stopStatsPolling();
    const rtc = this.rtc;
    const membershipLeft = rtc?.isJoined()
      ? rtc.leaveRoomSession(LEAVE_BUDGET_MS - 200).catch((error: unknown) => {
          this.diagnostics.warn(
            'membership',
            'leave event failed; the delayed leave event will remove us',
            {
              error: describe(error),
            },
          );
          return false;
        })
      : Promise.resolve(true);
    const left = await withTimeout(
      Promise.all([membershipLeft, this.closeConnections()]).then(([ok]) => ok),
      LEAVE_BUDGET_MS,
      undefined,
      () => new Error('leave timed out'),
    ).catch(() => false);
    await this.media.detach().catch(() => undefined);
    this.resetCallState();
    this.diagnostics.info(
      'membership',
      left ? 'left the call' : 'left the call (membership removal still pending)',
      {
        ms: Math.round(performance.now() - started),
      },
    );
    this.setPhase(CallPhase.Ended);
    this.emit(CallSessionEvent.Left, 'user');
  }

  private fail(error: MatrixCallError): void {
    this.error = error;
    this.diagnostics.error('session', `call failed: ${error.message}`, { reason: error.reason });
    this.setPhase(CallPhase.Failed);
    this.emit(CallSessionEvent.Error, error);
    this.emit(CallSessionEvent.Left, 'error' satisfies LeaveReason);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.joinAbort?.abort();
    if (
      this.phase !== CallPhase.Idle &&
      this.phase !== CallPhase.Ended &&
      this.phase !== CallPhase.Failed
    ) {
      await this.leave().catch(() => undefined);
    }
    await this.media.dispose();
    for (const undo of this.teardown.splice(0)) undo();
    this.avatars?.dispose();
    this.takeSpareWorker()?.terminate();
    const matrix = this.matrix;
    if (matrix?.owned) {
      matrix.client.stopClient();
      this.diagnostics.info('matrix', 'stopped our Matrix client');
    }
    livekitLogTargets.delete(this.diagnostics);
    this.status = SessionStatus.Stopped;
    this.changed();
    this.removeAllListeners();
  }

  // ——— Media controls —————————————————————————————————————————————

  async setMicrophoneEnabled(enabled: boolean): Promise<void> {
    await this.mediaCommand(() => this.media.setMicrophoneEnabled(enabled));
  }

  async setCameraEnabled(enabled: boolean): Promise<void> {
    await this.mediaCommand(() => this.media.setCameraEnabled(enabled));
  }

  async setScreenShareEnabled(enabled: boolean): Promise<void> {
    await this.mediaCommand(() => this.media.setScreenShareEnabled(enabled));
  }

  async selectDevice(kind: DeviceKind, deviceId: string): Promise<void> {
    await this.mediaCommand(() => this.media.select(kind, deviceId));
  }

  private async mediaCommand(run: () => Promise<void>): Promise<void> {
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

  // ——— Memberships, connections, keys ——————————————————————————————

  private onMembershipsChanged(): void {
    const rtc = this.rtc;
    if (!rtc) return;
    try {
      this.members = readMemberships(rtc.memberships);
    } catch (error) {
      this.diagnostics.warn('membership', 'could not read memberships', { error: describe(error) });
      this.members = [];
    }
    this.diagnostics.debug('membership', 'memberships changed', { count: this.members.length });
    if (this.isInCall()) this.reconcileConnections();
    this.reconcileSubscriptions();
    this.changed();
  }

  private isInCall(): boolean {
    return this.phase === CallPhase.Connected || this.phase === CallPhase.Reconnecting;
  }

  /** One subscribe-only connection per other SFU that members publish on. */
  private reconcileConnections(): void {
    const wanted = new Set(foreignServiceUrls(this.members, this.ownServiceUrl));
    for (const [url, connection] of this.remoteConnections) {
      if (!wanted.has(url)) {
        this.remoteConnections.delete(url);
        this.diagnostics.info('livekit', 'no member uses this SFU any more; disconnecting', {
          sfu: url,
        });
        void connection.close();
      }
    }
    for (const url of wanted) {
      if (!this.remoteConnections.has(url) && !this.pendingConnections.has(url))
        void this.connectRemote(url);
    }
  }

  private async connectRemote(serviceUrl: string, attempt = 1): Promise<void> {
    const matrix = this.matrix;
    const room = this.room;
    if (!matrix || !room || !this.isInCall()) return;
    this.pendingConnections.add(serviceUrl);
    const connection = new SfuConnection({
      serviceUrl,
      role: 'subscribe',
      keyProvider: this.keyProvider,
      e2eeWorkerUrl: this.options.e2eeWorkerUrl,
      log: this.diagnostics,
    });
    try {
      const grant: SfuGrant = await fetchSubscribeGrant({
        serviceUrl,
        roomId: room.roomId,
        userId: matrix.userId,
        deviceId: matrix.deviceId,
        homeserver: matrix.homeserver,
        memberId: this.memberId ?? crypto.randomUUID(),
        getOpenIdToken: () => matrix.client.getOpenIdToken(),
        log: this.diagnostics,
      });
      if (grant.endpoint === 'get_token') {
        const expected = await hashedRtcIdentity(
          matrix.userId,
          matrix.deviceId,
          this.memberId ?? '',
        );
        if (grant.livekitIdentity !== expected) {
          this.diagnostics.warn('auth', 'remote SFU identity is not the MSC4195 hash we expected', {
            sfu: serviceUrl,
          });
        }
      }
      if (!this.pendingConnections.has(serviceUrl)) return; // left meanwhile
      this.wireConnection(connection);
      await connection.connect(grant);
      if (!this.pendingConnections.has(serviceUrl) || !this.isInCall()) {
        await connection.close();
        return;
      }
      this.remoteConnections.set(serviceUrl, connection);
      this.reconcileSubscriptions();
      this.changed();
    } catch (error) {
      await connection.close();
      this.diagnostics.error('livekit', 'could not subscribe on a remote SFU', {
        sfu: serviceUrl,
        attempt,
        error: describe(error),
      });
      // Members on that SFU stay "waiting for media"; try again a little later.
      if (attempt < 3 && this.isInCall()) {
        setTimeout(() => {
          this.pendingConnections.delete(serviceUrl);
          if (!this.remoteConnections.has(serviceUrl))
            void this.connectRemote(serviceUrl, attempt + 1);
        }, 3000 * attempt);
        return;
      }
    } finally {
      if (attempt >= 3 || this.remoteConnections.has(serviceUrl))
        this.pendingConnections.delete(serviceUrl);
    }
  }

  private connections(): SfuConnection[] {
    return [this.own, ...this.remoteConnections.values()].filter(
      (c): c is SfuConnection => c !== undefined,
    );
  }

  private wireConnection(connection: SfuConnection): void {
    const room = connection.room;
    const onChange = () => {
      this.changed();
    };
    const onReconnecting = () => {
      if (connection === this.own && this.phase === CallPhase.Connected)
        this.setPhase(CallPhase.Reconnecting);
    };
    const onParticipant = () => {
      this.reconcileSubscriptions();
      this.changed();
    };
    room
      .on(RoomEvent.ParticipantConnected, onParticipant)
      .on(RoomEvent.ParticipantDisconnected, onParticipant)
      .on(RoomEvent.TrackPublished, onParticipant)
      .on(RoomEvent.TrackUnpublished, onChange)
      .on(RoomEvent.TrackSubscribed, onChange)
      .on(RoomEvent.TrackUnsubscribed, onChange)
      .on(RoomEvent.TrackMuted, onChange)
      .on(RoomEvent.TrackUnmuted, onChange)
      .on(RoomEvent.ActiveSpeakersChanged, onChange)
      .on(RoomEvent.ConnectionQualityChanged, onChange)
      .on(RoomEvent.LocalTrackPublished, onChange)
      .on(RoomEvent.LocalTrackUnpublished, onChange)
      .on(RoomEvent.ParticipantNameChanged, onChange)
      .on(RoomEvent.EncryptionError, (error, participant) => {
        this.onEncryptionError(error, participant);
      })
      // A signalling-only resume (SignalReconnecting) also counts: media may stall meanwhile.
      .on(RoomEvent.Reconnecting, onReconnecting)
      .on(RoomEvent.SignalReconnecting, onReconnecting)
      .on(RoomEvent.Reconnected, () => {
        if (connection === this.own && this.phase === CallPhase.Reconnecting)
          this.setPhase(CallPhase.Connected);
      })
      .on(RoomEvent.Disconnected, (reason) => {
        this.onDisconnected(connection, reason);
      });
    room.localParticipant.on(ParticipantEvent.IsSpeakingChanged, onChange);
  }

  private onDisconnected(connection: SfuConnection, reason: DisconnectReason | undefined): void {
    if (connection.closingDown) return;
    if (connection === this.own) {
      if (!this.isInCall()) return;
      // Our SFU is gone: leave the MatrixRTC session too, so nobody sees a ghost of us.
      const error = MatrixCallError.connectionLost(
        new Error(reason === undefined ? 'unknown' : DisconnectReason[reason]),
      );
      void this.abandonJoin().then(() => {
        this.fail(error);
      });
    } else {
      this.remoteConnections.delete(connection.serviceUrl);
      this.changed();
      if (this.isInCall())
        setTimeout(() => {
          this.reconcileConnections();
        }, 2000);
    }
  }

  /**
   * Subscribes only to LiveKit participants backed by a valid, unexpired
   * membership; anyone else on the SFU is neither shown nor heard.
   */
  private reconcileSubscriptions(): void {
    const valid = new Set(this.members.map((m) => m.identity));
    for (const connection of this.connections()) {
      if (connection.room.state !== ConnectionState.Connected) continue;
      for (const participant of connection.room.remoteParticipants.values()) {
        const allowed = valid.has(participant.identity);
        if (!allowed && !this.ignoredIdentities.has(participant.identity)) {
          this.ignoredIdentities.add(participant.identity);
          this.diagnostics.warn(
            'livekit',
            'ignoring a LiveKit participant without a valid membership',
            {
              participant: participant.identity,
              sfu: connection.serviceUrl,
            },
          );
        } else if (allowed) {
          this.ignoredIdentities.delete(participant.identity);
        }
        for (const publication of participant.trackPublications.values()) {
          if (publication.isDesired !== allowed) publication.setSubscribed(allowed);
        }
      }
    }
  }

  private async onEncryptionKey(
    key: Uint8Array<ArrayBuffer>,
    index: number,
    identity: string,
  ): Promise<void> {
    const provider = this.keyProvider;
    const fp = await fingerprint(key);
    if (!(provider instanceof MatrixKeyProvider)) {
      this.diagnostics.debug('keys', 'media key arrived outside a per-participant call', {
        keyFingerprint: fp,
      });
      return;
    }
    try {
      await provider.setParticipantKey(identity, index, key);
    } catch (error) {
      this.diagnostics.error('keys', 'could not import a media key', {
        participant: identity,
        error: describe(error),
      });
      return;
    }
    const own = this.matrix && identity === `${this.matrix.userId}:${this.matrix.deviceId}`;
    this.diagnostics.info('keys', own ? 'own media key in use' : 'media key received', {
      participant: identity,
      keyIndex: index,
      keyFingerprint: fp,
    });
    this.keysFor.set(identity, index);
    this.encryptionTrouble.delete(identity); // a new key is worth another try
    this.changed();
  }

  private onEncryptionError(error: Error, participant?: Participant): void {
    const identity =
      (error instanceof CryptorError ? error.participantIdentity : undefined) ??
      participant?.identity ??
      /participant (\S+)$/.exec(error.message)?.[1];
    if (!identity) return;
    const reason = cryptorReason(error);
    if (reason === 'internal') return;
    const matrix = this.matrix;
    if (matrix && identity === `${matrix.userId}:${matrix.deviceId}`) {
      // Our own frames before our first key goes live (useKeyDelay): dropped, not leaked.
      this.diagnostics.debug('e2ee', 'own media waiting for its first key');
      return;
    }
    this.encryptionTrouble.set(identity, { reason, at: Date.now() });
    this.diagnostics.warn(
      'e2ee',
      reason === 'missing' ? 'no key for incoming media' : 'cannot decrypt incoming media',
      { participant: identity },
    );
    this.changed();
  }

  // ——— Stats ——————————————————————————————————————————————————————

  private startStatsPolling(): void {
    this.stopStatsPolling();
    this.statsTimer = setInterval(() => void this.pollDecoding(), STATS_INTERVAL_MS);
  }

  private stopStatsPolling(): void {
    if (this.statsTimer !== undefined) clearInterval(this.statsTimer);
    this.statsTimer = undefined;
  }

  /**
   * Frames decoding again means decryption works again: clear the trouble flag, so the
   * tile shows the video within a second of the key working (not up to 2 s later).
   */
  private async pollDecoding(): Promise<void> {
    if (this.encryptionTrouble.size === 0 && this.statsTick++ % STATS_IDLE_TICKS !== 0) return;
    const now = Date.now();
    for (const stat of await this.getMediaStats()) {
      if (stat.kind !== 'video') continue;
      const key = `${stat.participantId}|${stat.trackId}`;
      const before = this.framesDecoded.get(key);
      this.framesDecoded.set(key, { frames: stat.framesDecoded, at: now });
      const trouble = this.encryptionTrouble.get(stat.participantId);
      // Only frames counted after the trouble began prove that it is over.
      if (before && trouble && before.at >= trouble.at && stat.framesDecoded > before.frames) {
        this.encryptionTrouble.delete(stat.participantId);
        this.diagnostics.info('e2ee', 'decrypting again', { participant: stat.participantId });
        this.changed();
      }
    }
  }

  /** Receiver statistics of every subscribed remote track. */
  async getMediaStats(): Promise<MediaStats[]> {
    const out: MediaStats[] = [];
    for (const connection of this.connections()) {
      for (const participant of connection.room.remoteParticipants.values()) {
        for (const publication of participant.trackPublications.values()) {
          const track = publication.track;
          if (!(track instanceof RemoteVideoTrack) && !(track instanceof RemoteAudioTrack))
            continue;
          try {
            // The receiver's own inbound-rtp report: livekit-client's getReceiverStats()
            // leaves out packetsReceived and totalSamplesReceived for audio.
            const report = await track.receiver?.getStats();
            let s:
              | {
                  framesDecoded?: number;
                  packetsReceived?: number;
                  packetsLost?: number;
                  concealedSamples?: number;
                  totalSamplesReceived?: number;
                }
              | undefined;
            report?.forEach((v: { type?: string }) => {
              if (v.type === 'inbound-rtp') s = v as NonNullable<typeof s>;
            });
            if (!s) continue;
            out.push({
              participantId: participant.identity,
              trackId: publication.trackSid,
              source: publication.source,
              kind: track instanceof RemoteVideoTrack ? 'video' : 'audio',
              framesDecoded: s.framesDecoded ?? 0,
              packetsReceived: s.packetsReceived ?? 0,
              packetsLost: s.packetsLost ?? 0,
              totalSamplesReceived: s.totalSamplesReceived ?? 0,
              concealedSamples: s.concealedSamples ?? 0,
            });
          } catch {
            // a track that just ended has no stats
          }
        }
      }
    }
    return out;
  }

  // ——— Notifications ————————————————————————————————————————————————

  private onTimelineEvent(event: MatrixEvent): void {
    if (
      event.isBeingDecrypted() ||
      event.isDecryptionFailure() ||
      event.getType() === (EventType.RoomMessageEncrypted as string)
    ) {
      if (event.isEncrypted() && !event.isDecryptionFailure()) {
        event.once(MatrixEventEvent.Decrypted, () => {
          this.onTimelineEvent(event);
        });
      }
      return;
    }
    if (event.getType() !== CALL_NOTIFICATION_EVENT) return;
    const matrix = this.matrix;
    const room = this.room;
    if (!matrix || !room) return;
    const notification = parseIncomingNotification(event, room, matrix.userId);
    if (!notification) return;
    if (this.isInCall()) return; // already here: nothing to ring for
    this.incoming = notification;
    this.diagnostics.info('session', 'incoming call notification', {
      sender: notification.sender,
      type: notification.type,
    });
    this.changed();
    this.emit(CallSessionEvent.IncomingNotification, notification);
    setTimeout(
      () => {
        if (this.incoming === notification) {
          this.incoming = undefined;
          this.changed();
        }
      },
      Math.max(0, notification.expiresAt - Date.now()),
    );
  }

  // ——— Snapshot —————————————————————————————————————————————————————

  private setPhase(phase: CallPhase): void {
    if (phase === this.phase) return;
    const previous = this.phase;
    this.phase = phase;
    this.phaseSince = Date.now();
    if (phase === CallPhase.Connected || phase === CallPhase.Joining) this.incoming = undefined;
    this.diagnostics.info('session', `phase ${phase}`);
    this.changed();
    this.emit(CallSessionEvent.PhaseChanged, phase, previous);
  }

  /** Batches changes into one new snapshot per microtask. */
  private changed(): void {
    if (this.updateQueued) return;
    this.updateQueued = true;
    queueMicrotask(() => {
      this.updateQueued = false;
      const previous = this.shownParticipants;
      this.current = this.build();
      const next = new Map(this.current.participants.map((p) => [p.id, p]));
      this.shownParticipants = next;
      for (const [id, p] of next)
        if (!previous.has(id) && !p.isLocal) this.emit(CallSessionEvent.ParticipantJoined, p);
      for (const [id, p] of previous)
        if (!next.has(id) && !p.isLocal) this.emit(CallSessionEvent.ParticipantLeft, p);
      this.emit(CallSessionEvent.StateChanged, this.current);
    });
  }

  private build(): CallSnapshot {
    const matrix = this.matrix;
    const room = this.room;
    const user = matrix
      ? {
          userId: matrix.userId,
          deviceId: matrix.deviceId,
          displayName: this.displayName(matrix.userId),
          avatarUrl: this.avatarUrl(matrix.userId),
        }
      : undefined;
    return {
      status: this.status,
      phase: this.phase,
      phaseLabel: callPhaseLabels[this.phase],
      phaseSince: this.phaseSince,
      user,
      room: room
        ? {
            roomId: room.roomId,
            name: room.name || room.getCanonicalAlias() || room.roomId,
            avatarUrl: this.avatars?.get(room.getMxcAvatarUrl()),
            encrypted: room.hasEncryptionStateEvent(),
          }
        : undefined,
      encryption: this.encryption,
      participants:
        this.isInCall() || this.phase === CallPhase.Joining ? this.buildParticipants() : [],
      local: this.media.state,
      devices: this.media.devices,
      callInProgress: this.buildCallInProgress(),
      incomingNotification: this.incoming,
      error: this.error,
    };
  }

  private buildCallInProgress(): CallInProgress {
    const matrix = this.matrix;
    const others = this.members.filter(
      (m) => !(matrix && m.userId === matrix.userId && m.deviceId === matrix.deviceId),
    );
    return {
      active: this.members.length > 0,
      members: others.map((m) => ({
        userId: m.userId,
        deviceId: m.deviceId,
        displayName: this.displayName(m.userId),
        avatarUrl: this.avatarUrl(m.userId),
      })),
      userCount: new Set(this.members.map((m) => m.userId)).size,
    };
  }

  private displayName(userId: string): string {
    const member = this.room?.getMember(userId);
    return member?.rawDisplayName || member?.name || userId;
  }

  private avatarUrl(userId: string): string | undefined {
    return this.avatars?.get(this.room?.getMember(userId)?.getMxcAvatarUrl());
  }

  private buildParticipants(): CallParticipant[] {
    const matrix = this.matrix;
    if (!matrix || !this.own) return [];
    const ownIdentity = `${matrix.userId}:${matrix.deviceId}`;
    const local = this.own.room.localParticipant;
    const media = this.media.state;
    const out: CallParticipant[] = [
      {
        id: ownIdentity,
        userId: matrix.userId,
        deviceId: matrix.deviceId,
        displayName: this.displayName(matrix.userId),
        avatarUrl: this.avatarUrl(matrix.userId),
        isLocal: true,
        speaking: local.isSpeaking,
        audioLevel: media.audioLevel,
        microphoneEnabled: media.microphoneEnabled,
        cameraEnabled: media.cameraEnabled,
        screenShareEnabled: media.screenShareEnabled,
        connectionQuality: quality(local.connectionQuality),
        encryption: this.encryption === 'none' ? 'none' : 'ok',
        cameraTrack: media.cameraTrack,
        microphoneTrack: undefined, // never play ourselves
        screenShareTrack: trackOf(
          local.getTrackPublication(Track.Source.ScreenShare),
          true,
          'screen-share',
        ),
        screenShareAudioTrack: undefined,
        joinedAt:
          this.members.find((m) => m.identity === ownIdentity)?.createdTs ?? this.phaseSince,
      },
    ];
    const remotes = new Map<string, RemoteParticipant>();
    for (const connection of this.connections()) {
      for (const p of connection.room.remoteParticipants.values())
        if (!remotes.has(p.identity)) remotes.set(p.identity, p);
    }
    for (const member of this.members) {
      if (member.identity === ownIdentity) continue;
      const p = remotes.get(member.identity);
      const cam = p?.getTrackPublication(Track.Source.Camera);
      const mic = p?.getTrackPublication(Track.Source.Microphone);
      const screen = p?.getTrackPublication(Track.Source.ScreenShare);
      const screenAudio = p?.getTrackPublication(Track.Source.ScreenShareAudio);
      out.push({
        id: member.identity,
        userId: member.userId,
        deviceId: member.deviceId,
        displayName: this.displayName(member.userId),
        avatarUrl: this.avatarUrl(member.userId),
        isLocal: false,
        speaking: p?.isSpeaking ?? false,
        audioLevel: p?.audioLevel ?? 0,
        microphoneEnabled: Boolean(mic && !mic.isMuted),
        cameraEnabled: Boolean(cam && !cam.isMuted),
        screenShareEnabled: Boolean(screen && !screen.isMuted),
        connectionQuality: p ? quality(p.connectionQuality) : 'unknown',
        encryption: this.encryptionStateOf(member.identity),
        cameraTrack: cam && !cam.isMuted ? trackOf(cam, false, 'camera') : undefined,
        microphoneTrack: mic && !mic.isMuted ? trackOf(mic, false, 'microphone') : undefined,
        screenShareTrack: trackOf(screen, false, 'screen-share'),
        screenShareAudioTrack: trackOf(screenAudio, false, 'screen-share-audio'),
        joinedAt: member.createdTs,
      });
    }
    return out;
  }

  private encryptionStateOf(identity: string): ParticipantEncryptionState {
    if (this.encryption === 'none') return 'none';
    const trouble = this.encryptionTrouble.get(identity);
    if (trouble?.reason === 'invalid') return 'key-invalid';
    if (this.encryption === 'per-participant' && !this.keysFor.has(identity))
      return 'waiting-for-key';
    if (trouble?.reason === 'missing') return 'waiting-for-key';
    return 'ok';
  }

  private requireMatrix(): MatrixSession {
    if (!this.matrix) throw MatrixCallError.invalidConfig('call start() first');
    return this.matrix;
  }

  private requireRoom(): Room {
    if (!this.room) throw MatrixCallError.invalidConfig('call start() first');
    return this.room;
  }

  private requireRtc(): MatrixRTCSession {
    if (!this.rtc) throw MatrixCallError.invalidConfig('call start() first');
    return this.rtc;
  }
}

/**
 * The worker's errors cross postMessage as plain Errors whose message starts
 * with the reason name ("MissingKey: …"), so `instanceof` alone is not enough.
 */
function cryptorReason(error: Error): 'missing' | 'invalid' | 'internal' {
  const reason =
    error instanceof CryptorError
      ? error.reason
      : /^MissingKey/.test(error.message)
        ? CryptorErrorReason.MissingKey
        : /^InvalidKey/.test(error.message)
          ? CryptorErrorReason.InvalidKey
          : CryptorErrorReason.InternalError;
  if (reason === CryptorErrorReason.MissingKey) return 'missing';
  if (reason === CryptorErrorReason.InvalidKey) return 'invalid';
  return 'internal';
}

function quality(value: string): ConnectionQuality {
  return value === 'excellent' || value === 'good' || value === 'poor' || value === 'lost'
    ? value
    : 'unknown';
}

function trackOf(
  publication: TrackPublication | undefined,
  isLocal: boolean,
  source: 'camera' | 'microphone' | 'screen-share' | 'screen-share-audio',
) {
  const track = publication?.track;
  return track && !publication.isMuted ? toCallTrack(track, isLocal, source) : undefined;
}

/** livekit-client's own logging goes through the redacting diagnostics log, not the console. */
function routeLivekitLogs(log: DiagnosticsLog): void {
  livekitLogTargets.add(log);
  if (livekitLogRouted) return;
  livekitLogRouted = true;
  setLogLevel('warn');
  setLogExtension((level, message) => {
    // Anything below warn is too chatty for diagnostics.
    if (level < LogLevel.warn) return;
    for (const target of livekitLogTargets)
      target.log('livekit', level >= LogLevel.error ? 'error' : 'warn', message);
  });
}
