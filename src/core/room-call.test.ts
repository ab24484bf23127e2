// RoomCall over a stand-in for matrix-js-sdk's MatrixRTCSession: memberships and manager
// events are fed in; what it asks the SDK to send is recorded.
import { assert } from '@open-wc/testing';
import {
  MatrixRTCSessionEvent,
  type CallMembership,
  type MatrixRTCSession,
} from 'matrix-js-sdk/lib/matrixrtc/index.js';
import { DiagnosticsLog } from './diagnostics.js';
import type { MatrixCallError } from './errors.js';
import type { MemberInfo } from './membership.js';
import { effectiveLeaveDelay, RoomCall, RoomCallEvent, type OwnMembership } from './room-call.js';

type Listener = (...args: unknown[]) => void;

/** The part of MatrixRTCSession that RoomCall uses. */
class FakeRtc {
  memberships: CallMembership[] = [];
  joined = false;
  joins: unknown[][] = [];
  leaveResult: Promise<boolean> = Promise.resolve(true);
  private readonly listeners = new Map<string, Set<Listener>>();

  on(event: string, listener: Listener) {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    return this;
  }
  off(event: string, listener: Listener) {
    this.listeners.get(event)?.delete(listener);
    return this;
  }
  emit(event: string, ...args: unknown[]) {
    for (const listener of [...(this.listeners.get(event) ?? [])]) listener(...args);
  }
  isJoined() {
    return this.joined;
  }
  joinRTCSession(...args: unknown[]) {
    this.joins.push(args);
    this.joined = true;
  }
  leaveRoomSession() {
    this.joined = false;
    return this.leaveResult;
  }
  setMemberships(list: CallMembership[]) {
    this.memberships = list;
    this.emit(MatrixRTCSessionEvent.MembershipsChanged);
  }
}

const membership = (userId: string, deviceId: string) =>
  ({
    rtcBackendIdentity: `${userId}:${deviceId}`,
    userId,
    deviceId,
    memberId: `${userId}:${deviceId}`,
    getTransport: () => ({ type: 'livekit', livekit_service_url: 'https://jwt.example.org' }),
    createdTs: () => 1000,
    isExpired: () => false,
  }) as unknown as CallMembership;

const own: OwnMembership = {
  serviceUrl: 'https://jwt.example.org',
  roomId: '!r:hs',
  memberId: 'uuid-1',
  encryption: 'per-participant',
  intent: 'video',
  notify: undefined,
  timing: {},
};

function setup() {
  const rtc = new FakeRtc();
  rtc.memberships = [membership('@bob:hs', 'B')];
  const log = new DiagnosticsLog();
  const call = new RoomCall({
    rtc: rtc as unknown as MatrixRTCSession,
    userId: '@me:hs',
    deviceId: 'ME',
    homeserver: 'https://hs.example',
    log,
  });
  const changes: (readonly MemberInfo[])[] = [];
  const failures: MatrixCallError[] = [];
  call.on(RoomCallEvent.MembersChanged, (m) => changes.push(m));
  call.on(RoomCallEvent.Failed, (e) => failures.push(e));
  return { rtc, log, call, changes, failures };
}

