import {
  ConnectionState,
  DisconnectReason,
  ParticipantEvent,
  RoomEvent,
  type BaseKeyProvider,
  type LocalParticipant,
} from 'livekit-client';
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
import type { MediaStats } from './types.js';

const REMOTE_ATTEMPTS = 3;
const REMOTE_RETRY_MS = 3000;
/** After a remote SFU drops us, wait this long before connecting to it again. */
const REMOTE_RECONNECT_MS = 2000;

export const SfuConnectionsEvent = {
  /** Participants, tracks, speaking or quality changed on some connection. */
  Changed: 'changed',
  /** Our own SFU connection is resuming after a network problem. */
  OwnReconnecting: 'ownReconnecting',
  OwnReconnected: 'ownReconnected',
  /** Our own SFU connection is gone for good. */
  OwnLost: 'ownLost',
  /** LiveKit's frame cryptor reported an error for someone's media. */
  EncryptionError: 'encryptionError',
} as const;

export interface SfuConnectionsEventMap {
  [SfuConnectionsEvent.Changed]: () => void;
  [SfuConnectionsEvent.OwnReconnecting]: () => void;
  [SfuConnectionsEvent.OwnReconnected]: () => void;
  [SfuConnectionsEvent.OwnLost]: (error: MatrixCallError) => void;
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
  /** Seams for unit tests; the real LiveKit connection and JWT request by default. */
  createConnection?: (options: SfuConnectionOptions) => SfuConnection;
  fetchSubscribeGrant?: (input: SfuAuthInput) => Promise<SfuGrant>;
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
  private readonly remotes = new Map<string, SfuConnection>();
  private readonly pending = new Set<string>();
  private readonly ignored = new Set<string>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private members: readonly MemberInfo[] = [];
  private call: { serviceUrl: string; keyProvider: BaseKeyProvider | undefined; memberId: string };
  /** Remote SFUs are followed only once our membership is out. */
  private followRemotes = false;

  constructor(private readonly options: SfuConnectionsOptions) {
    super();
    this.call = { serviceUrl: '', keyProvider: undefined, memberId: '' };
  }

  /** Connects to our own SFU; returns the participant to publish local media on. */
  async connectOwn(input: OwnConnectionInput, signal: AbortSignal): Promise<LocalParticipant> {
    const { serviceUrl, keyProvider, memberId } = input;
    this.call = { serviceUrl, keyProvider, memberId };
    const own = this.create({
      serviceUrl,
      role: 'publish',
      keyProvider,
      e2eeWorkerUrl: this.options.e2eeWorkerUrl,
      worker: input.worker,
      log: this.options.log,
    });
    this.own = own;
    this.wire(own);
    await own.connect(input.grant, signal);
    return own.room.localParticipant;
  }

  /** From now on, connect to the SFUs other members publish on. */
  followRemoteSfus(): void {
    this.followRemotes = true;
    this.reconcileConnections();
  }

  setMembers(members: readonly MemberInfo[]): void {
    this.members = members;
    if (this.followRemotes) this.reconcileConnections();
    this.reconcileSubscriptions();
  }

  /** Our own participant's media, while connected to our SFU. */
  localMedia(): LocalParticipantMedia | undefined {
    return this.own && readLocalParticipant(this.own.room.localParticipant);
  }

  /** Remote participants' media by LiveKit identity, over all connections. */
  remoteMedia(): Map<string, ParticipantMedia> {
    const out = new Map<string, ParticipantMedia>();
    for (const connection of this.connections()) {
      for (const p of connection.room.remoteParticipants.values())
        if (!out.has(p.identity)) out.set(p.identity, readRemoteParticipant(p));
    }
    return out;
  }

  readStats(): Promise<MediaStats[]> {
    return readMediaStats(this.connections().map((c) => c.room));
  }

  /** Disconnects everything; safe to call at any time. */
  async closeAll(): Promise<void> {
    this.followRemotes = false;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const all = this.connections();
    this.own = undefined;
    this.remotes.clear();
    this.pending.clear();
    this.ignored.clear();
    await Promise.all(all.map((c) => c.close()));
  }

  private create(options: SfuConnectionOptions): SfuConnection {
    return this.options.createConnection?.(options) ?? new SfuConnection(options);
  }

  /** A method, not the field: it changes while a connect awaits. */
  private following(): boolean {
    return this.followRemotes;
  }

  dispose(): void {
    void this.closeAll();
    this.removeAllListeners();
  }

  private connections(): SfuConnection[] {
    return [this.own, ...this.remotes.values()].filter((c): c is SfuConnection => c !== undefined);
  }

