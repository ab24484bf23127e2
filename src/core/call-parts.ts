import { EventTimeline, type Room } from 'matrix-js-sdk/lib/matrix.js';
import { CallReactions } from './call-reactions.js';
import type { DiagnosticsLog } from './diagnostics.js';
import { HomeserverLink } from './homeserver-link.js';
import { IncomingCalls } from './incoming-calls.js';
import { KeyProvenance } from './key-provenance.js';
import { LeaveDelegation } from './leave-delegation.js';
import { LegacyMemberships, membersToSubscribe } from './legacy-memberships.js';
import { MemberGrace, MemberGraceEvent } from './member-grace.js';
import { NoShows } from './no-shows.js';
import { OrphanLeaves } from './orphan-leaves.js';
import { logKeyDelivery, prepareKeyDelivery } from './key-delivery.js';
import type { MatrixSession } from './matrix-session.js';
import { MediaEncryption } from './media-encryption.js';
import { OwnSfu } from './own-sfu.js';
import {
  CALL_MEMBER_EVENT,
  DELAYED_LEAVE_DELAY_MS,
  effectiveLeaveDelay,
  RoomCall,
  RoomCallEvent,
} from './room-call.js';
import { RoomProfiles } from './room-profiles.js';
import { SfuConnections, SfuConnectionsEvent } from './sfu-connections.js';
import type { MemberInfo } from './membership.js';
import type { CallSessionOptions, EncryptionMode } from './types.js';

/** What a started session is made of: one collaborator per concern of the call. */
export interface CallParts {
  matrix: MatrixSession;
  room: Room;
  profiles: RoomProfiles;
  roomCall: RoomCall;
  incoming: IncomingCalls;
  encryption: MediaEncryption;
  connections: SfuConnections;
  /** Where we publish, and getting back on there. */
  ownSfu: OwnSfu;
  /** Our delayed leave, kept alive by our SFU's auth service too. */
  leaveDelegation: LeaveDelegation;
  /** Whether the homeserver answers. */
  homeserverLink: HomeserverLink;
  /** The memberships, plus vanished ones whose media still flows, for a while. */
  grace: MemberGrace;
  noShows: NoShows;
  /** Raised hands and reactions (Element Call's events). */
  reactions: CallReactions;
  /** Stops them all (the Matrix client is the session's to stop). */
  dispose(): void;
}

export interface CallPartsInput {
  matrix: MatrixSession;
  room: Room;
  options: CallSessionOptions;
  log: DiagnosticsLog;
  /** Whether we are in the call now (nothing rings then). */
  inCall: () => boolean;
}

/**
 * Creates the collaborators for one room and wires them to each other:
 * memberships steer the SFU connections, media keys and cryptor errors feed
 * the encryption, and decode statistics come from the connections.
 */
