// matrix-js-sdk's own key manager, fed memberships; the membership manager is a stand-in with
// the shape the wrapper relies on (the e2e suite has the homeserver sending our leave).
import { assert } from '@open-wc/testing';
import type { CallMembership, MatrixRTCSession } from 'matrix-js-sdk/lib/matrixrtc/index.js';
import { RTCEncryptionManager } from 'matrix-js-sdk/lib/matrixrtc/RTCEncryptionManager.js';
import { DiagnosticsLog } from './diagnostics.js';
import { coveringExpiry, keepMembershipAcrossServerLeave } from './membership-continuity.js';

const ALICE = { userId: '@alice:hs', deviceId: 'ALICE' };
const HOUR = 3_600_000;

// js-sdk's key manager reads `sender`, which its types mark deprecated.
const member = (userId: string, deviceId: string, createdTs: number) =>
  ({ sender: userId, userId, deviceId, createdTs: () => createdTs }) as unknown as CallMembership;

/** A real key manager for Alice; `sent` lists the key index of each send. */
function keyManager(memberships: () => CallMembership[]) {
  const sent: number[] = [];
  const transport = {
    on: () => undefined,
    off: () => undefined,
    start: () => undefined,
    stop: () => undefined,
    // As js-sdk's transport does, nothing goes to our own device.
    sendKey: (_key: string, index: number, to: { userId: string }[]) => {
      if (to.some((m) => m.userId !== ALICE.userId)) sent.push(index);
      return Promise.resolve();
    },
  };
  const keys = new RTCEncryptionManager(
    { ...ALICE, memberId: `${ALICE.userId}:${ALICE.deviceId}` },
    memberships,
    transport as never,
    () => undefined,
  );
  keys.join({ manageMediaKeys: true, useKeyDelay: 0, keyRotationGracePeriodMs: HOUR });
  return { keys, sent };
}

async function settle(keys: RTCEncryptionManager): Promise<void> {
  const internal = keys as unknown as { currentKeyDistributionPromise: Promise<void> | null };
  for (let i = 0; i < 20 && internal.currentKeyDistributionPromise; i++)
    await internal.currentKeyDistributionPromise;
}

/** Our membership vanishes (the server sent our leave) and comes back; returns the indices sent. */
async function ownLeaveAndBack(wrap: boolean, bobLeaves = false): Promise<number[]> {
  const alice = () => member(ALICE.userId, ALICE.deviceId, 100);
  const bob = member('@bob:hs', 'BOB', 200);
  const carol = member('@carol:hs', 'CAROL', 300);
  let list = [alice(), bob, carol];
  const { keys, sent } = keyManager(() => list);
  const rtc = { membershipManager: undefined, encryptionManager: keys };
  const undo = wrap
    ? keepMembershipAcrossServerLeave(
        rtc as unknown as MatrixRTCSession,
        ALICE,
        new DiagnosticsLog(),
      )
    : () => undefined;
  const update = async (next: CallMembership[]) => {
    list = next;
    keys.onMembershipsUpdate();
    await settle(keys);
  };
  await update(list);
  await update([bob, carol]);
  await update([alice(), bob, carol]);
  if (bobLeaves) await update([alice(), carol]);
  undo();
  return sent;
}

describe('keepMembershipAcrossServerLeave', () => {
  it('our key is not rotated when the server removes our membership and we send it again', async () => {
    assert.deepEqual(await ownLeaveAndBack(true), [0]);
  });

  it('(without it, matrix-js-sdk rotates our key for our own leave)', async () => {
    assert.deepEqual(await ownLeaveAndBack(false), [0, 1]);
  });

  it('others leaving still rotates our key', async () => {
    assert.deepEqual(await ownLeaveAndBack(true, true), [0, 1]);
  });

  it('the membership manager sends the lost membership again with its created_ts, expiring a full period ahead', () => {
    const own = member(ALICE.userId, ALICE.deviceId, Date.now() - 5 * HOUR);
    const made: number[] = [];
    const manager = {
      _ownMembership: undefined as CallMembership | undefined,
      membershipEventExpiryMs: 4 * HOUR,
      onRTCSessionMemberUpdate(memberships: CallMembership[]) {
        // As js-sdk does: it forgets our membership when the room state lacks it.
        this._ownMembership = memberships.find((m) => m.userId === ALICE.userId);
        return Promise.resolve();
      },
      makeMyMembership(expires: number) {
        made.push(expires);
        return { created_ts: this._ownMembership?.createdTs(), expires };
      },
    };
    const rtc = { membershipManager: manager, encryptionManager: undefined };
    const undo = keepMembershipAcrossServerLeave(
      rtc as unknown as MatrixRTCSession,
      ALICE,
      new DiagnosticsLog(),
    );
    void manager.onRTCSessionMemberUpdate([own]);
    void manager.onRTCSessionMemberUpdate([]);
    assert.equal(manager._ownMembership, own, 'kept');
    const sent = manager.makeMyMembership(4 * HOUR) as { created_ts: number; expires: number };
    assert.equal(sent.created_ts, own.createdTs());
    // Created 5 h ago: 4 h would have expired an hour ago; 12 h runs 7 h past now.
    assert.equal(sent.expires, 12 * HOUR);
    undo();
    void manager.onRTCSessionMemberUpdate([]);
    assert.isUndefined(manager._ownMembership, 'undone');
  });

  it('does nothing when the membership manager is not what it expects', () => {
    const log = new DiagnosticsLog();
    const undo = keepMembershipAcrossServerLeave({} as unknown as MatrixRTCSession, ALICE, log);
    undo();
    assert.match(JSON.stringify(log.list()), /matrix-js-sdk changed/);
  });
});

describe('coveringExpiry', () => {
  it('leaves an expiry that already covers a period alone', () => {
    const now = 10 * HOUR;
    assert.equal(coveringExpiry(8 * HOUR, now - HOUR, 4 * HOUR, now), 8 * HOUR);
  });
  it('grows it in whole periods to reach a period past now', () => {
    const now = 10 * HOUR;
    assert.equal(coveringExpiry(4 * HOUR, now - HOUR, 4 * HOUR, now), 8 * HOUR);
    assert.equal(coveringExpiry(4 * HOUR, now - 9 * HOUR, 4 * HOUR, now), 16 * HOUR);
  });
});