  private later(run: () => void, ms: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      run();
    }, ms);
    this.timers.add(timer);
  }

  private reconcileConnections(): void {
    const { log } = this.options;
    const wanted = new Set(foreignServiceUrls(this.members, this.call.serviceUrl));
    for (const [url, connection] of this.remotes) {
      if (!wanted.has(url)) {
        this.remotes.delete(url);
        log.info('livekit', 'no member uses this SFU any more; disconnecting', { sfu: url });
        void connection.close();
      }
    }
    for (const url of wanted) {
      if (!this.remotes.has(url) && !this.pending.has(url)) void this.connectRemote(url);
    }
  }

  private async connectRemote(serviceUrl: string, attempt = 1): Promise<void> {
    if (!this.followRemotes) return;
    const { log, roomId, userId, deviceId, homeserver, getOpenIdToken } = this.options;
    const { keyProvider, memberId } = this.call;
    this.pending.add(serviceUrl);
    const connection = this.create({
      serviceUrl,
      role: 'subscribe',
      keyProvider,
      e2eeWorkerUrl: this.options.e2eeWorkerUrl,
      log,
    });
    try {
      const grant = await (this.options.fetchSubscribeGrant ?? fetchSubscribeGrant)({
        serviceUrl,
        roomId,
        userId,
        deviceId,
        homeserver,
        memberId,
        getOpenIdToken,
        log,
      });
      if (!this.pending.has(serviceUrl)) {
        await connection.close(); // left meanwhile
        return;
      }
      this.wire(connection);
      await connection.connect(grant);
      if (!this.pending.has(serviceUrl) || !this.following()) {
        await connection.close();
        return;
      }
      this.remotes.set(serviceUrl, connection);
      this.reconcileSubscriptions();
      this.emit(SfuConnectionsEvent.Changed);
    } catch (error) {
      await connection.close();
      log.error('livekit', 'could not subscribe on a remote SFU', {
        sfu: serviceUrl,
        attempt,
        error: describe(error),
      });
      // Members on that SFU stay "waiting for media"; try again a little later.
      if (attempt < REMOTE_ATTEMPTS && this.following()) {
        this.later(() => {
          this.pending.delete(serviceUrl);
          if (!this.remotes.has(serviceUrl)) void this.connectRemote(serviceUrl, attempt + 1);
        }, REMOTE_RETRY_MS * attempt);
        return;
      }
    } finally {
      if (attempt >= REMOTE_ATTEMPTS || this.remotes.has(serviceUrl))
        this.pending.delete(serviceUrl);
    }
  }

  private reconcileSubscriptions(): void {
    const valid = new Set(this.members.map((m) => m.identity));
    for (const connection of this.connections()) {
      if (connection.room.state !== ConnectionState.Connected) continue;
      for (const participant of connection.room.remoteParticipants.values()) {
        const allowed = valid.has(participant.identity);
        if (!allowed && !this.ignored.has(participant.identity)) {
          this.ignored.add(participant.identity);
          this.options.log.warn(
            'livekit',
            'ignoring a LiveKit participant without a valid membership',
            { participant: participant.identity, sfu: connection.serviceUrl },
          );
        } else if (allowed) {
          this.ignored.delete(participant.identity);
        }
        for (const publication of participant.trackPublications.values()) {
          if (publication.isDesired !== allowed) publication.setSubscribed(allowed);
        }
      }
    }
  }

  private wire(connection: SfuConnection): void {
    const room = connection.room;
    const isOwn = () => connection === this.own;
    const onChange = () => {
      this.emit(SfuConnectionsEvent.Changed);
    };
    const onParticipant = () => {
      this.reconcileSubscriptions();
      this.emit(SfuConnectionsEvent.Changed);
    };
    const onReconnecting = () => {
      if (isOwn()) this.emit(SfuConnectionsEvent.OwnReconnecting);
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
        this.emit(SfuConnectionsEvent.EncryptionError, error, participant?.identity);
      })
      // A signalling-only resume (SignalReconnecting) also counts: media may stall meanwhile.
      .on(RoomEvent.Reconnecting, onReconnecting)
      .on(RoomEvent.SignalReconnecting, onReconnecting)
      .on(RoomEvent.Reconnected, () => {
        if (isOwn()) this.emit(SfuConnectionsEvent.OwnReconnected);
      })
      .on(RoomEvent.Disconnected, (reason) => {
        this.onDisconnected(connection, reason);
      });
    room.localParticipant.on(ParticipantEvent.IsSpeakingChanged, onChange);
  }

  private onDisconnected(connection: SfuConnection, reason: DisconnectReason | undefined): void {
    if (connection.closingDown) return;
    if (connection === this.own) {
      this.emit(
        SfuConnectionsEvent.OwnLost,
        MatrixCallError.connectionLost(
          new Error(reason === undefined ? 'unknown' : DisconnectReason[reason]),
        ),
      );
      return;
    }
    this.remotes.delete(connection.serviceUrl);
    this.emit(SfuConnectionsEvent.Changed);
    if (this.followRemotes)
      this.later(() => {
        this.reconcileConnections();
      }, REMOTE_RECONNECT_MS);
  }
}
