import {
  ConnectionState,
  DisconnectReason,
  Encryption_Type,
  ParticipantEvent,
  RoomEvent,
  Track,
  type BaseKeyProvider,
  type LocalParticipant,
  type RemoteTrackPublication,
} from 'livekit-client';
import pRetry from 'p-retry';
import type { DiagnosticsLog } from './diagnostics.js';
import { describe } from './discovery.js';
import { TypedEmitter } from './emitter.js';
import { MatrixCallError } from './errors.js';
import { readMediaStats } from './media-stats.js';
import { foreignServiceUrls, type MemberInfo } from './membership.js';
import {
  readLocalParticipant,
  readRemoteParticipant,
  type LocalParticipantMedia,
  type ParticipantMedia,
} from './participant-media.js';
import {
  fetchSubscribeGrant,
  type OpenIdToken,
  type SfuAuthInput,
  type SfuGrant,
} from './sfu-auth.js';
import { SfuConnection, type SfuConnectionOptions } from './sfu-connection.js';
import { holdUntilSubscribed, releaseToAdaptiveStream } from './video-hold.js';
import { livekitAnswers } from './sfu-probe.js';
import { FIRST_GRANT_BACKOFF_MS, ForeignGrants, MAX_GRANT_BACKOFF_MS } from './foreign-grants.js';
import type { MediaStats } from './types.js';

/** Backoff for a remote SFU, kept up while a member publishes there (until REMOTE_GIVE_UP_MS). */
const REMOTE_FIRST_RETRY_MS = 1000;
const REMOTE_MAX_RETRY_MS = 3000;
/** A remote SFU that keeps failing is given up after this long, until memberships change. */
const REMOTE_GIVE_UP_MS = 120_000;
/** After a remote SFU drops us, wait this long before connecting to it again. */
const REMOTE_RECONNECT_MS = 1000;
/**
 * A connection LiveKit has been resuming for this long is treated as dropped.
 * LiveKit alone would retry its old token for about 40 s, and after an SFU
 * restart that can never work: the room is gone until a fresh grant recreates it.
 */
export const STALL_MS = 5000;
/** Camera video that left the screen stays subscribed this long, so paging back shows it at once. */
const VIDEO_LINGER_MS = 2000;
/** LiveKit applies a subscriber's pause after 100 ms without a change (and a resume at once). */
const KEYFRAME_PAUSE_MS = 200;

/**
 * Which SFUs named in other members' memberships we contact (each contact
 * sends them a fresh OpenID token): any, none, or these lk-jwt-service hosts.
 */
export type ForeignSfuPolicy = 'any' | 'none' | readonly string[];

/** Whether `policy` lets us contact the lk-jwt-service at `serviceUrl`. */
export function foreignSfuAllowed(policy: ForeignSfuPolicy, serviceUrl: string): boolean {
  if (policy === 'any') return true;
  if (policy === 'none') return false;
  try {
    return policy.includes(new URL(serviceUrl).host);
  } catch {
    return false;
  }
}

export interface SfuTiming {
  stallMs: number;
  /** Backoff of grant requests to a failing remote lk-jwt-service (see ForeignGrants). */
  grantFirstBackoffMs: number;
  grantMaxBackoffMs: number;
  remoteFirstRetryMs: number;
  remoteMaxRetryMs: number;
  remoteReconnectMs: number;
  remoteGiveUpMs: number;
  videoLingerMs: number;
  /** How long a subscription is paused to get a keyframe (see requestKeyframe). */
  keyframePauseMs: number;
}

const DEFAULT_TIMING: SfuTiming = {
  stallMs: STALL_MS,
  grantFirstBackoffMs: FIRST_GRANT_BACKOFF_MS,
  grantMaxBackoffMs: MAX_GRANT_BACKOFF_MS,
  remoteFirstRetryMs: REMOTE_FIRST_RETRY_MS,
  remoteMaxRetryMs: REMOTE_MAX_RETRY_MS,
  remoteReconnectMs: REMOTE_RECONNECT_MS,
  remoteGiveUpMs: REMOTE_GIVE_UP_MS,
  videoLingerMs: VIDEO_LINGER_MS,
  keyframePauseMs: KEYFRAME_PAUSE_MS,
};

