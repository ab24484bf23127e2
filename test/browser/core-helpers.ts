// Shared helpers for the core's real-stack tests.
import { assert } from '@open-wc/testing';
import { CallSession } from '../../src/core/call-session.js';
import type {
  CallParticipant,
  CallSessionOptions,
  CallSnapshot,
  VideoViewHandle,
} from '../../src/core/types.js';
import { createRoom, credentialsOf, registerUser, waitFor, type TestUser } from './local-stack.js';

export const fastTiming = {
  delayedLeaveEventDelayMs: 8000,
  delayedLeaveEventRestartMs: 2000,
  useKeyDelayMs: 500,
  networkErrorRetryMs: 500,
};

/** Sessions created through `open()` are disposed after each test. */
export function sessionPool() {
  const sessions: CallSession[] = [];
  return {
    open(user: TestUser, room: string, extra: Partial<CallSessionOptions> = {}): CallSession {
      // Chrome allows six HTTP/1.1 connections per host, and every client holds one
      // for its /sync long-poll. Real pages run one client; tests run up to four in one
      // page, so every other client talks to the homeserver as `localhost` (its own pool).
      const homeserver =
        sessions.length % 2 === 1
          ? user.homeserverUrl.replace('127.0.0.1', 'localhost')
          : user.homeserverUrl;
      const s = new CallSession({
        source: { kind: 'credentials', credentials: { ...credentialsOf(user), homeserver } },
        room,
        membershipTiming: fastTiming,
        ...extra,
      });
      sessions.push(s);
      watchVideos(s);
      return s;
    },
    add(s: CallSession) {
      sessions.push(s);
      return s;
    },
    async disposeAll() {
      await Promise.all(sessions.splice(0).map((s) => s.dispose()));
    },
  };
}

/** Shows every remote camera as a visible 320×240 view, as a tile would. */
export function watchVideos(s: CallSession): void {
  const views = new Map<string, VideoViewHandle>();
  const update = (snap: CallSnapshot) => {
    for (const p of snap.participants) {
      const track = p.cameraTrack;
      if (p.isLocal || !track || views.has(track.id)) continue;
      views.set(track.id, track.observeView({ visible: true, width: 320, height: 240 }));
    }
  };
  update(s.snapshot);
  s.subscribe(update);
}

export const identityOf = (u: TestUser) => `${u.userId}:${u.deviceId}`;

export async function decodedFrames(s: CallSession, participantId: string): Promise<number> {
  const stats = await s.getMediaStats();
  return stats
    .filter((x) => x.participantId === participantId && x.kind === 'video')
    .reduce((n, x) => n + x.framesDecoded, 0);
}

/** `framesDecoded` of the participant's video grows by `by` within the timeout. */
export async function assertDecodes(
  s: CallSession,
  participantId: string,
  by = 10,
  timeoutMs = 30_000,
) {
  const start = await decodedFrames(s, participantId);
  await waitFor(
    `${participantId} video decoding (+${by} frames)`,
    async () => (await decodedFrames(s, participantId)) >= start + by,
    timeoutMs,
    250,
  );
}

/** The video stays undecodable for `ms`: no frames decoded although packets arrive. */
export async function assertNotDecoding(s: CallSession, participantId: string, ms = 4000) {
  const before = await s.getMediaStats();
  await new Promise((r) => setTimeout(r, ms));
  const after = await s.getMediaStats();
  const pick = (list: typeof before) =>
    list.filter((x) => x.participantId === participantId && x.kind === 'video');
  const packets =
    pick(after).reduce((n, x) => n + x.packetsReceived, 0) -
    pick(before).reduce((n, x) => n + x.packetsReceived, 0);
  const frames =
    pick(after).reduce((n, x) => n + x.framesDecoded, 0) -
    pick(before).reduce((n, x) => n + x.framesDecoded, 0);
  assert.isAbove(packets, 0, 'packets keep arriving');
  assert.equal(frames, 0, 'but no frame decodes');
}

export function remote(s: CallSession, userId: string): CallParticipant | undefined {
  return s.snapshot.participants.find((p) => !p.isLocal && p.userId === userId);
}

/** Runs `during`; whether `viewer` stopped showing `userId` at any point meanwhile (checked every 100 ms). */
export async function vanishedDuring(
  viewer: CallSession,
  userId: string,
  during: () => Promise<void>,
): Promise<boolean> {
  let vanished = false;
  const watch = setInterval(() => {
    if (!remote(viewer, userId)) vanished = true;
  }, 100);
  try {
    await during();
  } finally {
    clearInterval(watch);
  }
  return vanished;
}

export function decryptErrors(s: CallSession) {
  return s.diagnostics.list('e2ee').filter((e) => e.message === 'cannot decrypt incoming media');
}

export async function memberState(
  reader: TestUser,
  roomId: string,
  member: TestUser,
): Promise<{ status: number; content: Record<string, unknown> }> {
  const stateKey = `_${member.userId}_${member.deviceId}_m.call`;
  const response = await fetch(
    `${reader.homeserverUrl}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/org.matrix.msc3401.call.member/${encodeURIComponent(stateKey)}`,
    { headers: { Authorization: `Bearer ${reader.accessToken}` } },
  );
  return { status: response.status, content: (await response.json()) as Record<string, unknown> };
}

export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** Alice and Bob in a fresh room (encrypted by default), both started and, unless told otherwise, joined. */
export async function callOfTwo(
  pool: ReturnType<typeof sessionPool>,
  { encrypted = true, join = true }: { encrypted?: boolean; join?: boolean } = {},
) {
  const [alice, bob] = await Promise.all([
    registerUser({ displayName: 'Alice' }),
    registerUser({ displayName: 'Bob' }),
  ]);
  const { roomId } = await createRoom(alice, { encrypted, invite: [bob], autoJoin: true });
  const a = pool.open(alice, roomId);
  const b = pool.open(bob, roomId);
  await Promise.all([a.start(), b.start()]);
  if (join) {
    await a.join();
    await b.join();
  }
  return { alice, bob, roomId, a, b };
}
