import type { CallMembership, MatrixRTCSession } from 'matrix-js-sdk/lib/matrixrtc/index.js';
import type { DiagnosticsLog } from './diagnostics.js';

/**
 * When the homeserver sends our delayed leave while we are still in the call (restarts that
 * did not reach it in time, or our SFU's auth service after a full reconnect), matrix-js-sdk 43 joins again from scratch: a new `created_ts`,
 * and its key manager, having seen us leave, rotates our media key. Peers then decode us
 * only after the new key reaches them, and a client choosing the call's SFU by the oldest
 * membership may move it. js-sdk has no option for this, so this wraps two of its objects
 * for one join:
 * - the membership manager sends the membership it lost again, with its `created_ts`;
 *   `expires` grows in whole periods so that it still runs a full period past now;
 * - the key manager sees our own membership as one that never left: our key is rotated
 *   for others' leaves, never for our own.
 * Returns the undo. Does nothing (and says so) if js-sdk's internals are not as expected.
 */
export function keepMembershipAcrossServerLeave(
  rtc: MatrixRTCSession,
  self: { userId: string; deviceId: string },
  log: DiagnosticsLog,
): () => void {
  const { membershipManager: manager, encryptionManager: keys } = rtc as unknown as Internals;
  const isOwn = (m: CallMembership) => m.userId === self.userId && m.deviceId === self.deviceId;
  const undo: (() => void)[] = [];
  if (isManager(manager)) undo.push(keepOwnMembership(manager, log));
  else
    log.warn(
      'membership',
      'matrix-js-sdk changed: a membership our homeserver removes comes back as a new one',
    );
  if (isKeyManager(keys)) undo.push(keepOwnKey(keys, isOwn));
  return () => {
    for (const u of undo) u();
  };
}

function keepOwnMembership(manager: ManagerInternals, log: DiagnosticsLog): () => void {
  let last: CallMembership | undefined;
  let gone = false;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with the manager as this
  const onUpdate = manager.onRTCSessionMemberUpdate;
  manager.onRTCSessionMemberUpdate = function (this: ManagerInternals, memberships) {
    const result = onUpdate.call(this, memberships);
    if (this._ownMembership) {
      last = this._ownMembership;
      gone = false;
    } else if (last) {
      this._ownMembership = last;
      if (!gone)
        log.info(
          'membership',
          'our membership is gone from the room (our delayed leave was sent): sending the same one again',
        );
      gone = true;
    }
    return result;
  };
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with the manager as this
  const make = manager.makeMyMembership;
  manager.makeMyMembership = function (this: ManagerInternals, expires) {
    const createdTs = this._ownMembership?.createdTs();
    return make.call(
      this,
      createdTs === undefined
        ? expires
        : coveringExpiry(expires, createdTs, this.membershipEventExpiryMs),
    );
  };
  return () => {
    manager.onRTCSessionMemberUpdate = onUpdate;
    manager.makeMyMembership = make;
  };
}

/** The key manager sees the first membership of ours it saw, always: we never leave for it. */
function keepOwnKey(keys: KeyManagerInternals, isOwn: (m: CallMembership) => boolean): () => void {
  const read = keys.getMemberships;
  let ownSeen: CallMembership | undefined;
  keys.getMemberships = () => {
    const all = read();
    ownSeen ??= all.find(isOwn);
    return ownSeen ? [...all.filter((m) => !isOwn(m)), ownSeen] : all;
  };
  return () => {
    keys.getMemberships = read;
  };
}

/**
 * `expires` for a membership that keeps an old `created_ts`: reaching at least one period past
 * now (js-sdk updates it within a period), in whole periods, and never less than asked.
 */
export function coveringExpiry(
  expires: number,
  createdTs: number,
  periodMs: number,
  now = Date.now(),
): number {
  const needed = now - createdTs + periodMs;
  if (expires >= needed || periodMs <= 0) return expires;
  return Math.ceil(needed / periodMs) * periodMs;
}

interface ManagerInternals {
  _ownMembership: CallMembership | undefined;
  membershipEventExpiryMs: number;
  onRTCSessionMemberUpdate(memberships: CallMembership[]): Promise<void>;
  makeMyMembership(expires: number): unknown;
}

interface KeyManagerInternals {
  getMemberships: () => CallMembership[];
}

interface Internals {
  membershipManager?: unknown;
  encryptionManager?: unknown;
}

function isManager(m: unknown): m is ManagerInternals {
  const o = m as Partial<ManagerInternals> | undefined;
  return (
    typeof o?.onRTCSessionMemberUpdate === 'function' &&
    typeof o.makeMyMembership === 'function' &&
    typeof o.membershipEventExpiryMs === 'number' &&
    '_ownMembership' in o
  );
}

function isKeyManager(m: unknown): m is KeyManagerInternals {
  return typeof (m as Partial<KeyManagerInternals> | undefined)?.getMemberships === 'function';
}
