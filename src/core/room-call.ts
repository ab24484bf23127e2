import {
  MatrixRTCSessionEvent,
  MembershipManagerEvent,
  Status,
  type MatrixRTCSession,
} from 'matrix-js-sdk/lib/matrixrtc/index.js';
import type { DiagnosticsLog } from './diagnostics.js';
import { describe } from './discovery.js';
import { TypedEmitter } from './emitter.js';
import { MatrixCallError } from './errors.js';
import { mapMatrixError, matrixErrorInfo } from './matrix-errors.js';
import { withTimeout } from './with-timeout.js';
import {
  LegacyMembershipsEvent,
  withLegacyMembers,
  type LegacyMemberships,
} from './legacy-memberships.js';
import { retireKeyManager, sendFirstKeyNow } from './key-delivery.js';
import { warmMembershipUrl } from './membership-preflight.js';
import { keepMembershipAcrossServerLeave } from './membership-continuity.js';
import { readMemberships, type MemberInfo } from './membership.js';
import type { EncryptionMode, MembershipTiming } from './types.js';

/** The state event type Element Call and matrix-js-sdk use for memberships. */
export const CALL_MEMBER_EVENT = 'org.matrix.msc3401.call.member';

/** How long a join waits for the homeserver to take our membership: a loaded one took 18 s. */
const JOIN_CONFIRM_TIMEOUT_MS = 45_000;
/**
 * Our delayed leave: the homeserver removes us this long after our last restart of it, and
 * we restart it this often, giving each restart this long to answer. matrix-js-sdk's 8 s /
 * 5 s / 2 s left one slow answer between us and a removed membership: with six browsers on
 * two cores, memberships flapped and joins failed (the churn test in test/e2e/resilience.test.ts).
 * These are Element Call's 18 s and 4 s; a crashed client's tile goes after 14–18 s (about
 * 20 s when our SFU's auth service holds the delayed leave: it waits for LiveKit).
 */
export const DELAYED_LEAVE_DELAY_MS = 18_000;
export const DELAYED_LEAVE_RESTART_MS = 4000;

/**
 * The delay our delayed leave really has. A homeserver with a lower maximum answers
 * M_MAX_DELAY_EXCEEDED, and matrix-js-sdk then schedules it with that maximum and keeps the
 * number to itself (its membership manager's `delayedLeaveEventDelayMs`); whoever restarts
 * the event for us (our SFU's auth service) must know the real one.
 */
export function effectiveLeaveDelay(rtc: MatrixRTCSession, configuredMs: number): number {
  try {
    const manager = (
      rtc as unknown as { membershipManager?: { delayedLeaveEventDelayMs?: unknown } }
    ).membershipManager;
    const used = manager?.delayedLeaveEventDelayMs;
    return typeof used === 'number' && used > 0 ? Math.min(used, configuredMs) : configuredMs;
  } catch {
    return configuredMs;
  }
}
export const DELAYED_LEAVE_RESTART_TIMEOUT_MS = 4000;
/**
 * Time between sending a rotated media key and encrypting with it. matrix-js-sdk's 1 s is
 * shorter than to-device delivery on a busy homeserver (up to 1.4 s seen in the e2e suite);
 * a receiver without the key drops frames and then needs a keyframe, a freeze of ~3 s for
 * everyone who stays when someone leaves. The cost: joiners of a call whose key is older
 * than the rotation grace period (10 s) see the others this much later.
 */
const USE_KEY_DELAY_MS = 3000;
/**
 * A joiner gets our current key instead of a new one for everyone. matrix-js-sdk rotates on
 * a join when the key is older than 10 s, so joining any call older than that waited for the
 * rotation plus our key delay (4.1 s to the first frame against Element Call's 2.9 s). The
 * cost: a joiner could decrypt what we sent since the last leave, had they recorded it at the
 * SFU. A leave still rotates, which is what keeps leavers out.
 */
const KEY_ROTATION_GRACE_MS = Number.POSITIVE_INFINITY;

export const RoomCallEvent = {
  /** Who is in the call changed. */
  MembersChanged: 'membersChanged',
  /** Keeping our membership failed after the join (e.g. it was forbidden). */
  Failed: 'failed',
  /** A media key for a participant (ours included), from matrix-js-sdk's key transport. */
  Key: 'key',
} as const;

export interface RoomCallEventMap {
  [RoomCallEvent.MembersChanged]: (members: readonly MemberInfo[]) => void;
  [RoomCallEvent.Failed]: (error: MatrixCallError) => void;
  [RoomCallEvent.Key]: (key: Uint8Array<ArrayBuffer>, index: number, identity: string) => void;
}

export interface RoomCallOptions {
  rtc: MatrixRTCSession;
  userId: string;
  deviceId: string;
  /** For error hints that name the homeserver. */
  homeserver: string;
  log: DiagnosticsLog;
  /** Members older clients list in the legacy per-user format. */
  legacy?: LegacyMemberships;
}