export const SfuConnectionsEvent = {
  /** Participants, tracks, speaking or quality changed on some connection. */
  Changed: 'changed',
  /** Our own SFU connection is resuming after a network problem. */
  OwnReconnecting: 'ownReconnecting',
  OwnReconnected: 'ownReconnected',
  /** Our own SFU connection dropped or stalled; it is closed, and the session decides what next. */
  OwnDropped: 'ownDropped',
  /** LiveKit's frame cryptor reported an error for someone's media. */
  EncryptionError: 'encryptionError',
} as const;

export interface SfuConnectionsEventMap {
  [SfuConnectionsEvent.Changed]: () => void;
  [SfuConnectionsEvent.OwnReconnecting]: () => void;
  [SfuConnectionsEvent.OwnReconnected]: () => void;
  [SfuConnectionsEvent.OwnDropped]: (error: MatrixCallError) => void;
  [SfuConnectionsEvent.EncryptionError]: (error: Error, identity: string | undefined) => void;
}

export interface SfuConnectionsOptions {
  roomId: string;
  userId: string;
  deviceId: string;
  homeserver: string;
  getOpenIdToken: () => Promise<OpenIdToken>;
  e2eeWorkerUrl: string | URL | undefined;
  log: DiagnosticsLog;
  /** Which other members' SFUs we may send an OpenID token to; `'any'` by default. */
  foreignSfus?: ForeignSfuPolicy;
  /** Stall and remote retry timing; the constants above by default (unit tests shorten them). */
  timing?: Partial<SfuTiming>;
  /** Seams for unit tests; the real LiveKit connection and JWT request by default. */
  createConnection?: (options: SfuConnectionOptions) => SfuConnection;
  fetchSubscribeGrant?: (input: SfuAuthInput) => Promise<SfuGrant>;
  livekitAnswers?: (livekitUrl: string, signal?: AbortSignal) => Promise<boolean>;
}

export interface OwnConnectionInput {
  serviceUrl: string;
  grant: SfuGrant;
  keyProvider: BaseKeyProvider | undefined;
  /** A worker started ahead of time. */
  worker: Worker | undefined;
  memberId: string;
}

/**
 * The call's LiveKit connections: our own SFU, where we publish, and one
 * subscribe-only connection per other SFU that members publish on, kept in
 * line with the memberships. Only LiveKit participants backed by a valid
 * membership are subscribed to; anyone else on an SFU is neither shown nor heard.
 */
export class SfuConnections extends TypedEmitter<SfuConnectionsEventMap> {
  private own: SfuConnection | undefined;
  readonly #remotes = new Map<string, SfuConnection>();
  /** Remote SFUs being connected to, each with its retry loop's abort. */
  readonly #pending = new Map<string, AbortController>();
  readonly #ignored = new Set<string>();
  /** Participants whose unencrypted tracks we refused, logged once each. */
  readonly #unencrypted = new Set<string>();
  /** Foreign SFUs the policy keeps us from, logged once each. */
  readonly #refused = new Set<string>();
  /** How often each remote lk-jwt-service may be sent an OpenID token. */
  readonly #grants: ForeignGrants;
  /** LiveKit servers of remote SFUs we had grants for: checked token-less before a new grant. */
  readonly #livekitUrls = new Map<string, string>();
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  #members: readonly MemberInfo[] = [];
  #call: { serviceUrl: string; keyProvider: BaseKeyProvider | undefined; memberId: string };
  /** Participants whose camera video the UI shows; `undefined`: everyone's. */
  #shown: ReadonlySet<string> | undefined;
  /** Participants whose video left the screen, and until when it stays subscribed. */
  readonly #lingering = new Map<string, number>();
  /** Video whose keyframe pause ended while it was unsubscribed: resumed when taken again. */
  readonly #resumeWhenTaken = new Set<RemoteTrackPublication>();
  /** Video held paused until subscribed (video-hold.ts). */
  readonly #held = new WeakSet<RemoteTrackPublication>();
  /** Remote SFUs are followed only once our membership is out. */
  #followRemotes = false;
  readonly #timing: SfuTiming;