export function createCallParts({ matrix, room, options, log, inCall }: CallPartsInput): CallParts {
  const { client, userId, deviceId, homeserver } = matrix;
  const mode: EncryptionMode = options.password
    ? 'shared-secret'
    : room.hasEncryptionStateEvent() || options.requireEncryption
      ? 'per-participant'
      : 'none';
  const profiles = new RoomProfiles(client, room, log);
  const rtc = client.matrixRTC.getRoomSession(room);
  const legacy = new LegacyMemberships({ room, log });
  const roomCall = new RoomCall({
    rtc,
    userId,
    deviceId,
    homeserver,
    log,
    legacy,
  });
  const incoming = new IncomingCalls({ room, ownUserId: userId, log, muted: inCall });
  const connections = new SfuConnections({
    roomId: room.roomId,
    userId,
    deviceId,
    homeserver,
    getOpenIdToken: () => client.getOpenIdToken(),
    e2eeWorkerUrl: options.e2eeWorkerUrl,
    foreignSfus: options.foreignSfus,
    log,
  });
  const ownIdentity = `${userId}:${deviceId}`;
  const provenance = new KeyProvenance(client, room.roomId, log, matrix.widget);
  const encryption = new MediaEncryption({
    mode,
    password: options.password,
    ownIdentity,
    e2eeWorkerUrl: options.e2eeWorkerUrl,
    log,
    readStats: () => connections.readStats(),
    originOf: (key, index) => provenance.originOf(key, index),
    requestKeyframe: (identity) => connections.requestKeyframe(identity),
  });
  const ownSfu = new OwnSfu({
    matrix,
    roomId: room.roomId,
    encryption,
    connections,
    members: () => roomCall.members,
    log,
  });
  const leaveDelegation = new LeaveDelegation({
    rtc,
    matrix,
    roomId: room.roomId,
    publishing: () => ownSfu.publishing,
    delayMs: () =>
      effectiveLeaveDelay(
        rtc,
        options.membershipTiming?.delayedLeaveEventDelayMs ?? DELAYED_LEAVE_DELAY_MS,
      ),
    log,
  });
  // Listing our delayed events takes our access token, which a widget never has.
  const orphanLeaves = matrix.widget
    ? undefined
    : new OrphanLeaves({ rtc, matrix, roomId: room.roomId, log });
  const homeserverLink = new HomeserverLink(client, log);
  const onSfu = (id: string) => connections.remoteMedia().has(id);
  const grace = new MemberGrace({
    onSfu,
    removedByOther: (m) => membershipWriter(room, m) !== m.userId,
    // Audio packets and decoded video frames: an SFU keeps sending padding on the video of
    // a publisher that is gone, which counts as packets.
    packetsFrom: async () => {
      const counts = new Map<string, number>();
      for (const s of await connections.readStats()) {
        const got = s.kind === 'audio' ? s.packetsReceived : s.framesDecoded;
        counts.set(s.participantId, (counts.get(s.participantId) ?? 0) + got);
      }
      return counts;
    },
    log,
  });
  const noShows = new NoShows({
    // We are no remote of our own: our membership is never a no-show.
    onSfu: (id) => id === ownIdentity || onSfu(id),
    connectedTo: (url) => connections.isConnectedTo(url),
    log,
  });
  roomCall.on(RoomCallEvent.MembersChanged, (members) => {
    grace.update(members);
    connections.setMembers(membersToSubscribe(grace.members, mode));
  });
  // A kept member whose grace ran out, or who left the SFU too, goes now.
  const recheck = () => {
    if (grace.holding === 0) return;
    const before = grace.holding;
    const members = grace.members;
    if (grace.holding !== before) connections.setMembers(membersToSubscribe(members, mode));
  };
  grace.on(MemberGraceEvent.Changed, () => {
    connections.setMembers(membersToSubscribe(grace.members, mode));
  });
  connections.on(SfuConnectionsEvent.Changed, recheck);
  roomCall.on(RoomCallEvent.Key, (key, index, identity) => {
    void encryption.onKey(key, index, identity);
  });
  connections.on(SfuConnectionsEvent.EncryptionError, (error, identity) => {
    encryption.onCryptorError(error, identity);
  });
  grace.update(roomCall.members);
  connections.setMembers(membersToSubscribe(grace.members, mode));
  const reactions = new CallReactions({ client, room, rtc, userId, deviceId, log });
  const stopKeyLog = logKeyDelivery(client, room.roomId, log, { observeSends: matrix.owned });
  return {
    matrix,
    room,
    profiles,
    roomCall,
    incoming,
    encryption,
    connections,
    ownSfu,
    leaveDelegation,
    homeserverLink,
    grace,
    noShows,
    reactions,
    dispose() {
      stopKeyLog();
      reactions.dispose();
      leaveDelegation.dispose();
      ownSfu.dispose();
      orphanLeaves?.dispose();
      homeserverLink.dispose();
      provenance.dispose();
      grace.dispose();
      noShows.dispose();
      profiles.dispose();
      roomCall.dispose();
      legacy.dispose();
      incoming.dispose();
      encryption.dispose();
      connections.dispose();
    },
  };
}

/** Who last wrote a member's (legacy, per-device) membership state event; undefined if none. */
function membershipWriter(room: Room, m: MemberInfo): string | undefined {
  const state = room.getLiveTimeline().getState(EventTimeline.FORWARDS);
  const event = state?.getStateEvents(CALL_MEMBER_EVENT, `_${m.userId}_${m.deviceId}_m.call`);
  return event?.getSender() ?? m.userId;
}

/**
 * Work that joining needs but that doesn't depend on it, done while the user
 * is in the lobby: Olm sessions with the room's devices (media keys travel
 * over them) and the E2EE worker.
 */
export function warmUp({ matrix, room, encryption }: CallParts, log: DiagnosticsLog): void {
  if (encryption.mode === 'per-participant') prepareKeyDelivery(matrix.client, room, log);
  encryption.prepare();
}