describe('RoomCall', () => {
  it('reads who is in the call, and follows changes', () => {
    const { rtc, call, changes } = setup();
    assert.deepEqual(
      call.members.map((m) => m.identity),
      ['@bob:hs:B'],
    );
    rtc.setMemberships([
      membership('@bob:hs', 'B'),
      { rtcBackendIdentity: 42 } as unknown as CallMembership,
      membership('@carol:hs', 'C'),
    ]);
    assert.deepEqual(
      changes.at(-1)?.map((m) => m.identity),
      ['@bob:hs:B', '@carol:hs:C'],
    );
  });

  it("sends Element Call's multi-SFU membership and resolves once it is back", async () => {
    const { rtc, call } = setup();
    const joined = call.join(own, new AbortController().signal);
    const [ids, foci, focus, config] = rtc.joins[0] ?? [];
    assert.deepEqual(ids, { userId: '@me:hs', deviceId: 'ME', memberId: 'uuid-1' });
    assert.deepEqual(foci, []);
    assert.deepEqual(focus, {
      type: 'livekit',
      livekit_service_url: 'https://jwt.example.org',
      livekit_alias: '!r:hs',
    });
    assert.include(config as object, {
      manageMediaKeys: true,
      callIntent: 'video',
      useKeyDelay: 3000,
      // A joiner gets our current key; only leaves rotate it.
      keyRotationGracePeriodMs: Number.POSITIVE_INFINITY,
    });
    rtc.setMemberships([membership('@bob:hs', 'B'), membership('@me:hs', 'ME')]);
    await joined;
    assert.isTrue(call.isJoined);
  });

  it('fails the join with the power-level hint on M_FORBIDDEN', async () => {
    const { rtc, call, failures } = setup();
    const joined = call.join(own, new AbortController().signal);
    rtc.emit(MatrixRTCSessionEvent.MembershipManagerError, {
      errcode: 'M_FORBIDDEN',
      httpStatus: 403,
    });
    const error = await joined.then(
      () => undefined,
      (e: unknown) => e as MatrixCallError,
    );
    assert.equal(error?.reason, 'membership-forbidden');
    assert.include(error?.hint, 'org.matrix.msc3401.call.member');
    assert.lengthOf(failures, 0, 'the join reports it, not the event');
  });

  it('reports a membership failure after the join as an event', async () => {
    const { rtc, call, failures } = setup();
    const joined = call.join(own, new AbortController().signal);
    rtc.setMemberships([membership('@me:hs', 'ME')]);
    await joined;
    rtc.emit(MatrixRTCSessionEvent.MembershipManagerError, new Error('network gone'));
    assert.lengthOf(failures, 1);
    assert.equal(failures[0]?.reason, 'membership-failed');
  });

  it('stops waiting for the membership when the join is cancelled', async () => {
    const { call } = setup();
    const abort = new AbortController();
    const joined = call.join(own, abort.signal);
    abort.abort();
    const error = await joined.then(
      () => undefined,
      (e: unknown) => e as MatrixCallError,
    );
    assert.equal(error?.reason, 'aborted');
  });

  it('leaves, and says so when the leave event could not be sent', async () => {
    const { rtc, call, log } = setup();
    assert.isTrue(await call.leave(1000), 'nothing to leave');
    rtc.joined = true;
    rtc.leaveResult = Promise.reject(new Error('homeserver down'));
    assert.isFalse(await call.leave(1000));
    assert.isTrue(log.list('membership').some((e) => e.message.startsWith('leave event failed')));
  });

  it('passes media keys on with their identity', () => {
    const { rtc, call } = setup();
    const keys: [number, string][] = [];
    call.on(RoomCallEvent.Key, (_key, index, identity) => keys.push([index, identity]));
    rtc.emit(MatrixRTCSessionEvent.EncryptionKeyChanged, new Uint8Array(16), 4, {}, '@bob:hs:B');
    assert.deepEqual(keys, [[4, '@bob:hs:B']]);
  });
});

describe('effectiveLeaveDelay', () => {
  const rtcWith = (manager: unknown) =>
    ({ membershipManager: manager }) as unknown as MatrixRTCSession;

  it('is the configured delay, or the lower one a homeserver maximum forced on matrix-js-sdk', () => {
    assert.equal(effectiveLeaveDelay(rtcWith(undefined), 18_000), 18_000);
    assert.equal(
      effectiveLeaveDelay(rtcWith({ delayedLeaveEventDelayMs: 18_000 }), 18_000),
      18_000,
    );
    // M_MAX_DELAY_EXCEEDED with max_delay 10 s: js-sdk schedules 10 s and says nothing.
    assert.equal(
      effectiveLeaveDelay(rtcWith({ delayedLeaveEventDelayMs: 10_000 }), 18_000),
      10_000,
    );
    for (const odd of [0, -5, Number.NaN, '10000', null])
      assert.equal(effectiveLeaveDelay(rtcWith({ delayedLeaveEventDelayMs: odd }), 18_000), 18_000);
    const throwing = {
      get delayedLeaveEventDelayMs(): number {
        throw new Error('gone');
      },
    };
    assert.equal(effectiveLeaveDelay(rtcWith(throwing), 18_000), 18_000);
  });
});