export interface OwnMembership {
  serviceUrl: string;
  roomId: string;
  memberId: string;
  encryption: EncryptionMode;
  intent: 'audio' | 'video';
  notify: 'ring' | 'notification' | undefined;
  timing: MembershipTiming;
}

/** How long our membership keeps being retried while the homeserver does not answer. */
export const HOMESERVER_OUTAGE_TOLERANCE_MS = 10 * 60_000;
/** matrix-js-sdk's default pause between two tries after a network error. */
const NETWORK_RETRY_MS = 3000;

/**
 * The room's call as MatrixRTC sees it: who is in it (valid, unexpired
 * memberships) and our own membership, sent and kept by matrix-js-sdk's
 * membership manager with a delayed leave event.
 */
export class RoomCall extends TypedEmitter<RoomCallEventMap> {
  #list: readonly MemberInfo[] = [];
  #joined = false;
  /** The intent we last asked for: js-sdk compares with the echoed membership, which lags. */
  #intent: 'audio' | 'video' | undefined;
  readonly #undo: () => void;
  #undoContinuity: () => void = () => undefined;

  constructor(private readonly options: RoomCallOptions) {
    super();
    const { rtc, log } = options;
    const onMemberships = () => {
      this.#read();
    };
    const onKey = (key: Uint8Array<ArrayBuffer>, index: number, _p: unknown, identity: string) => {
      this.emit(RoomCallEvent.Key, key, index, identity);
    };
    const onManagerError = (error: unknown) => {
      // During join(), the join's own promise reports it.
      if (this.#joined) this.emit(RoomCallEvent.Failed, this.#membershipError(error));
    };
    const onStatus = (_old: unknown, status: unknown) => {
      log.info('membership', `membership status ${String(status)}`);
    };
    const onProbablyLeft = (left: boolean) => {
      if (left)
        log.warn('membership', 'our membership may have expired on the server (network trouble)');
    };
    rtc.on(MatrixRTCSessionEvent.MembershipsChanged, onMemberships);
    rtc.on(MatrixRTCSessionEvent.EncryptionKeyChanged, onKey);
    rtc.on(MatrixRTCSessionEvent.MembershipManagerError, onManagerError);
    rtc.on(MembershipManagerEvent.StatusChanged, onStatus);
    rtc.on(MembershipManagerEvent.ProbablyLeft, onProbablyLeft);
    options.legacy?.on(LegacyMembershipsEvent.Changed, onMemberships);
    this.#undo = () => {
      options.legacy?.off(LegacyMembershipsEvent.Changed, onMemberships);
      rtc.off(MatrixRTCSessionEvent.MembershipsChanged, onMemberships);
      rtc.off(MatrixRTCSessionEvent.EncryptionKeyChanged, onKey);
      rtc.off(MatrixRTCSessionEvent.MembershipManagerError, onManagerError);
      rtc.off(MembershipManagerEvent.StatusChanged, onStatus);
      rtc.off(MembershipManagerEvent.ProbablyLeft, onProbablyLeft);
    };
    this.#read();
  }

  /** Valid memberships, oldest first, one per device; ours included once it is sent. */
  get members(): readonly MemberInfo[] {
    return this.#list;
  }

  get isJoined(): boolean {
    return this.options.rtc.isJoined();
  }

