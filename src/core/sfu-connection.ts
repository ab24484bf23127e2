import {
  AudioPresets,
  ConnectionError,
  ConnectionErrorReason,
  DisconnectReason,
  Room,
  RoomEvent,
  VideoPresets,
  type BaseKeyProvider,
  type RoomOptions,
} from 'livekit-client';
import type { DiagnosticsLog } from './diagnostics.js';
import { describe } from './discovery.js';
import { createE2eeWorker } from './e2ee-worker.js';
import { MatrixCallError } from './errors.js';
import { cameraCapture, microphoneCapture } from './local-media.js';
import type { SfuGrant } from './sfu-auth.js';
import { ProbingReconnectPolicy, probeSfu } from './sfu-probe.js';

export interface SfuConnectionOptions {
  /** lk-jwt-service URL this connection belongs to. */
  serviceUrl: string;
  /** Our own SFU (we publish) or another member's (subscribe only). */
  role: 'publish' | 'subscribe';
  keyProvider: BaseKeyProvider | undefined;
  e2eeWorkerUrl: string | URL | undefined;
  /** A worker started ahead of time (in the lobby); one is created otherwise. */
  worker?: Worker;
  log: DiagnosticsLog;
  /** LiveKit lost the SFU, and a probe says resuming cannot work: it is down, or lost the room. */
  onDead?: (connection: SfuConnection) => void;
}

/**
 * Room options matched to Element Call (src/livekit/options.ts): adaptive
 * stream and dynacast, VP8 with VP8 backup, simulcast h180/h360, music audio
 * preset with DTX, and RED off because RED breaks under E2EE.
 */
export function roomOptions(
  keyProvider: BaseKeyProvider | undefined,
  worker: Worker | undefined,
  reconnectPolicy?: RoomOptions['reconnectPolicy'],
): RoomOptions {
  return {
    ...(reconnectPolicy ? { reconnectPolicy } : {}),
    adaptiveStream: true,
    dynacast: true,
    videoCaptureDefaults: cameraCapture,
    audioCaptureDefaults: microphoneCapture,
    publishDefaults: {
      audioPreset: AudioPresets.music,
      dtx: true,
      red: false,
      forceStereo: false,
      simulcast: true,
      videoSimulcastLayers: [VideoPresets.h180, VideoPresets.h360],
      videoCodec: 'vp8',
      backupCodec: { codec: 'vp8', encoding: VideoPresets.h720.encoding },
      stopMicTrackOnMute: false,
    },
    stopLocalTrackOnUnpublish: true,
    disconnectOnPageLeave: true,
    webAudioMix: false,
    ...(keyProvider && worker ? { encryption: { keyProvider, worker } } : {}),
  };
}

/**
 * One LiveKit room on one SFU. Every connection gets its own E2EE worker:
 * LiveKit's workers get confused when given streams from several rooms.
 */
export class SfuConnection {
  readonly room: Room;
  readonly serviceUrl: string;
  readonly role: 'publish' | 'subscribe';
  readonly #worker: Worker | undefined;
  readonly #log: DiagnosticsLog;
  #closing = false;
  #grant: SfuGrant | undefined;

