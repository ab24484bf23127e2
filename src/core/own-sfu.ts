import type { LocalParticipant } from 'livekit-client';
import type { DiagnosticsLog } from './diagnostics.js';
import { MatrixCallError } from './errors.js';
import type { MatrixSession } from './matrix-session.js';
import { withTimeout } from './with-timeout.js';
import type { MediaEncryption } from './media-encryption.js';
import type { MemberInfo } from './membership.js';
import { fetchPublishGrant, type SfuGrant } from './sfu-auth.js';
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
  /** How often a lobby grant is fetched again (tests shorten it). */
  grantRefreshMs?: number;
}

/**
 * How long a grant fetched in the lobby is used for the join. lk-jwt-service creates the
 * LiveKit room with the grant, and LiveKit closes a room that stays empty for 5 minutes;
 * after that the grant would point at a room that is gone.
 */
export const PREFETCHED_GRANT_MAX_AGE_MS = 4 * 60_000;
/**
 * A lobby grant is fetched again this long after the last one, so Join still skips the round
 * trips after a long wait; at most this many times (an hour), then Join asks itself.
 */
const PREFETCH_REFRESH_MS = 3.5 * 60_000;
const PREFETCH_REFRESHES = 17;
/** How long a join our SFU refuses waits for a call under way to reach us (federation lag). */
const CALL_APPEAR_WAIT_MS = 5000;
/** Bounds Join's wait for a lobby grant still on its way (the OpenID request has no timeout). */
const PREFETCH_WAIT_MS = 25_000;

export interface JoinInput {
  ownServiceUrl: string;
  memberId: string;
  signal: AbortSignal;
  /** `connecting`: the grant is in, so the LiveKit room exists on `serviceUrl`. */
  onStep: (step: 'authorizing' | 'connecting', serviceUrl: string) => void;
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
  /** A publishing grant fetched in the lobby, so that Join goes straight to the SFU. */
  #prefetched: { serviceUrl: string; at: number; grant: Promise<SfuGrant> } | undefined;
  #refresh: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly options: OwnSfuOptions) {}

  get publishing(): Publishing | undefined {
    return this.#publishing;
  }

  /**
   * Fetches our publishing grant before Join (the OpenID token and the JWT are a homeserver
   * and an auth-service round trip that Join then skips). A failure is forgotten: Join asks
   * again and reports it.
   */
  prefetch(serviceUrl: string, memberId: string, refreshes = PREFETCH_REFRESHES): void {
    clearTimeout(this.#refresh);
    const grant = this.#grant({ serviceUrl, memberId });
    const prefetched = { serviceUrl, at: Date.now(), grant };
    this.#prefetched = prefetched;
    grant.catch(() => {
      if (this.#prefetched === prefetched) this.#prefetched = undefined;
    });
    if (refreshes > 0)
      // A join takes the grant and stops this (as does dispose); a failed one is tried again.
      this.#refresh = setTimeout(() => {
        this.options.log.info('auth', 'refreshing the grant fetched in the lobby');
        this.prefetch(serviceUrl, memberId, refreshes - 1);
      }, this.options.grantRefreshMs ?? PREFETCH_REFRESH_MS);
  }

  /** Stops refreshing the lobby grant. */
  dispose(): void {
    clearTimeout(this.#refresh);
    this.#prefetched = undefined;
  }

  /** A fresh publishing grant (a fresh OpenID token with it). */
  #grant({ serviceUrl, memberId }: Publishing, signal?: AbortSignal): Promise<SfuGrant> {
    const { matrix, roomId, log } = this.options;
    return fetchPublishGrant({
      serviceUrl,
      roomId,
      userId: matrix.userId,
      deviceId: matrix.deviceId,
      homeserver: matrix.homeserver,
      memberId,
      getOpenIdToken: () => matrix.client.getOpenIdToken(),
      log,
      signal,
    });
  }