  /**
   * Sends our membership (after scheduling its delayed leave) and resolves
   * once it is back from the homeserver. Rejects with a typed error.
   */
  async join(own: OwnMembership, signal: AbortSignal): Promise<void> {
    const { rtc, userId, deviceId, log } = this.options;
    const confirmed = new Promise<void>((resolve, reject) => {
      // Seen in the room, or accepted by the homeserver: a loaded server's /sync can echo
      // the membership seconds after it accepted it.
      const check = () => {
        if (rtc.memberships.some((m) => m.userId === userId && m.deviceId === deviceId))
          done(resolve);
      };
      const onStatus = (_old: unknown, status: unknown) => {
        if (status === Status.Connected) done(resolve);
      };
      const onError = (error: unknown) => {
        done(() => {
          reject(this.#membershipError(error));
        });
      };
      const done = (settle: () => void) => {
        rtc.off(MatrixRTCSessionEvent.MembershipsChanged, check);
        rtc.off(MembershipManagerEvent.StatusChanged, onStatus);
        rtc.off(MatrixRTCSessionEvent.MembershipManagerError, onError);
        settle();
      };
      rtc.on(MatrixRTCSessionEvent.MembershipsChanged, check);
      rtc.on(MembershipManagerEvent.StatusChanged, onStatus);
      rtc.on(MatrixRTCSessionEvent.MembershipManagerError, onError);
    });
    log.info('membership', 'sending membership (state event + delayed leave)', {
      eventType: CALL_MEMBER_EVENT,
      focus: 'multi_sfu',
      sfu: own.serviceUrl,
    });
    const { timing } = own;
    this.#intent = own.intent;
    if (!rtc.isJoined()) retireKeyManager(rtc);
    rtc.joinRTCSession(
      { userId, deviceId, memberId: own.memberId },
      [],
      { type: 'livekit', livekit_service_url: own.serviceUrl, livekit_alias: own.roomId },
      {
        manageMediaKeys: own.encryption === 'per-participant',
        callIntent: own.intent,
        notificationType: own.notify,
        delayedLeaveEventDelayMs: timing.delayedLeaveEventDelayMs ?? DELAYED_LEAVE_DELAY_MS,
        delayedLeaveEventRestartMs: timing.delayedLeaveEventRestartMs ?? DELAYED_LEAVE_RESTART_MS,
        delayedLeaveEventRestartLocalTimeoutMs:
          timing.delayedLeaveEventRestartLocalTimeoutMs ?? DELAYED_LEAVE_RESTART_TIMEOUT_MS,
        membershipEventExpiryMs: timing.membershipEventExpiryMs,
        networkErrorRetryMs: timing.networkErrorRetryMs,
        // js-sdk gives up after 10 failed tries (30 s by default) and the call would end;
        // media goes on through the SFU, so ride out an outage of the homeserver instead.
        maximumNetworkErrorRetryCount: Math.ceil(
          HOMESERVER_OUTAGE_TOLERANCE_MS / (timing.networkErrorRetryMs ?? NETWORK_RETRY_MS),
        ),
        useKeyDelay: timing.useKeyDelayMs ?? USE_KEY_DELAY_MS,
        keyRotationGracePeriodMs: timing.keyRotationGracePeriodMs ?? KEY_ROTATION_GRACE_MS,
      },
    );
    warmMembershipUrl(rtc, CALL_MEMBER_EVENT, log);
    this.#undoContinuity();
    this.#undoContinuity = keepMembershipAcrossServerLeave(rtc, { userId, deviceId }, log);
    if (own.encryption === 'per-participant') sendFirstKeyNow(rtc, log);
    await withTimeout(confirmed, JOIN_CONFIRM_TIMEOUT_MS, signal, () =>
      MatrixCallError.membershipFailed(
        new Error('our membership did not come back from the homeserver in time'),
      ),
    );
    this.#joined = true;
    log.info('membership', 'membership visible in room state');
  }

  /** Re-sends our membership with another `m.call.intent`; nothing if it is the same. */
  setIntent(intent: 'audio' | 'video'): void {
    const { rtc, log } = this.options;
    if (!this.#joined || !rtc.isJoined() || intent === this.#intent) return;
    this.#intent = intent;
    log.info('membership', `call intent now ${intent}`);
    rtc.updateCallIntent(intent).catch((error: unknown) => {
      log.warn('membership', 'could not update the call intent', { error: describe(error) });
    });
  }

  /**
   * Replaces our membership with `{}`. Resolves `false` if that failed or took
   * longer than `timeoutMs`; the delayed leave event then removes it later.
   */
  async leave(timeoutMs: number): Promise<boolean> {
    this.#joined = false;
    this.#undoContinuity();
    const rtc = this.options.rtc;
    retireKeyManager(rtc);
    if (!rtc.isJoined()) return true;
    return rtc.leaveRoomSession(timeoutMs).catch((error: unknown) => {
      this.options.log.warn(
        'membership',
        'leave event failed; the delayed leave event will remove us',
        { error: describe(error) },
      );
      return false;
    });
  }

  #read(): void {
    const { rtc, log } = this.options;
    try {
      this.#list = withLegacyMembers(
        readMemberships(rtc.memberships),
        this.options.legacy?.members ?? [],
      );
    } catch (error) {
      log.warn('membership', 'could not read memberships', { error: describe(error) });
      this.#list = [];
    }
    log.debug('membership', 'memberships changed', { count: this.#list.length });
    this.emit(RoomCallEvent.MembersChanged, this.#list);
  }

  /** Maps a membership-manager failure; M_FORBIDDEN means power levels. */
  #membershipError(error: unknown): MatrixCallError {
    const { log, homeserver } = this.options;
    let cause: unknown = error;
    for (let depth = 0; depth < 5 && cause; depth++) {
      const { errcode, status } = matrixErrorInfo(cause);
      if (errcode === 'M_FORBIDDEN' || status === 403) {
        log.error('membership', 'M_FORBIDDEN sending the call membership', {
          hint: `power_levels.events["${CALL_MEMBER_EVENT}"] is higher than this user's power level`,
        });
        return MatrixCallError.membershipForbidden(CALL_MEMBER_EVENT, error);
      }
      cause = (cause as { cause?: unknown }).cause;
    }
    log.error('membership', 'membership manager failed', { error: describe(error) });
    return mapMatrixError(error, homeserver, (e) => MatrixCallError.membershipFailed(e));
  }

  dispose(): void {
    this.#undo();
    this.#undoContinuity();
    this.removeAllListeners();
  }
}
