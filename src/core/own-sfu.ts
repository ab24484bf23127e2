import type { LocalParticipant } from 'livekit-client';
import type { DiagnosticsLog } from './diagnostics.js';
import { MatrixCallError } from './errors.js';
import type { MatrixSession } from './matrix-session.js';
import type { MediaEncryption } from './media-encryption.js';
import type { MemberInfo } from './membership.js';
import { fetchPublishGrant, type OpenIdToken } from './sfu-auth.js';
import type { SfuConnections } from './sfu-connections.js';
import { livekitAnswers } from './sfu-probe.js';
import { recoverOwnSfu } from './sfu-recovery.js';

export interface OwnSfuOptions {
  matrix: MatrixSession;
  roomId: string;
  encryption: MediaEncryption;
  connections: SfuConnections;
  /** The call's members now, oldest first. */
  members: () => readonly MemberInfo[];
  log: DiagnosticsLog;
}

/** Where we publish in this call, and under which member ID. */
export interface Publishing {
  serviceUrl: string;
  memberId: string;
}

/**
 * Where we publish: the grant and the connection to our SFU, or to the SFU
 * of the call under way when ours will not create the room for us, and
 * getting back on after the SFU dropped us.
 */
export class OwnSfu {
  #publishing: Publishing | undefined;
  /** The LiveKit server of our last grant: checked (token-less) before asking for a new one. */
  #livekitUrl: string | undefined;

  constructor(private readonly options: OwnSfuOptions) {}

  get publishing(): Publishing | undefined {
    return this.#publishing;
  }

  /**
   * Authorizes on and connects to our SFU. If it refuses to create the call's
   * LiveKit room for us (lk-jwt-service only does so for its own homeservers'
   * users) and a call is under way, publishes where its oldest member does.
   */
  async connect(input: {
    ownServiceUrl: string;
    memberId: string;
    openId: Promise<OpenIdToken>;
    signal: AbortSignal;
    onStep: (step: 'authorizing' | 'connecting') => void;
  }): Promise<Publishing & { participant: LocalParticipant }> {
    const { ownServiceUrl, memberId, openId, signal, onStep } = input;
    const { matrix, log } = this.options;
    try {
      const participant = await this.#connect(
        { serviceUrl: ownServiceUrl, memberId },
        signal,
        onStep,
        openId,
      );
      return { serviceUrl: ownServiceUrl, memberId, participant };
    } catch (error) {
      const joined = this.options
        .members()
        .find(
          (m) =>
            m.serviceUrl &&
            m.serviceUrl !== ownServiceUrl &&
            !(m.userId === matrix.userId && m.deviceId === matrix.deviceId),
        )?.serviceUrl;
      if (!MatrixCallError.is(error, 'sfu-room-creation-restricted') || !joined) throw error;
      log.warn(
        'livekit',
        'our SFU does not create rooms for us; publishing on the SFU of the call under way',
        { ours: ownServiceUrl, theirs: joined },
      );
      const participant = await this.#connect({ serviceUrl: joined, memberId }, signal, onStep);
      return { serviceUrl: joined, memberId, participant };
    }
  }

  /**
   * Gets back onto the SFU we publish on, with a fresh grant and `republish`
   * on the new connection; the membership is left alone. Resolves with the
   * number of attempts; rejects once `giveUpAfterMs` has passed.
   */
  async reconnect(
    republish: (participant: LocalParticipant) => Promise<void>,
    signal: AbortSignal,
    giveUpAfterMs: number,
  ): Promise<number> {
    const publishing = this.#publishing;
    if (!publishing) throw MatrixCallError.invalidConfig('reconnect(): not publishing');
    return recoverOwnSfu(
      async () => {
        // While the SFU is down, don't load the homeserver and auth service with grants.
        const livekit = this.#livekitUrl;
        if (livekit && !(await livekitAnswers(livekit, signal)))
          throw MatrixCallError.livekitConnectFailed(new Error('the SFU does not answer'));
        await republish(await this.#connect(publishing, signal));
      },
      { signal, log: this.options.log, giveUpAfterMs, sfu: publishing.serviceUrl },
    );
  }

  /** After leaving. */
  forget(): void {
    this.#publishing = undefined;
    this.#livekitUrl = undefined;
  }

  /** A fresh publishing grant, then a new connection to the SFU behind it. */
  async #connect(
    publishing: Publishing,
    signal: AbortSignal,
    onStep?: (step: 'authorizing' | 'connecting') => void,
    prefetchedToken?: Promise<OpenIdToken>,
  ): Promise<LocalParticipant> {
    const { matrix, roomId, encryption, connections, log } = this.options;
    const { serviceUrl, memberId } = publishing;
    this.#publishing = publishing;
    onStep?.('authorizing');
    const grant = await fetchPublishGrant({
      serviceUrl,
      roomId,
      userId: matrix.userId,
      deviceId: matrix.deviceId,
      homeserver: matrix.homeserver,
      memberId,
      getOpenIdToken: () => matrix.client.getOpenIdToken(),
      prefetchedToken,
      log,
      signal,
    });
    this.#livekitUrl = grant.url;
    onStep?.('connecting');
    const keyProvider = encryption.keyProvider ?? (await encryption.createKeyProvider());
    return connections.connectOwn(
      { serviceUrl, grant, keyProvider, worker: encryption.takeWorker(), memberId },
      signal,
    );
  }
}