  /** The lobby's grant for `serviceUrl` (a failed one is dropped) if recent enough; used once. */
  #takePrefetched(serviceUrl: string): Promise<SfuGrant> | undefined {
    const prefetched = this.#prefetched;
    this.#prefetched = undefined;
    clearTimeout(this.#refresh);
    if (prefetched?.serviceUrl !== serviceUrl) return undefined;
    if (Date.now() - prefetched.at > PREFETCHED_GRANT_MAX_AGE_MS) {
      this.options.log.info('auth', 'the grant fetched in the lobby is too old; asking again');
      return undefined;
    }
    return prefetched.grant;
  }

  /**
   * Authorizes on and connects to our SFU. If it refuses to create the call's
   * LiveKit room for us (lk-jwt-service only does so for its own homeservers'
   * users) and a call is under way, publishes where its oldest member does.
   */
  async connect(input: JoinInput): Promise<Publishing & { participant: LocalParticipant }> {
    const { ownServiceUrl, memberId, signal } = input;
    const { log } = this.options;
    try {
      const participant = await this.#connect(
        { serviceUrl: ownServiceUrl, memberId },
        signal,
        input,
      );
      return { serviceUrl: ownServiceUrl, memberId, participant };
    } catch (error) {
      if (!MatrixCallError.is(error, 'sfu-room-creation-restricted')) throw error;
      const joined = await this.#callUnderWay(ownServiceUrl, signal);
      if (!joined) throw error;
      log.warn(
        'livekit',
        'our SFU does not create rooms for us; publishing on the SFU of the call under way',
        { ours: ownServiceUrl, theirs: joined },
      );
      const participant = await this.#connect({ serviceUrl: joined, memberId }, signal, input);
      return { serviceUrl: joined, memberId, participant };
    }
  }

  /**
   * The SFU of someone else in the call, waiting a little for one: a call started on another
   * homeserver reaches ours over federation a moment after its starter sees it, and a person
   * who clicks Join at once would otherwise be told they cannot start a call.
   */
  async #callUnderWay(ownServiceUrl: string, signal: AbortSignal): Promise<string | undefined> {
    const { matrix, log } = this.options;
    const find = () =>
      this.options
        .members()
        .find(
          (m) =>
            m.serviceUrl &&
            m.serviceUrl !== ownServiceUrl &&
            !(m.userId === matrix.userId && m.deviceId === matrix.deviceId),
        )?.serviceUrl;
    const until = Date.now() + CALL_APPEAR_WAIT_MS;
    let found = find();
    if (!found) log.info('livekit', 'our SFU does not create rooms for us; waiting for the call');
    while (!found && Date.now() < until) {
      signal.throwIfAborted();
      await new Promise((resolve) => setTimeout(resolve, 200));
      found = find();
    }
    return found;
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

  /** A publishing grant (the lobby's, or a fresh one), then a new connection to the SFU behind it. */
  async #connect(
    publishing: Publishing,
    signal: AbortSignal,
    join?: Pick<JoinInput, 'onStep'>,
  ): Promise<LocalParticipant> {
    const { encryption, connections } = this.options;
    const { serviceUrl, memberId } = publishing;
    this.#publishing = publishing;
    join?.onStep('authorizing', serviceUrl);
    // A lobby grant still on its way when Join comes is awaited, and its failure reported:
    // asking again would double the wait on a failing service.
    const early = join ? this.#takePrefetched(serviceUrl) : undefined;
    const grant = early
      ? await withTimeout(early, PREFETCH_WAIT_MS, signal, () =>
          MatrixCallError.jwtFetchFailed({
            status: 0,
            endpoint: `${serviceUrl}/sfu/get`,
            error: `no grant within ${PREFETCH_WAIT_MS / 1000} s`,
          }),
        )
      : await this.#grant(publishing, signal);
    signal.throwIfAborted();
    this.#livekitUrl = grant.url;
    join?.onStep('connecting', serviceUrl);
    const keyProvider = encryption.keyProvider ?? (await encryption.createKeyProvider());
    return connections.connectOwn(
      { serviceUrl, grant, keyProvider, worker: encryption.takeWorker(), memberId },
      signal,
    );
  }
}