  constructor(private readonly options: SfuConnectionsOptions) {
    super();
    this.#timing = { ...DEFAULT_TIMING, ...options.timing };
    this.#grants = new ForeignGrants(
      this.#timing.grantFirstBackoffMs,
      this.#timing.grantMaxBackoffMs,
    );
    this.#call = { serviceUrl: '', keyProvider: undefined, memberId: '' };
  }

  /**
   * Connects to our own SFU, replacing a dropped connection if there is one;
   * returns the participant to publish local media on.
   */
  async connectOwn(input: OwnConnectionInput, signal: AbortSignal): Promise<LocalParticipant> {
    const { serviceUrl, keyProvider, memberId } = input;
    this.#call = { serviceUrl, keyProvider, memberId };
    const previous = this.own;
    if (previous && !previous.closingDown) await previous.close();
    const own = this.#create({
      serviceUrl,
      role: 'publish',
      keyProvider,
      e2eeWorkerUrl: this.options.e2eeWorkerUrl,
      worker: input.worker,
      log: this.options.log,
    });
    this.own = own;
    this.#wire(own);
    try {
      await own.connect(input.grant, signal);
    } catch (error) {
      await own.close();
      throw error;
    }
    this.#reconcileSubscriptions();
    this.emit(SfuConnectionsEvent.Changed);
    return own.room.localParticipant;
  }

  /** From now on, connect to the SFUs other members publish on. */
  followRemoteSfus(): void {
    this.#followRemotes = true;
    this.#reconcileConnections();
  }

  setMembers(members: readonly MemberInfo[]): void {
    this.#members = members;
    if (this.#followRemotes) this.#reconcileConnections();
    this.#reconcileSubscriptions();
  }

  /**
   * Which participants' camera video is on screen: the others' is unsubscribed (after
   * `videoLingerMs`), so a large call receives only what it draws. `undefined`, the
   * default, takes everyone's. Audio and screen shares are always taken.
   */
  setVisibleParticipants(ids: readonly string[] | undefined): void {
    const next = ids && new Set(ids);
    const until = Date.now() + this.#timing.videoLingerMs;
    if (next && this.#shown)
      for (const id of this.#shown) if (!next.has(id)) this.#lingering.set(id, until);
    for (const id of next ?? []) this.#lingering.delete(id);
    if (!next) this.#lingering.clear();
    this.#shown = next;
    this.#reconcileSubscriptions();
    // A little after the deadline: a timer may fire a millisecond early by Date.now().
    if (this.#lingering.size > 0)
      this.#later(() => {
        this.#reconcileSubscriptions();
      }, this.#timing.videoLingerMs + 10);
  }

  /** The SFU we publish on; changes if the one we first chose refused us. */
  get ownServiceUrl(): string {
    return this.#call.serviceUrl;
  }

  /** Whether we are connected to the SFU of the lk-jwt-service at `serviceUrl` now. */
  isConnectedTo(serviceUrl: string): boolean {
    const connection =
      serviceUrl === this.#call.serviceUrl ? this.own : this.#remotes.get(serviceUrl);
    return connection?.room.state === ConnectionState.Connected;
  }

  /** Our own participant's media, while connected to our SFU. */
  localMedia(): LocalParticipantMedia | undefined {
    return this.own && readLocalParticipant(this.own.room.localParticipant);
  }

  /** Remote participants' media by LiveKit identity, over all connections. */
  remoteMedia(): Map<string, ParticipantMedia> {
    const out = new Map<string, ParticipantMedia>();
    for (const connection of this.#connections()) {
      for (const p of connection.room.remoteParticipants.values())
        if (!out.has(p.identity)) out.set(p.identity, readRemoteParticipant(p));
    }
    return out;
  }

  /**
   * Makes the SFU ask `identity`'s publisher for a keyframe of each video we receive of
   * theirs. livekit-client cannot send a PLI; a paused and resumed subscription makes the
   * SFU wait for a keyframe, which it requests at once. The pause must outlast the SFU's
   * 100 ms debounce of pauses, or it is never applied. Returns how many tracks.
   */
  requestKeyframe(identity: string): number {
    const paused: RemoteTrackPublication[] = [];
    for (const connection of this.#connections()) {
      const participant = connection.room.remoteParticipants.get(identity);
      for (const publication of participant?.trackPublications.values() ?? []) {
        // Not what adaptive stream paused (hidden), nor what is not coming in.
        if (publication.kind !== Track.Kind.Video || !publication.isSubscribed) continue;
        if (!publication.isEnabled) continue;
        publication.setEnabled(false);
        paused.push(publication);
      }
    }
    if (paused.length > 0)
      this.#later(() => {
        for (const publication of paused) this.#resume(publication);
      }, this.#timing.keyframePauseMs);
    return paused.length;
  }

  /** Ends a keyframe pause; one on a track unsubscribed meanwhile ends when it is taken again. */
  #resume(publication: RemoteTrackPublication): void {
    if (!publication.isDesired) {
      this.#resumeWhenTaken.add(publication);
      return;
    }
    this.#resumeWhenTaken.delete(publication);
    publication.setEnabled(true);
  }

  readStats(): Promise<MediaStats[]> {
    return readMediaStats(this.#connections().map((c) => c.room));
  }

  /** Disconnects everything; safe to call at any time. */
  async closeAll(): Promise<void> {
    this.#followRemotes = false;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#resumeWhenTaken.clear();
    const all = this.#connections();
    this.own = undefined;
    this.#remotes.clear();
    for (const abort of this.#pending.values()) abort.abort();
    this.#pending.clear();
    this.#ignored.clear();
    await Promise.all(all.map((c) => c.close()));
  }

  #create(options: SfuConnectionOptions): SfuConnection {
    const withDead: SfuConnectionOptions = {
      ...options,
      onDead: (connection) => {
        this.#dropped(connection, 'the SFU is down or lost the room');
      },
    };
    return this.options.createConnection?.(withDead) ?? new SfuConnection(withDead);
  }

  /** A method, not the field: it changes while a connect awaits. */
  #following(): boolean {
    return this.#followRemotes;
  }

  dispose(): void {
    void this.closeAll();
    this.removeAllListeners();
  }

  #connections(): SfuConnection[] {
    return [this.own, ...this.#remotes.values()].filter((c): c is SfuConnection => c !== undefined);
  }

  #later(run: () => void, ms: number): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      run();
    }, ms);
    this.#timers.add(timer);
  }

  #reconcileConnections(): void {
    const { log } = this.options;
    const policy = this.options.foreignSfus ?? 'any';
    const wanted = new Set(
      foreignServiceUrls(this.#members, this.#call.serviceUrl).filter((url) => {
        if (foreignSfuAllowed(policy, url)) return true;
        if (!this.#refused.has(url)) {
          this.#refused.add(url);
          log.warn('livekit', 'a member publishes on an SFU our policy does not let us contact', {
            sfu: url,
          });
        }
        return false;
      }),
    );
    for (const [url, connection] of this.#remotes) {
      if (!wanted.has(url)) {
        this.#remotes.delete(url);
        log.info('livekit', 'no member uses this SFU any more; disconnecting', { sfu: url });
        void connection.close();
      }
    }
    for (const [url, abort] of this.#pending) {
      if (!wanted.has(url)) {
        this.#pending.delete(url);
        abort.abort();
      }
    }
    for (const url of wanted) {
      if (!this.#remotes.has(url) && !this.#pending.has(url)) void this.#connectRemote(url);
    }
  }

  /** Connects to a remote SFU, retrying with backoff while a member still publishes there. */
  async #connectRemote(serviceUrl: string): Promise<void> {
    if (!this.#followRemotes) return;
    const { log } = this.options;
    const abort = new AbortController();
    this.#pending.set(serviceUrl, abort);
    try {
      await pRetry(
        async () => {
          const opened = await this.#openRemote(serviceUrl, abort.signal);
          if (opened.closingDown) throw new Error('dropped while connecting');
          // Taken in here, not once pRetry settles: the connection is live from now on.
          if (abort.signal.aborted || !this.#following()) {
            await opened.close();
            return;
          }
          this.#remotes.set(serviceUrl, opened);
          this.#reconcileSubscriptions();
          this.emit(SfuConnectionsEvent.Changed);
        },
        {
          retries: Number.POSITIVE_INFINITY,
          maxRetryTime: this.#timing.remoteGiveUpMs,
          minTimeout: this.#timing.remoteFirstRetryMs,
          maxTimeout: this.#timing.remoteMaxRetryMs,
          randomize: true,
          signal: abort.signal,
          onFailedAttempt: ({ error, attemptNumber }) => {
            // Members on that SFU stay "waiting for media" meanwhile.
            log.error('livekit', 'could not subscribe on a remote SFU', {
              sfu: serviceUrl,
              attempt: attemptNumber,
              error: describe(error),
            });
          },
        },
      );
    } catch (error) {
      if (!abort.signal.aborted)
        log.error('livekit', 'gave up on a remote SFU until the memberships change', {
          sfu: serviceUrl,
          error: describe(error),
        });
      // Otherwise aborted: nobody publishes there any more, or we left.
    } finally {
      if (this.#pending.get(serviceUrl) === abort) this.#pending.delete(serviceUrl);
    }
  }

  async #openRemote(serviceUrl: string, signal: AbortSignal): Promise<SfuConnection> {
    const { log, roomId, userId, deviceId, homeserver, getOpenIdToken } = this.options;
    const { keyProvider, memberId } = this.#call;
    const connection = this.#create({
      serviceUrl,
      role: 'subscribe',
      keyProvider,
      e2eeWorkerUrl: this.options.e2eeWorkerUrl,
      log,
    });
    try {
      // A remote SFU we knew that is down costs its homeserver and auth service nothing.
      const known = this.#livekitUrls.get(serviceUrl);
      const answers = this.options.livekitAnswers ?? livekitAnswers;
      if (known && !(await answers(known, signal))) throw new Error('the SFU does not answer');
      await this.#grants.turn(serviceUrl, signal);
      let grant: SfuGrant;
      try {
        grant = await (this.options.fetchSubscribeGrant ?? fetchSubscribeGrant)({
          serviceUrl,
          roomId,
          userId,
          deviceId,
          homeserver,
          memberId,
          getOpenIdToken,
          log,
        });
      } catch (error) {
        this.#grants.failed(serviceUrl);
        throw error;
      }
      this.#grants.granted(serviceUrl);
      signal.throwIfAborted();
      this.#livekitUrls.set(serviceUrl, grant.url);
      this.#wire(connection);
      await connection.connect(grant, signal);
      signal.throwIfAborted();
      return connection;
    } catch (error) {
      await connection.close();
      throw error;
    }
  }

  /** Whether we take `identity`'s camera video: shown, lingering, or no UI said. */
  #videoWanted(identity: string, now: number): boolean {
    if (!this.#shown || this.#shown.has(identity)) return true;
    const until = this.#lingering.get(identity);
    if (until !== undefined && until <= now) this.#lingering.delete(identity);
    return until !== undefined && until > now;
  }

  #reconcileSubscriptions(): void {
    const valid = new Set(this.#members.map((m) => m.identity));
    const now = Date.now();
    for (const connection of this.#connections()) {
      if (connection.room.state !== ConnectionState.Connected) continue;
      for (const participant of connection.room.remoteParticipants.values()) {
        const allowed = valid.has(participant.identity);
        if (!allowed && !this.#ignored.has(participant.identity)) {
          this.#ignored.add(participant.identity);
          this.options.log.warn(
            'livekit',
            'ignoring a LiveKit participant without a valid membership',
            { participant: participant.identity, sfu: connection.serviceUrl },
          );
        } else if (allowed) {
          this.#ignored.delete(participant.identity);
        }
        for (const publication of participant.trackPublications.values()) {
          const take =
            allowed &&
            this.#encryptedEnough(publication, participant.identity) &&
            (publication.source !== Track.Source.Camera ||
              this.#videoWanted(participant.identity, now));
          if (publication.isDesired !== take) {
            publication.setSubscribed(take);
            if (take && holdUntilSubscribed(publication)) this.#held.add(publication);
          }
          if (take && this.#resumeWhenTaken.has(publication)) this.#resume(publication);
        }
      }
    }
  }

  /**
   * In an encrypted call, a track its publisher says is unencrypted is never taken:
   * livekit-client would pass its frames through in the clear (older clients that
   * send no keys publish so).
   */
  #encryptedEnough(publication: RemoteTrackPublication, identity: string): boolean {
    if (!this.#call.keyProvider || publication.trackInfo?.encryption !== Encryption_Type.NONE)
      return true;
    if (!this.#unencrypted.has(identity)) {
      this.#unencrypted.add(identity);
      this.options.log.warn('e2ee', 'not subscribing to unencrypted media in an encrypted call', {
        participant: identity,
      });
    }
    return false;
  }

  #wire(connection: SfuConnection): void {
    const room = connection.room;
    const isOwn = () => connection === this.own;
    const onChange = () => {
      this.emit(SfuConnectionsEvent.Changed);
    };
    const onParticipant = () => {
      this.#reconcileSubscriptions();
      this.emit(SfuConnectionsEvent.Changed);
    };
    let stall: ReturnType<typeof setTimeout> | undefined;
    const unstall = () => {
      clearTimeout(stall);
      stall = undefined;
    };
    const onReconnecting = () => {
      if (isOwn()) this.emit(SfuConnectionsEvent.OwnReconnecting);
      stall ??= setTimeout(() => {
        stall = undefined;
        this.#dropped(connection, 'stalled while reconnecting');
      }, this.#timing.stallMs);
    };
    room
      .on(RoomEvent.ParticipantConnected, onParticipant)
      .on(RoomEvent.ParticipantDisconnected, onParticipant)
      .on(RoomEvent.TrackPublished, onParticipant)
      .on(RoomEvent.TrackUnpublished, onChange)
      .on(RoomEvent.TrackSubscribed, (_track, publication) => {
        if (this.#held.delete(publication)) releaseToAdaptiveStream(publication);
        onChange();
      })
      .on(RoomEvent.TrackUnsubscribed, onChange)
      .on(RoomEvent.TrackMuted, onChange)
      .on(RoomEvent.TrackUnmuted, onChange)
      .on(RoomEvent.ActiveSpeakersChanged, onChange)
      .on(RoomEvent.ConnectionQualityChanged, onChange)
      .on(RoomEvent.LocalTrackPublished, onChange)
      .on(RoomEvent.LocalTrackUnpublished, onChange)
      .on(RoomEvent.ParticipantNameChanged, onChange)
      .on(RoomEvent.EncryptionError, (error, participant) => {
        this.emit(SfuConnectionsEvent.EncryptionError, error, participant?.identity);
      })
      // A signalling-only resume (SignalReconnecting) also counts: media may stall meanwhile.
      .on(RoomEvent.Reconnecting, onReconnecting)
      .on(RoomEvent.SignalReconnecting, onReconnecting)
      .on(RoomEvent.Reconnected, () => {
        unstall();
        if (isOwn()) this.emit(SfuConnectionsEvent.OwnReconnected);
      })
      .on(RoomEvent.Disconnected, (reason) => {
        unstall();
        this.#dropped(connection, reason === undefined ? 'unknown' : DisconnectReason[reason]);
      });
    room.localParticipant.on(ParticipantEvent.IsSpeakingChanged, onChange);
  }

  /** A connection the server or network took from us, or one that stalled: close it, then recover. */
  #dropped(connection: SfuConnection, why: string): void {
    if (connection.closingDown) return;
    void connection.close();
    if (connection === this.own) {
      this.emit(SfuConnectionsEvent.OwnDropped, MatrixCallError.connectionLost(new Error(why)));
      return;
    }
    if (this.#remotes.get(connection.serviceUrl) !== connection) return;
    this.options.log.warn('livekit', 'lost a remote SFU; connecting again', {
      sfu: connection.serviceUrl,
      why,
    });
    this.#remotes.delete(connection.serviceUrl);
    this.emit(SfuConnectionsEvent.Changed);
    if (this.#followRemotes)
      this.#later(() => {
        this.#reconcileConnections();
      }, this.#timing.remoteReconnectMs);
  }
}