  constructor(options: SfuConnectionOptions) {
    this.serviceUrl = options.serviceUrl;
    this.role = options.role;
    this.#log = options.log;
    this.#worker = options.keyProvider
      ? (options.worker ?? createE2eeWorker(options.e2eeWorkerUrl, options.log))
      : undefined;
    const policy = new ProbingReconnectPolicy(() => {
      void this.#probeBeforeResume(options.onDead);
    });
    this.room = new Room(roomOptions(options.keyProvider, this.#worker, policy));
    this.room
      .on(RoomEvent.ConnectionStateChanged, (state) =>
        this.#log.info('livekit', `connection ${state}`, { sfu: this.serviceUrl, role: this.role }),
      )
      .on(RoomEvent.Disconnected, (reason) => {
        if (!this.#closing) {
          this.#log.warn('livekit', 'disconnected by the server or network', {
            sfu: this.serviceUrl,
            reason: reason === undefined ? 'unknown' : DisconnectReason[reason],
          });
        }
      })
      .on(RoomEvent.TrackSubscribed, (track, _pub, participant) =>
        this.#log.info('livekit', 'track subscribed', {
          source: track.source,
          participant: participant.identity,
        }),
      )
      .on(RoomEvent.TrackSubscriptionFailed, (sid, participant, reason) =>
        this.#log.error('livekit', 'track subscription failed', {
          track: sid,
          participant: participant.identity,
          reason: reason === undefined ? 'unknown' : String(reason),
        }),
      )
      .on(RoomEvent.LocalTrackPublished, (pub) =>
        this.#log.info('livekit', 'track published', { source: pub.source }),
      )
      .on(RoomEvent.EncryptionError, (error, participant) =>
        this.#log.warn('e2ee', 'encryption error', {
          error: describe(error),
          participant: participant?.identity ?? null,
        }),
      );
  }

  get closingDown(): boolean {
    return this.#closing;
  }

  async #probeBeforeResume(onDead: SfuConnectionOptions['onDead']): Promise<void> {
    const grant = this.#grant;
    if (!grant || this.#closing) return;
    const probe = await probeSfu(grant);
    if (probe === 'ok' || this.closingDown) return; // closed while we asked
    this.#log.warn('livekit', 'the SFU cannot take us back as we were', {
      sfu: this.serviceUrl,
      probe,
    });
    onDead?.(this);
  }

  /**
   * Connects with a grant; with E2EE, frames are encrypted from the first packet.
   * Asks the SFU first, so a down SFU or a missing room never costs a failing
   * WebSocket (whose URL, JWT included, the browser would log).
   */
  async connect(grant: SfuGrant, signal?: AbortSignal): Promise<void> {
    this.#grant = grant;
    const [probe] = await Promise.all([
      probeSfu(grant, signal),
      this.#worker ? this.room.setE2EEEnabled(true) : undefined,
    ]);
    if (probe !== 'ok') {
      this.#log.error('livekit', 'the SFU will not take us', { sfu: this.serviceUrl, probe });
      if (probe === 'no-room') throw MatrixCallError.sfuRoomCreationRestricted();
      throw MatrixCallError.livekitConnectFailed(
        new Error(probe === 'refused' ? 'the SFU refused our token' : 'the SFU does not answer'),
      );
    }
    const abort = () => void this.room.disconnect();
    signal?.addEventListener('abort', abort, { once: true });
    try {
      await this.room.connect(grant.url, grant.jwt, {
        autoSubscribe: false, // we subscribe only to participants with a valid membership
      });
    } catch (error) {
      signal?.throwIfAborted();
      throw this.#connectError(error);
    } finally {
      signal?.removeEventListener('abort', abort);
    }
    this.#log.info('livekit', 'connected', {
      sfu: this.serviceUrl,
      role: this.role,
      e2ee: Boolean(this.#worker),
      alias: grant.livekitAlias,
    });
  }

  #connectError(error: unknown): MatrixCallError {
    this.#log.error('livekit', 'could not connect to the SFU', {
      sfu: this.serviceUrl,
      error: describe(error),
    });
    if (error instanceof ConnectionError) {
      // lk-jwt-service only creates LiveKit rooms for its own homeservers' users.
      const noRoom = error.status === 404 || /room does not exist/i.test(error.message);
      if (noRoom) return MatrixCallError.sfuRoomCreationRestricted();
      if (error.reason === ConnectionErrorReason.Cancelled) return MatrixCallError.aborted();
    }
    return MatrixCallError.livekitConnectFailed(error);
  }

  async close(): Promise<void> {
    this.#closing = true;
    try {
      await this.room.disconnect(true);
    } catch (error) {
      this.#log.warn('livekit', 'disconnect failed', { error: describe(error) });
    }
    this.#worker?.terminate();
  }
}
